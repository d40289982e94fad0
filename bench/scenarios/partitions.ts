/**
 * Scenario 8 (issue 20.1): does the broker's cost per record grow with the number of partitions?
 * Our client (src/client Producer, acks=1, default murmur2 key partitioner) produces N keyed records
 * of 100 B into topics of 1, 100 and 1,000 partitions on the same child `kstream serve`, one topic
 * after the other in every repetition. The figure is the broker's CPU time (utime + stime from
 * /proc/<pid>/stat, which barely moves when other work shares the machine) per record over the send
 * → last acknowledgement window; topic creation and metadata are outside it. The reference is the
 * 1-partition topic of the same repetition; ratio = CPU(1) / CPU(P), so the goal "1000:1 ≤ 2×" is
 * ratio ≥ 0.50. Each run checks the partitions' end offsets add up to N.
 */
import { performance } from 'node:perf_hooks';
import { Producer } from '../../src/client/producer.ts';
import type { BrokerHandle } from '../lib/broker.ts';
import { clusterFor, createTopic, expectRecords, sendRange } from '../lib/client.ts';
import { overBudget, type Ctx } from '../lib/context.ts';
import type { Row } from '../lib/report.ts';
import { median } from '../lib/stats.ts';

const VALUE = Buffer.alloc(100, 'x');
const COUNTS = [1, 100, 1000] as const;

interface Sample {
  cpuUsPerRecord: number;
  recordsPerSec: number;
}

async function partitionRun(broker: BrokerHandle, topic: string, partitions: number, n: number): Promise<Sample> {
  const cluster = clusterFor(broker, 'bench-partitions');
  try {
    await createTopic(cluster, topic, partitions);
    const p = new Producer(cluster, { acks: 1, idempotent: false, lingerMs: 5 });
    await p.connect();
    const seen = await p.prepareTopic(topic);
    if (seen !== partitions) throw new Error(`topic ${topic}: client sees ${seen} partitions, created ${partitions}`);
    const keys = Array.from({ length: 10_000 }, (_, i) => Buffer.from(`key-${i}`));
    const cpu0 = broker.cpuMs();
    const t0 = performance.now();
    await sendRange(p, 0, n, (i) => ({ topic, key: keys[i % keys.length]!, value: VALUE }));
    await p.flush();
    const ms = performance.now() - t0;
    const cpuMs = broker.cpuMs() - cpu0;
    await p.close();
    await expectRecords(cluster, topic, n);
    return { cpuUsPerRecord: (cpuMs * 1000) / n, recordsPerSec: n / (ms / 1000) };
  } finally {
    await cluster.close();
  }
}

export async function partitionsScenario(ctx: Ctx, broker: BrokerHandle): Promise<void> {
  const n = Math.min(ctx.records, ctx.quick ? 20_000 : 500_000);
  const samples = new Map<number, Sample[]>(COUNTS.map((c) => [c, []]));
  // Unmeasured warm-up (JIT in broker and client), so the 1-partition reference does not pay for it.
  await partitionRun(broker, 'parts-warmup', 10, Math.min(n, 10_000));
  const startedAt = performance.now();
  for (let rep = 0; rep < ctx.reps; rep++) {
    if (rep > 0 && overBudget(ctx, startedAt, 90_000)) break;
    for (const c of COUNTS) {
      const s = await partitionRun(broker, `parts-${c}-r${rep}`, c, n);
      samples.get(c)!.push(s);
      ctx.log(`  partitions ${c} rep ${rep + 1}: broker CPU ${s.cpuUsPerRecord.toFixed(2)} µs/record, ${s.recordsPerSec.toFixed(0)} rec/s`);
    }
  }
  const one = samples.get(1)!.map((s) => s.cpuUsPerRecord);
  for (const c of COUNTS) {
    const ss = samples.get(c)!;
    const cpu = ss.map((s) => s.cpuUsPerRecord);
    // Paired: CPU(1)/CPU(P) within each repetition, median over repetitions.
    const r = median(cpu.map((v, i) => one[i]! / v));
    const row: Row = {
      scenario: '8 partitions',
      case: `${c} partition${c === 1 ? '' : 's'}, keyed`,
      metric: 'broker CPU per record',
      unit: 'µs/rec',
      value: median(cpu),
      samples: cpu,
      also: `${median(ss.map((s) => s.recordsPerSec)).toFixed(0)} rec/s${c === 1 ? '' : `, ${c}:1 = ${(1 / r).toFixed(2)}×`}`,
      refs: c === 1 ? [] : [{ name: '1 partition', value: median(one), ratio: r, samples: one }],
      params: { records: n, valueBytes: 100, partitions: c, keys: 10_000, producer: 'src/client Producer acks=1 lingerMs=5', reps: ss.length },
    };
    if (c === 1000) row.goal = { text: '1000:1 ≤ 2× (ratio ≥ 0.50)', met: r >= 0.5 };
    ctx.rows.push(row);
  }
}
