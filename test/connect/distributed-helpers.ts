/**
 * Distributed Connect workers for tests: `kstream connect distributed` child processes (bin/dev, so
 * no build) sharing one group on a test broker, so a test can SIGKILL one. Every worker started here
 * is killed by closeWorkers().
 */
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer.ts';
import { startDistributed, type DistributedWorker } from '../../src/connect/distributed.ts';
import { repoRoot } from '../helpers/index.ts';
import { rest, spawnConnect, waitFor } from './helpers.ts';

export interface WorkerChild {
  readonly process: ChildProcess;
  readonly url: string;
  /** host:port as statuses name it. */
  readonly workerId: string;
  output(): string;
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

const children = new Set<WorkerChild>();

export const sequenceConnector = join(repoRoot, 'test', 'connect', 'fixtures', 'sequence-source.ts');

/** Worker properties for a group on `bootstrap` (internal topics with one replica, fast failure detection). */
export function workerProps(bootstrap: string, group: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'config.storage.topic': `${group}-configs`,
    'offset.storage.topic': `${group}-offsets`,
    'status.storage.topic': `${group}-status`,
    'config.storage.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    listeners: 'http://127.0.0.1:0',
    'offset.flush.interval.ms': '500',
    'offset.storage.partitions': '5',
    'status.storage.partitions': '2',
    'session.timeout.ms': '3000',
    'heartbeat.interval.ms': '500',
    'scheduled.rebalance.max.delay.ms': '2000',
    ...extra,
  };
}

export async function startWorkerChild(dir: string, name: string, props: Record<string, string>, timeoutMs = 60_000): Promise<WorkerChild> {
  const file = join(dir, `${name}.properties`);
  await writeFile(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const w = await spawnConnect('distributed', [file], dir, /REST API listening on (http:\/\/\S+), worker (\S+) in group/, timeoutMs);
  const child: WorkerChild = { ...w, workerId: w.ready[2]! };
  children.add(child);
  return child;
}

export async function stopWorker(w: WorkerChild, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  w.kill(signal);
  await w.exited;
  children.delete(w);
}

export async function closeWorkers(): Promise<void> {
  await Promise.allSettled([...children].map((w) => stopWorker(w, 'SIGKILL')));
}

export interface ConnectorStatus {
  connector: { state: string; worker_id: string };
  tasks: Array<{ id: number; state: string; worker_id: string }>;
}

/** Waits until `name` has `tasks` tasks, all RUNNING, and `accept` agrees with where they run. */
export function waitForTasks(url: string, name: string, tasks: number, accept: (s: ConnectorStatus) => boolean = () => true, timeoutMs = 45_000): Promise<ConnectorStatus> {
  return waitFor(`${tasks} running tasks of ${name}`, async () => {
    const r = await rest(url, 'GET', `/connectors/${name}/status`);
    if (r.status !== 200) return undefined;
    const s = r.body as ConnectorStatus;
    return s.connector.state === 'RUNNING' && s.tasks.length === tasks && s.tasks.every((t) => t.state === 'RUNNING') && accept(s) ? s : undefined;
  }, timeoutMs);
}

/** Everything in `topic` now, as "<task>:<seq>" strings. */
export async function readAll(bootstrap: string, topic: string, readCommitted = false): Promise<string[]> {
  return (await readRecords(bootstrap, topic, readCommitted)).map((r) => r.value!);
}

/** Every record in `topic` now, key and value as text (null stays null). */
export async function readRecords(bootstrap: string, topic: string, readCommitted = false): Promise<Array<{ key: string | null; value: string | null }>> {
  const [host, port] = bootstrap.split(':');
  const cluster = new Cluster({ bootstrap: [{ host: host!, port: Number(port) }] });
  const consumer = new Consumer(cluster, { start: { type: 'earliest' }, isolationLevel: readCommitted ? 'read_committed' : 'read_uncommitted', maxWaitMs: 100 });
  const out: Array<{ key: string | null; value: string | null }> = [];
  try {
    consumer.assign([{ topic }]);
    await consumer.run((b) => {
      for (const r of b.records) out.push({ key: r.key === null ? null : r.key.toString('utf8'), value: r.value === null ? null : r.value.toString('utf8') });
    }, { exitAtEnd: true });
  } finally {
    await consumer.close().catch(() => undefined);
    await cluster.close();
  }
  return out;
}

/** Per task: the highest seq seen, and whether every seq from 0 up to it is present. */
export function sequences(values: string[]): Map<number, { max: number; missing: number[]; duplicates: number }> {
  const seen = new Map<number, Map<number, number>>();
  for (const v of values) {
    const [t, s] = v.split(':').map(Number) as [number, number];
    let m = seen.get(t);
    if (!m) seen.set(t, (m = new Map()));
    m.set(s, (m.get(s) ?? 0) + 1);
  }
  const out = new Map<number, { max: number; missing: number[]; duplicates: number }>();
  for (const [t, m] of seen) {
    const max = Math.max(...m.keys());
    const missing: number[] = [];
    let duplicates = 0;
    for (let s = 0; s <= max; s++) if (!m.has(s)) missing.push(s);
    for (const c of m.values()) duplicates += c - 1;
    out.set(t, { max, missing, duplicates });
  }
  return out;
}

export interface InProcessWorker {
  readonly url: string;
  readonly workerId: string;
  readonly herder: DistributedWorker['herder'];
  close(): Promise<void>;
}

const inProcess = new Set<InProcessWorker>();

/** An in-process distributed worker (real sockets: its REST server, the broker), for tests that kill nothing. */
export async function startInProcessWorker(props: Record<string, string>): Promise<InProcessWorker> {
  const w = await startDistributed({ workerProps: props, log: () => undefined });
  const handle: InProcessWorker = {
    url: w.url,
    workerId: w.herder.workerId,
    herder: w.herder,
    close: async () => {
      inProcess.delete(handle);
      await w.close();
    },
  };
  inProcess.add(handle);
  return handle;
}

export async function closeInProcessWorkers(): Promise<void> {
  await Promise.allSettled([...inProcess].map((w) => w.close()));
}
