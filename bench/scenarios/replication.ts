/**
 * Scenario 12 (issue 18): the cost of replication. One etcd and three `kstream serve --node-id N
 * --metadata-store etcd://…` child processes (cluster mode, docs/cluster.md) on free ports with temp
 * data dirs. In every repetition our client (src/client Producer, acks=-1, idempotent) produces N
 * records of 100 B, round robin over the 6 partitions, into a topic of replication factor 1 — the
 * reference — and into one of replication factor 3, back to back (the order alternates between
 * repetitions). Figures: records/s (send → last acknowledgement) and the CPU time (utime + stime from
 * /proc) per record of the brokers that lead the topic's partitions — with 6 partitions on 3 brokers
 * that is all three, so for RF 3 it includes their follower work. ratio = RF 3 / RF 1 records/s of
 * the same repetition (paired), and RF 1 / RF 3 CPU per record. Each run checks that the end offsets
 * add up to N and, for RF 3, that every partition's ISR is all three replicas and every replica holds
 * the same log bytes (the followers caught up) before the run counts.
 */
import { performance } from 'node:perf_hooks';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import { startKstream, topicLogBytes, type BrokerHandle } from '../lib/broker.ts';
import { sendRange } from '../lib/client.ts';
import { overBudget, pairedRatio, type Ctx } from '../lib/context.ts';
import { etcdMissing, startEtcd, type EtcdHandle } from '../lib/etcd.ts';
import type { Row } from '../lib/report.ts';
import { median } from '../lib/stats.ts';

const SCENARIO = '12 replication';
const VALUE = Buffer.alloc(100, 'x');
const PARTITIONS = 6;
const BROKERS = 3;
const WAIT_MS = 60_000;

interface Sample {
  recordsPerSec: number;
  cpuUsPerRecord: number;
  leaders: number[];
}

interface Nodes {
  etcd: EtcdHandle;
  brokers: Map<number, BrokerHandle>;
}

/** Polls `check` until it returns a value, or throws naming what it waited for. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function clusterOf(nodes: Nodes, clientId: string): Cluster {
  return new Cluster({ bootstrap: [...nodes.brokers.values()].map((b) => ({ host: b.host, port: b.port })), clientId, requestTimeoutMs: 30_000 });
}

async function startNodes(ctx: Ctx): Promise<Nodes> {
  const etcd = await startEtcd();
  const brokers = new Map<number, BrokerHandle>();
  const nodes = { etcd, brokers };
  try {
    // One at a time: three node start-ups at once on a loaded 2-core machine only time out.
    for (let id = 1; id <= BROKERS; id++) {
      brokers.set(id, await startKstream({
        root: ctx.root,
        readyTimeoutMs: WAIT_MS,
        // Controlled shutdown would move leaderships around while all three stop together (and wait
        // up to 30 s for it); at the end of a benchmark nothing needs to stay available.
        config: { 'node.id': id, 'metadata.store': etcd.spec, 'controlled.shutdown.enable': 'false' },
      }));
    }
    const cluster = clusterOf(nodes, 'bench-replication-setup');
    try {
      await waitFor(`${BROKERS} brokers registered`, async () => {
        await cluster.refreshMetadata([]);
        return cluster.brokers.size === BROKERS ? true : undefined;
      });
    } finally {
      await cluster.close();
    }
    return nodes;
  } catch (e) {
    await stopNodes(nodes);
    throw e;
  }
}

async function stopNodes(nodes: Nodes): Promise<void> {
  await Promise.all([...nodes.brokers.values()].map(async (b) => {
    await b.stop();
    b.cleanup();
  }));
  await nodes.etcd.stop();
}

/** Creates the topic and waits until every partition has a live leader and a full ISR. */
async function createReplicated(admin: Admin, topic: string, rf: number): Promise<number[]> {
  await admin.createTopic(topic, { partitions: PARTITIONS, replicationFactor: rf });
  return waitFor(`topic ${topic} led with a full ISR`, async () => {
    const { partitions } = await admin.describeTopic(topic);
    if (partitions.length !== PARTITIONS) return undefined;
    if (partitions.some((p) => p.leader < 0 || p.replicas.length !== rf || p.isr.length !== rf)) return undefined;
    return partitions.map((p) => p.leader);
  });
}

/** End offsets add up to `n`; for RF > 1 the ISR is complete and every replica holds the same log bytes. */
async function verify(nodes: Nodes, admin: Admin, topic: string, rf: number, n: number): Promise<void> {
  const { partitions } = await admin.describeTopic(topic);
  const end = partitions.reduce((s, p) => s + p.latest, 0);
  if (end !== n) throw new Error(`topic ${topic} ends at ${end} offsets, expected ${n}`);
  if (rf === 1) return;
  await waitFor(`topic ${topic}: followers caught up (ISR complete, replicas byte-identical)`, async () => {
    const { partitions: ps } = await admin.describeTopic(topic);
    if (ps.some((p) => p.isr.length !== rf)) return undefined;
    // With RF = brokers every broker holds every partition: its .log bytes of the topic must match.
    const bytes = [...nodes.brokers.values()].map((b) => topicLogBytes(b.dataDir, topic));
    return bytes.every((b) => b === bytes[0] && b > 0) ? true : undefined;
  });
}

async function produceRun(nodes: Nodes, topic: string, rf: number, n: number): Promise<Sample> {
  const cluster = clusterOf(nodes, 'bench-replication');
  const admin = new Admin(cluster);
  try {
    const leaders = [...new Set(await createReplicated(admin, topic, rf))].sort((a, b) => a - b);
    const p = new Producer(cluster, { acks: -1, idempotent: true });
    await p.connect();
    const seen = await p.prepareTopic(topic);
    if (seen !== PARTITIONS) throw new Error(`topic ${topic}: client sees ${seen} partitions, created ${PARTITIONS}`);
    const cpu = () => leaders.reduce((s, id) => s + nodes.brokers.get(id)!.cpuMs(), 0);
    const cpu0 = cpu();
    const t0 = performance.now();
    await sendRange(p, 0, n, (i) => ({ topic, partition: i % PARTITIONS, value: VALUE }));
    await p.flush();
    const ms = performance.now() - t0;
    const cpuMs = cpu() - cpu0;
    await p.close();
    await verify(nodes, admin, topic, rf, n);
    return { recordsPerSec: n / (ms / 1000), cpuUsPerRecord: (cpuMs * 1000) / n, leaders };
  } finally {
    await cluster.close();
  }
}

function errorRow(error: string): Row {
  return { scenario: SCENARIO, case: '', metric: '', unit: '', value: NaN, samples: [], refs: [], params: {}, error };
}

export async function replicationScenario(ctx: Ctx): Promise<void> {
  const missing = etcdMissing();
  if (missing) {
    ctx.log(`  ${missing}`);
    ctx.rows.push(errorRow(missing));
    return;
  }
  const n = Math.min(ctx.records, ctx.quick ? 20_000 : 200_000);
  const nodes = await startNodes(ctx);
  const rf1: Sample[] = [];
  const rf3: Sample[] = [];
  try {
    // Unmeasured warm-up of both paths (JIT in brokers and client, the followers' fetchers).
    await produceRun(nodes, 'repl-warmup-rf1', 1, Math.min(n, 20_000));
    await produceRun(nodes, 'repl-warmup-rf3', 3, Math.min(n, 20_000));
    const startedAt = performance.now();
    for (let rep = 0; rep < ctx.reps; rep++) {
      if (rep > 0 && overBudget(ctx, startedAt, 90_000)) break;
      // Alternate which goes first, so neither side always runs on the fresher machine phase.
      for (const rf of rep % 2 === 0 ? [1, 3] : [3, 1]) {
        const s = await produceRun(nodes, `repl-rf${rf}-r${rep}`, rf, n);
        (rf === 1 ? rf1 : rf3).push(s);
        ctx.log(`  replication RF ${rf} rep ${rep + 1}: ${s.recordsPerSec.toFixed(0)} rec/s, leader brokers ${s.leaders.join(',')} CPU ${s.cpuUsPerRecord.toFixed(2)} µs/record`);
      }
    }
  } finally {
    await stopNodes(nodes);
  }
  const params = (rf: number, ss: Sample[]) => ({
    records: n, valueBytes: 100, partitions: PARTITIONS, brokers: BROKERS, replicationFactor: rf,
    producer: 'src/client Producer acks=-1 idempotent', metadataStore: 'etcd (one member)', reps: ss.length,
    leaderBrokers: ss[0]?.leaders ?? [],
  });
  const rate = (ss: Sample[]) => ss.map((s) => s.recordsPerSec);
  const cpu = (ss: Sample[]) => ss.map((s) => s.cpuUsPerRecord);
  const also = (ss: Sample[]) => `leader brokers' CPU ${median(cpu(ss)).toFixed(1)} µs/rec`;
  ctx.rows.push({
    scenario: SCENARIO,
    case: `RF 1, acks=all, ${PARTITIONS} partitions on ${BROKERS} brokers`,
    metric: 'records/s', unit: 'rec/s', value: median(rate(rf1)), samples: rate(rf1), also: also(rf1), refs: [], params: params(1, rf1),
  });
  ctx.rows.push({
    scenario: SCENARIO,
    case: `RF 3, acks=all, ${PARTITIONS} partitions on ${BROKERS} brokers`,
    metric: 'records/s', unit: 'rec/s', value: median(rate(rf3)), samples: rate(rf3), also: also(rf3),
    refs: [{ name: 'RF 1', value: median(rate(rf1)), ratio: pairedRatio(rate(rf3), rate(rf1)), samples: rate(rf1) }],
    params: params(3, rf3),
  });
  // CPU: lower is better, so the ratio is RF 1 / RF 3 per repetition (higher = replication cheaper).
  const cpuRatio = median(cpu(rf3).map((c, i) => cpu(rf1)[i]! / c));
  ctx.rows.push({
    scenario: SCENARIO,
    case: 'RF 3 vs RF 1, leader brokers\' CPU',
    metric: 'broker CPU per record', unit: 'µs/rec', value: median(cpu(rf3)), samples: cpu(rf3),
    refs: [{ name: 'RF 1', value: median(cpu(rf1)), ratio: cpuRatio, samples: cpu(rf1) }],
    params: params(3, rf3),
  });
}
