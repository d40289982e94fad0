/**
 * Scenarios 1 and 2: broker produce and fetch throughput, driven by kcat.
 *
 * Produce: `kcat -P -l FILE` of N records of `size` bytes into `kstream serve`, acks=1 and acks=all,
 * interleaved run by run with the same kcat command against librdkafka's in-memory mock broker (the
 * load generator's ceiling) and with a sequential write + fdatasync of the same bytes into the data
 * dir's filesystem (the disk's ceiling).
 * Fetch: `kcat -C -e -o beginning` (FETCH_PROPS) of the acks=1 topic to /dev/null, interleaved with a raw loopback
 * TCP stream of the topic's log bytes between two node processes.
 * Memory under load: VmRSS of the broker sampled every 20 ms during the produce runs, plus VmHWM.
 */
import type { BrokerHandle } from '../lib/broker.ts';
import { topicLogBytes } from '../lib/broker.ts';
import { overBudget, pairedRatio, type Ctx } from '../lib/context.ts';
import { performance } from 'node:perf_hooks';
import { plainRecords } from '../lib/data.ts';
import { kcatConsume, kcatLastOffset, kcatProduce } from '../lib/kcat.ts';
import { diskWriteMs, loopbackMs } from '../lib/references.ts';
import { median, MB } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';

export const PRODUCE_PROPS = { 'linger.ms': 5, 'batch.num.messages': 10000 } as const;
/**
 * kcat consumer settings for the fetch scenario. librdkafka's defaults add waits that measure the
 * client, not the broker: with queued.min.messages=100000 the fetcher stops once 100 k messages are
 * queued and resumes only at the broker thread's next wake-up (0.7 s gaps observed), and `-e` exits
 * only after an empty fetch at the high watermark, which any Kafka broker holds for
 * fetch.wait.max.ms (500 ms by default). Scenario 3 keeps the defaults (what a user gets).
 */
export const FETCH_PROPS = { 'queued.min.messages': 10_000_000, 'queued.max.messages.kbytes': 2_097_151, 'fetch.wait.max.ms': 20 } as const;
const ACKS = ['1', 'all'] as const;
type Acks = (typeof ACKS)[number];

export interface ProduceOptions {
  /** acks settings to run (default both). */
  acks?: readonly Acks[];
  /** Appended to the case name, e.g. ' fsync=always'. */
  label?: string;
  /** Broker settings of this run, recorded in the row's parameters. */
  brokerConfig?: Record<string, string | number>;
}

export interface ThroughputResult {
  /** Topics produced with acks=1 (one per rep), for the fetch runs. */
  fetchTopics: string[];
  peakRssKb: number;
}

/** Sample the broker's RSS while `work` runs; returns the highest sample (KiB). */
async function sampleRss<T>(broker: BrokerHandle, work: () => Promise<T>): Promise<{ value: T; peakKb: number }> {
  let peak = broker.rssKb();
  const timer = setInterval(() => {
    const v = broker.rssKb();
    if (v > peak) peak = v;
  }, 20);
  try {
    const value = await work();
    return { value, peakKb: Math.max(peak, broker.rssKb()) };
  } finally {
    clearInterval(timer);
  }
}

export async function produceScenario(
  ctx: Ctx,
  broker: BrokerHandle | undefined,
  size: number,
  startError?: string,
  opts: ProduceOptions = {},
): Promise<ThroughputResult> {
  const acksList = opts.acks ?? ACKS;
  const label = opts.label ?? '';
  const file = plainRecords(ctx.tmp, ctx.records, size);
  const n = ctx.records;
  const ks: Record<string, number[]> = { '1': [], all: [] };
  const mock: Record<string, number[]> = { '1': [], all: [] };
  const disk: number[] = [];
  /** Broker CPU ms per MB of values, per acks setting. */
  const cpu: Record<string, number[]> = { '1': [], all: [] };
  const errors: Record<string, string> = startError ? { '1': startError, all: startError } : {};
  const fetchTopics: string[] = [];
  let peakRssKb = 0;

  // One unmeasured warm-up run per broker (JIT, first topic creation), like the reps after it.
  if (broker) {
    const warm = plainRecords(ctx.tmp, Math.min(n, 20_000), size);
    await kcatProduce({ bootstrap: broker.bootstrap, topic: `warmup-${size}`, file: warm.path, props: { ...PRODUCE_PROPS, acks: '1' }, timeoutMs: ctx.timeoutMs }).catch(
      () => undefined,
    );
  }

  const t0 = performance.now();
  for (let rep = 0; rep < ctx.reps; rep++) {
    if (rep > 0 && overBudget(ctx, t0, 120_000, 120_000)) {
      ctx.log(`  produce ${size} B: time share used after ${rep} reps`);
      break;
    }
    for (const acks of acksList) {
      const props = { ...PRODUCE_PROPS, acks };
      const m = await kcatProduce({ bootstrap: 'mock', topic: 'bench', file: file.path, props, timeoutMs: ctx.timeoutMs });
      mock[acks]!.push(n / (m.ms / 1000));
      if (errors[acks] || !broker) continue;
      const topic = `produce-${size}-acks${acks}${label.trim().replace(/[^a-z0-9]+/gi, '-')}-r${rep}`;
      try {
        const cpu0 = broker.cpuMs();
        const { value: r, peakKb } = await sampleRss(broker, () =>
          kcatProduce({ bootstrap: broker.bootstrap, topic, file: file.path, props, timeoutMs: ctx.timeoutMs }),
        );
        cpu[acks]!.push((broker.cpuMs() - cpu0) / (file.payloadBytes / MB));
        peakRssKb = Math.max(peakRssKb, peakKb);
        const last = await kcatLastOffset(broker.bootstrap, topic);
        if (last !== n - 1) throw new Error(`topic ${topic} ends at offset ${last}, expected ${n - 1}`);
        ks[acks]!.push(n / (r.ms / 1000));
        if (acks === '1') fetchTopics.push(topic);
        ctx.log(`  produce ${size} B acks=${acks} rep ${rep + 1}: kstream ${(r.ms / 1000).toFixed(2)} s, mock ${(m.ms / 1000).toFixed(2)} s`);
      } catch (e) {
        errors[acks] = (e as Error).message.split('\n')[0]!;
        ctx.log(`  produce ${size} B acks=${acks}: ${errors[acks]}`);
      }
    }
    disk.push(n / (diskWriteMs(broker?.dataDir ?? ctx.tmp, file.payloadBytes) / 1000));
  }

  const toMBs = (recPerSec: number): number => (recPerSec * size) / MB;
  for (const acks of acksList) {
    const v = median(ks[acks]!);
    const mockV = median(mock[acks]!);
    const diskV = median(disk);
    const row: Row = {
      scenario: '1 produce',
      case: `${size} B acks=${acks}${label}`,
      metric: 'records/s',
      unit: 'rec/s',
      value: v,
      samples: ks[acks]!,
      also: `${toMBs(v).toFixed(1)} MB/s, broker CPU ${median(cpu[acks]!).toFixed(1)} ms/MB`,
      refs: [
        { name: 'kcat→mock', value: mockV, ratio: pairedRatio(ks[acks]!, mock[acks]!), samples: mock[acks]! },
        { name: 'disk write+fdatasync', value: diskV, ratio: pairedRatio(ks[acks]!, disk), samples: disk },
      ],
      params: { records: n, valueBytes: size, payloadBytes: file.payloadBytes, acks, kcat: { ...PRODUCE_PROPS, acks }, reps: ctx.reps, brokerCpuMsPerMB: cpu[acks], broker: opts.brokerConfig ?? 'defaults (log.fsync=interval)' },
      error: errors[acks],
    };
    if (size === 100 && !label) row.goal = { text: '≥ 0.50 of kcat→mock', met: row.refs[0]!.ratio >= 0.5 };
    ctx.rows.push(row);
  }
  return { fetchTopics, peakRssKb };
}

export async function fetchScenario(ctx: Ctx, broker: BrokerHandle | undefined, size: number, topics: string[], startError?: string): Promise<void> {
  const n = ctx.records;
  const ks: number[] = [];
  const loop: number[] = [];
  const cpu: number[] = [];
  let bytes = 0;
  let error: string | undefined = startError;
  if (!error && topics.length === 0) error = 'no produced topic to fetch (produce failed)';
  const t0 = performance.now();
  for (let rep = 0; rep < ctx.reps; rep++) {
    if (rep > 0 && overBudget(ctx, t0, 30_000, 90_000)) break;
    const topic = topics[rep % topics.length];
    // Without a topic, still measure the reference on the volume the records would take.
    bytes = (broker && topic ? topicLogBytes(broker.dataDir, topic) : 0) || n * (size + 8);
    loop.push(bytes / (await loopbackMs(bytes, ctx.timeoutMs)) / 1000);
    if (error || !broker || !topic) continue;
    try {
      const cpu0 = broker.cpuMs();
      const r = await kcatConsume(broker.bootstrap, topic, ctx.timeoutMs, FETCH_PROPS);
      cpu.push((broker.cpuMs() - cpu0) / (bytes / MB));
      ks.push(bytes / r.ms / 1000);
      ctx.log(`  fetch ${size} B rep ${rep + 1}: kstream ${(r.ms / 1000).toFixed(2)} s for ${(bytes / MB).toFixed(0)} MB`);
    } catch (e) {
      error = (e as Error).message.split('\n')[0]!;
    }
  }
  const v = median(ks);
  const loopV = median(loop);
  const r = pairedRatio(ks, loop);
  ctx.rows.push({
    scenario: '2 fetch',
    case: `${size} B`,
    metric: 'MB/s',
    unit: 'MB/s',
    value: v,
    samples: ks,
    also: `${((v * MB) / (bytes / n) / 1e6).toFixed(2)} M rec/s, broker CPU ${median(cpu).toFixed(1)} ms/MB`,
    refs: [{ name: 'loopback TCP', value: loopV, ratio: r, samples: loop }],
    goal: { text: '≥ 0.50 of loopback', met: r >= 0.5 },
    params: { records: n, valueBytes: size, logBytes: bytes, kcat: { cmd: 'kcat -C -e -o beginning > /dev/null', ...FETCH_PROPS }, reps: ctx.reps, brokerCpuMsPerMB: cpu },
    error,
  });
}
