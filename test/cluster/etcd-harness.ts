/**
 * Starts a real single-member etcd for a test file: a child process on free loopback ports with a
 * temp data dir; `stop()` kills it and removes the dir. `etcdAvailable` is false when the binary is
 * not installed (CI installs etcd-server, so there the tests run).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startChildBroker, type ChildBroker } from '../helpers/broker.ts';
import { closeAll } from '../helpers/cleanup.ts';
import { freePort } from '../helpers/port.ts';
import { makeTempDir, tempDir } from '../helpers/temp.ts';
import { pollFor } from '../helpers/wait.ts';

export const etcdBinary = process.env.KSTREAM_ETCD ?? 'etcd';
export const etcdAvailable = spawnSync(etcdBinary, ['--version'], { stdio: 'ignore' }).status === 0;
export const etcdMissingMessage = `etcd binary "${etcdBinary}" not found: install it (apt-get install -y etcd-server) to run the etcd tests`;

export interface RunningEtcd {
  /** `etcd://127.0.0.1:<port>` for the metadata store. */
  spec: string;
  clientUrl: string;
  stop(): Promise<void>;
  /** Kills etcd (SIGKILL) and starts it again on the same ports and data. */
  restart(): Promise<void>;
}

export async function startEtcd(): Promise<RunningEtcd> {
  const { dir, cleanup } = await makeTempDir('kstream-etcd-');
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'test', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `test=${peerUrl}`, '--log-level', 'error',
  ];
  let child!: ChildProcess;
  let exited!: Promise<void>;
  let stderr = '';
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const stop = async (): Promise<void> => {
    await kill();
    await cleanup();
  };
  const launch = async (): Promise<void> => {
    child = spawn(etcdBinary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) {
        await stop();
        throw new Error(`etcd exited with code ${child.exitCode} before it was ready: ${stderr.slice(-500)}`);
      }
      try {
        const res = await fetch(`${clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }), signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`etcd did not answer on ${clientUrl} within 20s: ${stderr.slice(-500)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await launch();
  return {
    spec: `etcd://127.0.0.1:${clientPort}`,
    clientUrl,
    stop,
    // kill -9 and start again on the same data dir and ports: clients see their streams cut.
    restart: async () => {
      await kill();
      await launch();
    },
  };
}

/** Polls `check` until it returns a value (not undefined), or fails naming what it waited for. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return pollFor(what, check, { timeoutMs, intervalMs: 100 });
}

/** One broker of a test cluster: its node id, data dir, and the child process while it runs. */
export interface ClusterNode {
  id: number;
  dataDir: string;
  broker: ChildBroker | null;
}

/** Starts `kstream serve` for `n` as a member of the cluster whose metadata `etcd` holds. */
export async function startClusterNode(n: ClusterNode, etcd: RunningEtcd, config: readonly string[]): Promise<void> {
  n.broker = await startChildBroker({
    dataDir: n.dataDir,
    args: ['--node-id', String(n.id), '--metadata-store', etcd.spec, ...config.flatMap((c) => ['--config', c])],
    timeoutMs: 60_000,
  });
}

export interface ClusterOptions {
  /** How many brokers (node ids 1..size). */
  size: number;
  /** Prefix of each broker's temp data dir (removed by closeAll). */
  dirPrefix: string;
  /** `--config key=value` settings every broker starts with. */
  config: readonly string[];
  /** How many brokers `n`'s metadata lists: the cluster has formed when it is `size`. */
  brokersSeenBy(n: ClusterNode): Promise<number>;
  /** The deadline for forming (a hang guard). */
  timeoutMs?: number;
}

/** Starts `size` brokers together as one cluster over `etcd` and waits until the first sees them all. */
export async function startCluster(etcd: RunningEtcd, opts: ClusterOptions): Promise<ClusterNode[]> {
  const nodes: ClusterNode[] = [];
  for (let id = 1; id <= opts.size; id++) nodes.push({ id, dataDir: await tempDir(opts.dirPrefix), broker: null });
  await Promise.all(nodes.map((n) => startClusterNode(n, etcd, opts.config)));
  await waitFor(`${opts.size} registered brokers`, async () => ((await opts.brokersSeenBy(nodes[0]!)) === opts.size ? true : undefined), opts.timeoutMs ?? 30_000);
  return nodes;
}

/**
 * Ends a cluster test file: the live brokers stop cleanly (SIGTERM: controlled shutdown, so their exit
 * is part of what is tested), then closeAll SIGKILLs whatever is left and removes the temp dirs, then etcd.
 */
export async function stopCluster(nodes: readonly { broker: ChildBroker | null }[], etcd: RunningEtcd | undefined): Promise<void> {
  await Promise.all(
    nodes.map(async (n) => {
      if (!n.broker) return;
      n.broker.kill('SIGTERM');
      await n.broker.exited;
    }),
  );
  await closeAll();
  await etcd?.stop();
}
