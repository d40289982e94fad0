/**
 * Scenario 9 (issue 16): Kafka Streams throughput. N lines (8 words from a 1,000-word vocabulary,
 * ≈ 60 B) are produced once into a 2-partition input topic; then, in every repetition and back to back:
 *   - our own consume → produce pipe (src/client Consumer in assign mode from the earliest offset,
 *     upper-casing each value, Producer acks=all idempotent), timed from start to the last ack: the
 *     reference, what a hand-written pipe gets from the same client;
 *   - KafkaStreams (src/streams, processing.guarantee=at_least_once, commit.interval.ms=100, one
 *     thread) running a stateless `mapValues(toUpperCase)`, and word count (flatMapValues → groupBy →
 *     count, through the repartition topic, as examples/streams/wordcount.ts).
 * A Streams run is timed from the RUNNING state (after its group join, reported beside it) until the
 * application's committed offsets cover the input (and, for word count, the whole repartition topic):
 * at_least_once commits only after the produced records were acknowledged, so that is "all output
 * written". Ratio = Streams / pipe, records of input per second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Consumer } from '../../src/client/consumer.ts';
import type { Cluster } from '../../src/client/cluster.ts';
import { fetchCommittedOffsets } from '../../src/client/group-offsets.ts';
import { Producer } from '../../src/client/producer.ts';
import { Consumed, Grouped, KafkaStreams, Materialized, Produced, Serdes, StreamsBuilder, type KafkaStreamsState } from '../../src/streams/index.ts';
import type { Topology } from '../../src/streams/topology.ts';
import type { BrokerHandle } from '../lib/broker.ts';
import { clusterFor, createTopic, sendRange, topicEnd } from '../lib/client.ts';
import { overBudget, pairedRatio, type Ctx } from '../lib/context.ts';
import { removeOnExit } from '../lib/proc.ts';
import type { Row } from '../lib/report.ts';
import { median } from '../lib/stats.ts';

const PARTITIONS = 2;
const WORDS_PER_LINE = 8;
const INPUT = 'streams-input';

function line(i: number): Buffer {
  const w: string[] = [];
  for (let j = 0; j < WORDS_PER_LINE; j++) w.push(`word${(i * 7 + j * 131) % 1000}`);
  return Buffer.from(w.join(' '));
}

function mapTopology(output: string): Topology {
  const b = new StreamsBuilder();
  b.stream(INPUT, Consumed.with(Serdes.String(), Serdes.String()))
    .mapValues((v: string) => v.toUpperCase())
    .to(output, Produced.with(Serdes.String(), Serdes.String()));
  return b.build();
}

function wordCountTopology(output: string): Topology {
  const b = new StreamsBuilder();
  b.stream(INPUT, Consumed.with(Serdes.String(), Serdes.String()))
    .flatMapValues((l: string) => l.toLowerCase().split(/\W+/).filter((w) => w.length > 0))
    .groupBy((_k: string | null, w: string) => w, Grouped.with(Serdes.String(), Serdes.String()))
    .count(Materialized.as('word-counts'))
    .toStream()
    .to(output, Produced.with(Serdes.String(), Serdes.Long()));
  return b.build();
}

async function committedSum(cluster: Cluster, group: string, topic: string): Promise<number> {
  const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
  const m = await fetchCommittedOffsets(cluster, group, tps).catch(() => new Map<string, bigint>());
  let s = 0;
  for (const v of m.values()) s += Number(v);
  return s;
}

async function pipeRun(broker: BrokerHandle, output: string, n: number): Promise<number> {
  const cluster = clusterFor(broker, 'bench-pipe');
  try {
    await createTopic(cluster, output, PARTITIONS);
    const producer = new Producer(cluster, { acks: -1 });
    await producer.connect();
    await producer.prepareTopic(output);
    const consumer = new Consumer(cluster, { start: { type: 'earliest' } });
    consumer.assign([{ topic: INPUT }]);
    const t0 = performance.now();
    let pending: Promise<void> | null = null;
    await consumer.run(
      async (batch) => {
        if (pending) await pending;
        let full = false;
        batch.forEach((r) => {
          const v = r.value;
          full = !producer.send({ topic: output, partition: batch.partition, key: r.key, value: v === null ? null : Buffer.from(v.toString().toUpperCase()) }) || full;
        });
        if (full) pending = producer.waitForSpace();
      },
      { exitAtEnd: true },
    );
    await producer.flush();
    const ms = performance.now() - t0;
    await producer.close();
    await consumer.close();
    const end = await topicEnd(cluster, output);
    if (end !== n) throw new Error(`pipe output ${output} holds ${end} records, expected ${n}`);
    return n / (ms / 1000);
  } finally {
    await cluster.close();
  }
}

interface StreamsSample {
  recordsPerSec: number;
  joinMs: number;
}

async function streamsRun(
  ctx: Ctx,
  broker: BrokerHandle,
  app: string,
  topology: Topology,
  output: string,
  n: number,
  repartition?: { topic: string; records: number },
): Promise<StreamsSample> {
  const cluster = clusterFor(broker, 'bench-streams-watch');
  const stateDir = mkdtempSync(join(tmpdir(), 'kstream-bench-streams-'));
  removeOnExit(stateDir);
  let streams: KafkaStreams | undefined;
  try {
    await createTopic(cluster, output, PARTITIONS);
    streams = new KafkaStreams(topology, {
      'application.id': app,
      'bootstrap.servers': broker.bootstrap,
      'processing.guarantee': 'at_least_once',
      'commit.interval.ms': 100,
      'state.dir': stateDir,
    });
    let runningAt = NaN;
    let failed: KafkaStreamsState | undefined;
    streams.setStateListener((s) => {
      if (s === 'RUNNING' && Number.isNaN(runningAt)) runningAt = performance.now();
      if (s === 'ERROR' || s === 'NOT_RUNNING') failed = s;
    });
    const t0 = performance.now();
    await streams.start();
    const deadline = t0 + ctx.timeoutMs;
    for (;;) {
      if (failed) throw new Error(`KafkaStreams ${app} went to ${failed}`);
      const inCommitted = await committedSum(cluster, app, INPUT);
      const repCommitted = repartition ? await committedSum(cluster, app, repartition.topic) : 0;
      if (inCommitted >= n && (!repartition || repCommitted >= repartition.records)) break;
      if (performance.now() > deadline) {
        const rep = repartition ? `, ${repCommitted} of ${repartition.records} on ${repartition.topic}` : '';
        throw new Error(`KafkaStreams ${app} did not finish within ${ctx.timeoutMs} ms: committed ${inCommitted} of ${n} input records${rep}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const done = performance.now();
    if (Number.isNaN(runningAt)) throw new Error(`KafkaStreams ${app} finished without reaching RUNNING`);
    const end = await topicEnd(cluster, output);
    // at_least_once may write a record twice after a failure, never fewer; word count's cache may merge updates.
    if (!repartition && end < n) throw new Error(`streams output ${output} holds ${end} records, expected ≥ ${n}`);
    if (repartition && end === 0) throw new Error(`word count output ${output} is empty`);
    return { recordsPerSec: n / ((done - runningAt) / 1000), joinMs: runningAt - t0 };
  } finally {
    await streams?.close().catch(() => undefined);
    await cluster.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function streamsScenario(ctx: Ctx, broker: BrokerHandle): Promise<void> {
  // Small counts: KafkaStreams ran at ≈ 2 k (map) and ≈ 0.4 k (word count) input records/s here
  // (2026-12-02), so the quick run's 20 k would take a minute on its own.
  const n = Math.min(ctx.records, ctx.quick ? 2_000 : 20_000);
  const setup = clusterFor(broker, 'bench-streams-input');
  try {
    await createTopic(setup, INPUT, PARTITIONS);
    const p = new Producer(setup, { acks: -1 });
    await p.connect();
    await p.prepareTopic(INPUT);
    await sendRange(p, 0, n, (i) => ({ topic: INPUT, partition: i % PARTITIONS, value: line(i) }));
    await p.flush();
    await p.close();
  } finally {
    await setup.close();
  }
  const pipe: number[] = [];
  const map: StreamsSample[] = [];
  const wc: StreamsSample[] = [];
  const startedAt = performance.now();
  for (let rep = 0; rep < ctx.reps; rep++) {
    if (rep > 0 && overBudget(ctx, startedAt, 90_000)) break;
    pipe.push(await pipeRun(broker, `pipe-out-r${rep}`, n));
    map.push(await streamsRun(ctx, broker, `bench-map-r${rep}`, mapTopology(`map-out-r${rep}`), `map-out-r${rep}`, n));
    const wcApp = `bench-wc-r${rep}`;
    wc.push(await streamsRun(ctx, broker, wcApp, wordCountTopology(`wc-out-r${rep}`), `wc-out-r${rep}`, n, { topic: `${wcApp}-word-counts-repartition`, records: n * WORDS_PER_LINE }));
    ctx.log(`  streams rep ${rep + 1}: pipe ${pipe.at(-1)!.toFixed(0)} rec/s, map ${map.at(-1)!.recordsPerSec.toFixed(0)}, word count ${wc.at(-1)!.recordsPerSec.toFixed(0)}`);
  }
  const rows: Array<[string, StreamsSample[]]> = [['stateless mapValues', map], ['word count', wc]];
  for (const [name, ss] of rows) {
    const v = ss.map((s) => s.recordsPerSec);
    const row: Row = {
      scenario: '9 streams',
      case: `${name}, at_least_once`,
      metric: 'input records/s',
      unit: 'rec/s',
      value: median(v),
      samples: v,
      also: `group join ${median(ss.map((s) => s.joinMs)).toFixed(0)} ms before`,
      refs: [{ name: 'consume→produce pipe', value: median(pipe), ratio: pairedRatio(v, pipe), samples: pipe }],
      params: { records: n, partitions: PARTITIONS, wordsPerLine: WORDS_PER_LINE, guarantee: 'at_least_once', commitIntervalMs: 100, reps: ss.length },
    };
    ctx.rows.push(row);
  }
}
