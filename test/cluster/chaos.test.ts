/**
 * Chaos rounds on a real cluster: etcd and three `kstream serve --metadata-store` child processes
 * whose every broker↔broker and broker↔etcd link runs through a TCP proxy this test controls
 * (link-proxy.ts). Each broker has two listeners: CLIENT (clients connect straight to it) and
 * REPLICATION (`inter.broker.listener.name`, advertised at the broker's proxy, so replica fetches and
 * transaction markers go through the proxies). Faults, round by round:
 *
 * - SIGSTOP of a partition's leader for longer than the session timeout, then SIGCONT;
 * - a network partition isolating a partition's leader from etcd and from both other brokers (its
 *   clients can still reach it), then healed;
 * - SIGSTOP of the controller;
 * - the leader cut from both followers only (etcd still reachable): it stays leader, shrinks the ISR
 *   to itself and must refuse acks=all with NOT_ENOUGH_REPLICAS (min.insync.replicas=2).
 *
 * All the while our own client (src/client Producer, acks=all, idempotent) writes partition 0 and kcat
 * (`-X acks=all -X enable.idempotence=true`) writes partition 1. In every fault the deposed leader is
 * sent an acks=all write of its own, straight to its client listener, while the others have elected a
 * new leader: it must not acknowledge it (a fenced leader). At the end the history checker gets
 * everything acknowledged, every broker's view of the leaders, the final logs and every replica's
 * segment bytes: no acknowledged record lost, none duplicated, order and offsets as acknowledged,
 * one leader per epoch, replicas byte-identical up to the high watermark.
 *
 * 4 rounds by default (one of each fault), 20 with KSTREAM_RELIABILITY_LONG=1. Every process and
 * proxy started here is stopped.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchBuilder } from '../../src/client/batch-builder.ts';
import { BrokerConnection } from '../../src/client/broker-connection.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer, type AckedBatch } from '../../src/client/producer.ts';
import { MetadataApi, type MetadataResponse } from '../../src/protocol/messages/metadata.ts';
import { ProduceApi } from '../../src/protocol/messages/produce.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { Compression } from '../../src/protocol/records/compression/codec-ids.ts';
import { startChildBroker, type ChildBroker } from '../helpers/broker.ts';
import { onStop } from '../helpers/cleanup.ts';
import { freePort } from '../helpers/port.ts';
import { run } from '../helpers/process.ts';
import { tempDir } from '../helpers/temp.ts';
import { etcdAvailable, etcdMissingMessage, startEtcd, stopCluster, waitFor, type RunningEtcd } from './etcd-harness.ts';
import { readFinalLogs, readReplicaBytes } from './final-state.ts';
import { checkHistory, type AckedWrite, type LeaderObservation } from './history-checker.ts';
import { kafkaClientSource, LinkProxy } from './link-proxy.ts';

const LONG = Boolean(process.env.KSTREAM_RELIABILITY_LONG);
const ROUNDS = LONG ? 20 : 4;
const TOPIC = 'chaos';
const FAULTS = ['pause-leader', 'isolate-leader', 'pause-controller', 'split-leader-from-followers'] as const;
type Fault = (typeof FAULTS)[number];

const BROKER_CONFIG = [
  'broker.session.timeout.ms=2000',
  'replica.lag.time.max.ms=3000',
  'leader.imbalance.check.interval.seconds=3600',
  'offsets.topic.replication.factor=3',
];

interface Node {
  id: number;
  dataDir: string;
  /** Where the REPLICATION listener binds; the other brokers reach it only through `inbound`. */
  replicationPort: number;
  /** In front of this broker's REPLICATION listener: cuts single links from the other brokers. */
  inbound: LinkProxy;
  /** This broker's way to etcd. */
  toEtcd: LinkProxy;
  broker: ChildBroker | null;
  paused: boolean;
}

let etcd: RunningEtcd;
const nodes: Node[] = [];
const proxies: LinkProxy[] = [];

async function startNode(n: Node): Promise<void> {
  const listeners = [
    `listeners=CLIENT://127.0.0.1:0,REPLICATION://127.0.0.1:${n.replicationPort}`,
    'listener.security.protocol.map=CLIENT:PLAINTEXT,REPLICATION:PLAINTEXT',
    `advertised.listeners=REPLICATION://127.0.0.1:${n.inbound.port}`,
    'inter.broker.listener.name=REPLICATION',
  ];
  n.broker = await startChildBroker({
    dataDir: n.dataDir,
    args: ['--node-id', String(n.id), '--metadata-store', `etcd://127.0.0.1:${n.toEtcd.port}`, ...[...listeners, ...BROKER_CONFIG].flatMap((c) => ['--config', c])],
    timeoutMs: 90_000,
  });
}

const node = (id: number): Node => nodes.find((n) => n.id === id)!;
const reachable = (): Node[] => nodes.filter((n) => n.broker !== null && !n.paused);
const bootstrap = (): string => nodes.map((n) => n.broker!.bootstrap).join(',');

async function metadataFrom(n: Node, topics: string[] | null): Promise<MetadataResponse> {
  const conn = await BrokerConnection.open({ host: '127.0.0.1', port: n.broker!.port, clientId: 'chaos-test', requestTimeoutMs: 8000, connectTimeoutMs: 5000 });
  try {
    return await conn.request(MetadataApi, { topics: topics === null ? null : topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })), allowAutoTopicCreation: false });
  } finally {
    conn.close();
  }
}

const observations: LeaderObservation[] = [];

/** Every reachable broker's view of the topic (recorded for the checker), keyed by broker id. */
async function observe(): Promise<Map<number, MetadataResponse>> {
  const views = new Map<number, MetadataResponse>();
  await Promise.all(
    reachable().map(async (n) => {
      const md = await metadataFrom(n, [TOPIC]).catch(() => null);
      if (!md) return;
      views.set(n.id, md);
      for (const p of md.topics[0]?.partitions ?? []) observations.push({ partition: p.partitionIndex, leaderEpoch: p.leaderEpoch, leader: p.leaderId });
    }),
  );
  return views;
}

const partitionIn = (md: MetadataResponse | undefined, p: number) => md?.topics[0]?.partitions.find((x) => x.partitionIndex === p);

/** Cuts (or heals) every link of broker `id` both ways to each other broker and, unless `keepEtcd`, to etcd. */
function isolate(id: number, cut: boolean, keepEtcd = false): void {
  const n = node(id);
  if (!keepEtcd) {
    if (cut) n.toEtcd.cutFrom();
    else n.toEtcd.healFrom();
  }
  for (const other of nodes) {
    if (other.id === id) continue;
    if (cut) {
      n.inbound.cutFrom(`broker-${other.id}`);
      other.inbound.cutFrom(`broker-${id}`);
    } else {
      n.inbound.healFrom(`broker-${other.id}`);
      other.inbound.healFrom(`broker-${id}`);
    }
  }
}

/**
 * Load from our own client: one sequential idempotent acks=all producer on one partition, one record
 * per request, each acknowledgement recorded with its offset. A producer that gives up is replaced
 * (new producer id); what it had not acknowledged is simply not in the history.
 */
class ClientLoad {
  readonly acked: AckedWrite[] = [];
  /** Why producers gave up (shown when nothing was acknowledged). */
  readonly failures: string[] = [];
  private stopped = false;
  private readonly done: Promise<void>;
  private readonly cluster: Cluster;
  private seq = 0;
  private readonly partition: number;

  constructor(partition: number) {
    this.partition = partition;
    this.cluster = new Cluster({ bootstrap: nodes.map((n) => ({ host: '127.0.0.1', port: n.broker!.port })), clientId: 'chaos-producer', requestTimeoutMs: 10_000, connectTimeoutMs: 3000 });
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const got: AckedBatch[] = [];
      const producer = new Producer(this.cluster, { acks: -1, idempotent: true, lingerMs: 0, retries: 30, retryBackoffMs: 200, timeoutMs: 5000, maxInFlight: 1, autoCreateTopics: false, onAcked: (a) => got.push(a) });
      try {
        await producer.prepareTopic(TOPIC);
        while (!this.stopped) {
          const value = `c${this.seq++}`;
          producer.send({ topic: TOPIC, partition: this.partition, value: Buffer.from(value) });
          await producer.flush();
          const ack = got.shift();
          if (ack) this.acked.push({ partition: this.partition, value, offset: Number(ack.baseOffset) });
        }
      } catch (err) {
        this.failures.push((err as Error).message);
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        await producer.close({ flush: false }).catch(() => {});
      }
    }
  }

  async stop(): Promise<AckedWrite[]> {
    this.stopped = true;
    await this.done;
    await this.cluster.close();
    return this.acked;
  }
}

/**
 * Load from kcat: `kcat -P` with acks=all and idempotence, fed one line every 100 ms. librdkafka
 * reports deliveries in production order per partition; with -vvv kcat prints each report
 * ("Message delivered to partition P (offset O)" or "Delivery failed"), so the n-th report is the n-th
 * line written.
 */
function startKcatLoad(partition: number, prefix: string, onEarlyExit: () => void): { stop(): Promise<AckedWrite[]> } {
  const child = spawn(
    'kcat',
    ['-b', bootstrap(), '-P', '-t', TOPIC, '-p', String(partition), '-X', 'acks=all', '-X', 'enable.idempotence=true', '-X', 'message.timeout.ms=90000', '-vvv'],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const values: string[] = [];
  const timer = setInterval(() => {
    if (!child.stdin.writable) return;
    const v = `${prefix}-${values.length}`;
    values.push(v);
    child.stdin.write(`${v}\n`);
  }, 100);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {});
  let stopping = false;
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      clearInterval(timer);
      if (!stopping) onEarlyExit();
      r();
    }),
  );
  const stopChild = onStop(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return {
    async stop() {
      stopping = true;
      clearInterval(timer);
      child.stdin.end();
      // kcat exits once every message is delivered or has failed (message.timeout.ms).
      const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      await exited;
      clearTimeout(killer);
      await stopChild();
      const acked: AckedWrite[] = [];
      let n = 0;
      for (const line of stderr.split('\n')) {
        const ok = /^% Message delivered to partition (\d+) \(offset (-?\d+)\)/.exec(line);
        if (ok) {
          const value = values[n++];
          if (value !== undefined) acked.push({ partition, value, offset: Number(ok[2]) });
        } else if (/^% Delivery failed/.test(line)) n++;
      }
      console.log(`kcat ${prefix}: ${values.length} written, ${acked.length} delivered, ${n - acked.length} failed, exit ${child.exitCode ?? child.signalCode}${n < values.length ? `; stderr tail: ${stderr.slice(-400)}` : ''}`);
      return acked;
    },
  };
}

/**
 * kcat load for the whole run: one `kcat -P` process (one producer id), replaced by a new one if
 * librdkafka gives up (a fatal idempotence error ends kcat); every process's deliveries are history.
 */
class KcatLoad {
  private readonly runs: { stop(): Promise<AckedWrite[]> }[] = [];
  private stopped = false;
  private readonly partition: number;

  constructor(partition: number) {
    this.partition = partition;
    this.next();
  }

  private next(): void {
    if (this.stopped) return;
    this.runs.push(startKcatLoad(this.partition, `k${this.runs.length}`, () => setTimeout(() => this.next(), 500)));
  }

  get processes(): number {
    return this.runs.length;
  }

  async stop(): Promise<AckedWrite[]> {
    this.stopped = true;
    const acked: AckedWrite[] = [];
    for (const r of this.runs) acked.push(...(await r.stop()));
    return acked;
  }
}

/**
 * An acks=all write sent straight to `n`'s client listener on a connection opened before the fault
 * (a paused broker cannot answer ApiVersions). Returns the partition's error code; 0 means it
 * acknowledged the write at `offset`.
 */
async function produceDirect(conn: BrokerConnection, partition: number, value: string): Promise<{ errorCode: number; offset: number }> {
  const b = new BatchBuilder(1 << 16);
  b.append(Date.now(), null, Buffer.from(value), null);
  const records = b.seal(Compression.none, -1n, -1, -1);
  const res = await conn.request(ProduceApi, { transactionalId: null, acks: -1, timeoutMs: 4000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, offset: Number(p.baseOffset) };
}

describe.skipIf(!etcdAvailable)('cluster chaos: SIGSTOP and network partitions through per-link proxies', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    const etcdPort = Number(new URL(etcd.clientUrl).port);
    for (let id = 1; id <= 3; id++) {
      const replicationPort = await freePort();
      const inbound = await LinkProxy.start(`to-broker-${id}`, replicationPort, kafkaClientSource);
      const toEtcd = await LinkProxy.start(`broker-${id}-to-etcd`, etcdPort, `broker-${id}`);
      proxies.push(inbound, toEtcd);
      nodes.push({ id, dataDir: await tempDir('kstream-chaos-'), replicationPort, inbound, toEtcd, broker: null, paused: false });
    }
    await Promise.all(nodes.map((n) => startNode(n)));
    await waitFor('3 registered brokers', async () => ((await metadataFrom(nodes[0]!, [])).brokers.length === 3 ? true : undefined), 60_000);
  }, 180_000);

  afterAll(async () => {
    for (const n of nodes) if (n.paused) n.broker?.kill('SIGCONT');
    for (const p of proxies) p.healFrom();
    await stopCluster(nodes, etcd);
    for (const p of proxies) await p.close();
  }, 120_000);

  it('clients are told the CLIENT listener; brokers replicate through the REPLICATION listener (the proxies)', async () => {
    const r = await run('kcat', ['-b', bootstrap(), '-L', '-J']);
    expect(r.code).toBe(0);
    const md = JSON.parse(r.stdout) as { brokers: { id: number; name: string }[] };
    expect(md.brokers.map((b) => [b.id, b.name]).sort()).toEqual(nodes.map((n) => [n.id, n.broker!.bootstrap]));
    const cluster = new Cluster({ bootstrap: [{ host: '127.0.0.1', port: nodes[0]!.broker!.port }], clientId: 'chaos-admin' });
    try {
      const conn = await cluster.anyConnection();
      const { CreateTopicsApi } = await import('../../src/protocol/messages/create-topics.ts');
      const res = await conn.request(CreateTopicsApi, {
        topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
        timeoutMs: 30_000,
        validateOnly: false,
      });
      expect(res.topics[0]!.errorCode).toBe(0);
    } finally {
      await cluster.close();
    }
    // Followers fetch from the leaders through the proxies (the registered inter-broker address).
    await waitFor('replica fetches through the proxies', async () => {
      const sources = nodes.flatMap((n) => [...n.inbound.forwarded.keys()]);
      return sources.filter((s) => s.startsWith('broker-')).length >= 2 ? true : undefined;
    }, 30_000);
    const views = await observe();
    for (const md of views.values()) for (const p of md.topics[0]!.partitions) expect(p.isrNodes).toHaveLength(3);
  }, 120_000);

  it(`acks=all from our client and kcat survives ${ROUNDS} rounds of SIGSTOP and network partitions; nothing acknowledged is lost`, async () => {
    const ours = new ClientLoad(0);
    const kcat = new KcatLoad(1);
    const acked: AckedWrite[] = [];
    const fencedAnswers: { fault: Fault; round: number; errorCode: number }[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const fault = FAULTS[round % FAULTS.length]!;
        const partition = round % 2;
        await new Promise((r) => setTimeout(r, 1000));
        const before = await observe();
        const anyView = [...before.values()][0]!;
        const victimId = fault === 'pause-controller' ? anyView.controllerId : partitionIn(anyView, partition)!.leaderId;
        expect(victimId).toBeGreaterThan(0);
        const victim = node(victimId);
        const ledBefore = new Map(anyView.topics[0]!.partitions.map((x) => [x.partitionIndex, { leader: x.leaderId, epoch: x.leaderEpoch }]));
        // Opened before the fault: a paused broker cannot answer ApiVersions.
        const direct = await BrokerConnection.open({ host: '127.0.0.1', port: victim.broker!.port, clientId: 'fenced-check', requestTimeoutMs: 60_000, connectTimeoutMs: 5000 });
        const record = (p: number, value: string, a: { errorCode: number; offset: number }) => {
          fencedAnswers.push({ fault, round, errorCode: a.errorCode });
          console.log(`round ${round}: ${fault} of broker ${victimId}; its own acks=all write to partition ${p} answered error ${a.errorCode}`);
          // Should it ever acknowledge, the write is history the checker holds the cluster to.
          if (a.errorCode === 0) acked.push({ partition: p, value, offset: a.offset });
        };
        try {
          if (fault === 'split-leader-from-followers') {
            // Still registered, so still the leader; its followers stop fetching, it shrinks the ISR to
            // itself, and below min.insync.replicas=2 it refuses acks=all before appending anything.
            isolate(victimId, true, true);
            // A follower at the leader's end is never out of sync for silence (Kafka's isCaughtUp), so
            // the leader is given a write it cannot replicate; it must not acknowledge it either.
            const stranded = produceDirect(direct, partition, `stranded-${round}`).catch(() => ({ errorCode: -2, offset: -1 }));
            let last = '';
            await waitFor(`the ISR of partition ${partition} shrunk to its leader ${victimId}`, async () => {
              const views = await observe();
              last = JSON.stringify([...views].map(([id, v]) => [id, partitionIn(v, partition)]));
              return [...views.values()].every((v) => {
                const now = partitionIn(v, partition);
                return now?.leaderId === victimId && now.isrNodes.length === 1;
              })
                ? true
                : undefined;
            }, 60_000).catch((err: unknown) => {
              throw new Error(`${(err as Error).message}; last views ${last}\n--- broker ${victimId} ---\n${victim.broker!.output().slice(-4000)}`);
            });
            record(partition, `stranded-${round}`, await stranded);
            const value = `split-${round}`;
            const a = await produceDirect(direct, partition, value);
            record(partition, value, a);
            expect(a.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
          } else {
            if (fault === 'isolate-leader') isolate(victimId, true);
            else {
              victim.broker!.kill('SIGSTOP');
              victim.paused = true;
            }
            // The others fence it: a new controller if it was one, new leaders (higher epoch, ISR
            // without it) for what it led.
            await waitFor(`broker ${victimId} fenced after ${fault}`, async () => {
              const views = await observe();
              const others = [...views].filter(([id]) => id !== victimId).map(([, v]) => v);
              if (others.length === 0) return undefined;
              const fenced = others.every((v) => {
                if (v.controllerId < 0 || v.controllerId === victimId) return false;
                return [...ledBefore].every(([idx, s]) => {
                  const now = partitionIn(v, idx);
                  if (!now) return false;
                  if (s.leader !== victimId) return true;
                  return now.leaderId >= 0 && now.leaderId !== victimId && now.leaderEpoch > s.epoch && !now.isrNodes.includes(victimId);
                });
              });
              return fenced ? true : undefined;
            }, 60_000);
            // The deposed leader may still believe it leads; an acks=all write to it must not be acknowledged.
            const fencedPartition = [...ledBefore].find(([, s]) => s.leader === victimId)?.[0];
            if (fencedPartition !== undefined) {
              const value = `fenced-${round}`;
              const answer = produceDirect(direct, fencedPartition, value);
              if (victim.paused) {
                victim.broker!.kill('SIGCONT');
                victim.paused = false;
              }
              record(fencedPartition, value, await answer.catch(() => ({ errorCode: -2, offset: -1 })));
            }
          }
        } finally {
          direct.close();
          if (victim.paused) {
            victim.broker!.kill('SIGCONT');
            victim.paused = false;
          }
          if (fault === 'isolate-leader') isolate(victimId, false);
          if (fault === 'split-leader-from-followers') isolate(victimId, false, true);
        }
        // Healed: a deposed leader rejoins as a follower (truncating whatever it wrote alone), and every ISR is full again.
        let lastViews = '';
        await waitFor(`broker ${victimId} back in every ISR`, async () => {
          const views = await observe();
          lastViews = JSON.stringify([...views].map(([id, v]) => [id, v.controllerId, v.topics[0]?.partitions.map((x) => [x.partitionIndex, x.leaderId, x.leaderEpoch, x.isrNodes])]));
          if (views.size < 3) return undefined;
          return [...views.values()].every((v) => v.topics[0]!.partitions.every((x) => x.isrNodes.length === 3)) ? true : undefined;
        }, 90_000).catch((err: unknown) => {
          const tails = nodes.map((n) => `--- broker ${n.id} ---\n${n.broker!.output().slice(-3000)}`).join('\n');
          throw new Error(`${(err as Error).message}; views [id, controller, [partition, leader, epoch, isr]]: ${lastViews}\n${tails}`);
        });
      }
    } finally {
      acked.push(...(await ours.stop()));
      acked.push(...(await kcat.stop()));
    }
    console.log(`acknowledged: ${acked.filter((w) => w.partition === 0).length} by our client (partition 0), ${acked.filter((w) => w.partition === 1).length} by kcat (partition 1, ${kcat.processes} kcat processes)`);
    // Every fault deposed a leader and none of them acknowledged a write on its own.
    expect(fencedAnswers.length).toBeGreaterThan(0);
    expect(fencedAnswers.filter((a) => a.errorCode === 0)).toEqual([]);
    expect(acked.filter((w) => w.partition === 0).length, `our client acknowledged nothing: ${ours.failures.slice(0, 5).join('; ')}`).toBeGreaterThan(0);
    expect(acked.filter((w) => w.partition === 1).length).toBeGreaterThan(0);

    // The final log of each partition, read from its leader, and every replica's batches.
    const views = await observe();
    const view = [...views.values()][0]!;
    const final = await readFinalLogs(bootstrap(), TOPIC, 60_000);
    const replicas = await readReplicaBytes(nodes, TOPIC, view.topics[0]!.partitions.map((p) => p.partitionIndex), final);
    const anomalies = checkHistory({ acked, final, leaders: observations, replicas });
    expect(anomalies).toEqual([]);
    // Leadership really moved, under several epochs.
    expect(new Set(observations.map((o) => `${o.partition}:${o.leaderEpoch}`)).size).toBeGreaterThan(2);
  }, LONG ? 3_600_000 : 900_000);
});

describe.skipIf(etcdAvailable)('cluster chaos', () => {
  it.skip(etcdMissingMessage, () => {});
});
