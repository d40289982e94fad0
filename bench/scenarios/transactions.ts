/**
 * Scenario 7 (issue 15): the cost of transactions. Our client (src/client) produces N records of
 * 100 B to a one-partition topic, acks=all, idempotent only — the reference — and transactional with
 * one transaction per 1,000 and per 10,000 records (TransactionalProducer: begin, sends, commit, which
 * flushes and ends the transaction through the coordinator, docs/transactions.md). The three run back
 * to back in every repetition against the same broker; the ratio is transactional / idempotent
 * records/s (1.00 = transactions cost nothing). Each run checks the topic's end offset: N records plus
 * one commit marker per transaction.
 */
import { performance } from 'node:perf_hooks';
import { Producer } from '../../src/client/producer.ts';
import { TransactionalProducer } from '../../src/client/transactional-producer.ts';
import type { BrokerHandle } from '../lib/broker.ts';
import { clusterFor, createTopic, expectRecords, sendRange } from '../lib/client.ts';
import { overBudget, pairedRatio, type Ctx } from '../lib/context.ts';
import type { Row } from '../lib/report.ts';
import { median } from '../lib/stats.ts';

const VALUE = Buffer.alloc(100, 'x');

export function transactionRecords(ctx: Ctx): number {
  return Math.min(ctx.records, ctx.quick ? 20_000 : 200_000);
}

async function idempotentRun(broker: BrokerHandle, topic: string, n: number): Promise<number> {
  const cluster = clusterFor(broker, 'bench-idempotent');
  try {
    await createTopic(cluster, topic, 1);
    const p = new Producer(cluster, { acks: -1, idempotent: true });
    await p.connect();
    await p.prepareTopic(topic);
    const t0 = performance.now();
    await sendRange(p, 0, n, () => ({ topic, partition: 0, value: VALUE }));
    await p.flush();
    const ms = performance.now() - t0;
    await p.close();
    await expectRecords(cluster, topic, n);
    return n / (ms / 1000);
  } finally {
    await cluster.close();
  }
}

async function transactionalRun(broker: BrokerHandle, topic: string, n: number, perTxn: number): Promise<number> {
  const cluster = clusterFor(broker, 'bench-transactional');
  try {
    await createTopic(cluster, topic, 1);
    const p = new TransactionalProducer(cluster, { transactionalId: `bench-${topic}` });
    await p.initTransactions();
    await p.prepareTopic(topic);
    const t0 = performance.now();
    let txns = 0;
    for (let from = 0; from < n; from += perTxn) {
      p.beginTransaction();
      await sendRange(p, from, Math.min(n, from + perTxn), () => ({ topic, partition: 0, value: VALUE }));
      await p.commitTransaction();
      txns++;
    }
    const ms = performance.now() - t0;
    await p.close();
    await expectRecords(cluster, topic, n, txns);
    return n / (ms / 1000);
  } finally {
    await cluster.close();
  }
}

export async function transactionsScenario(ctx: Ctx, broker: BrokerHandle): Promise<void> {
  const n = transactionRecords(ctx);
  const sizes = [1_000, 10_000];
  const idem: number[] = [];
  const txn: Record<number, number[]> = { 1000: [], 10000: [] };
  // Unmeasured warm-up of both code paths (JIT, connections): otherwise the first run pays for it.
  await idempotentRun(broker, 'txn-warmup-idem', Math.min(n, 5_000));
  await transactionalRun(broker, 'txn-warmup-txn', Math.min(n, 5_000), 1_000);
  const startedAt = performance.now();
  for (let rep = 0; rep < ctx.reps; rep++) {
    if (rep > 0 && overBudget(ctx, startedAt, 60_000)) break;
    idem.push(await idempotentRun(broker, `txn-idem-r${rep}`, n));
    for (const per of sizes) txn[per]!.push(await transactionalRun(broker, `txn-${per}-r${rep}`, n, per));
    ctx.log(`  transactions rep ${rep + 1}: idempotent ${idem.at(-1)!.toFixed(0)} rec/s, per 1000 ${txn[1000]!.at(-1)!.toFixed(0)}, per 10000 ${txn[10000]!.at(-1)!.toFixed(0)}`);
  }
  for (const per of sizes) {
    const row: Row = {
      scenario: '7 transactions',
      case: `1 txn per ${per.toLocaleString('en')} records`,
      metric: 'records/s',
      unit: 'rec/s',
      value: median(txn[per]!),
      samples: txn[per]!,
      refs: [{ name: 'idempotent only', value: median(idem), ratio: pairedRatio(txn[per]!, idem), samples: idem }],
      params: { records: n, valueBytes: 100, partitions: 1, recordsPerTransaction: per, client: 'src/client TransactionalProducer vs Producer{acks:-1, idempotent}', reps: idem.length },
    };
    ctx.rows.push(row);
  }
}
