import type { AckedBatch } from '../client/producer.ts';
import { formatTable } from './output.ts';

/**
 * `produce --print-offsets`: where the broker put each record (from the Produce response's base
 * offset). `records` prints `TOPIC<TAB>PARTITION<TAB>OFFSET` per record as batches are acknowledged —
 * in input order within a partition; `summary` prints, at the end, one row per partition with the
 * first and last offset written and the count.
 */
export class OffsetsPrinter {
  private readonly mode: 'records' | 'summary';
  private readonly ranges = new Map<string, { topic: string; partition: number; first: bigint; last: bigint; count: number }>();

  constructor(mode: 'records' | 'summary') {
    this.mode = mode;
  }

  acked(a: AckedBatch): void {
    if (this.mode === 'records') {
      let out = '';
      for (let i = 0; i < a.count; i++) out += `${a.topic}\t${a.partition}\t${a.baseOffset + BigInt(i)}\n`;
      process.stdout.write(out);
      return;
    }
    const key = `${a.topic}\0${a.partition}`;
    const last = a.baseOffset + BigInt(a.count - 1);
    const r = this.ranges.get(key);
    if (!r) this.ranges.set(key, { topic: a.topic, partition: a.partition, first: a.baseOffset, last, count: a.count });
    else {
      if (a.baseOffset < r.first) r.first = a.baseOffset;
      if (last > r.last) r.last = last;
      r.count += a.count;
    }
  }

  /** The summary table (nothing in records mode: every line is already out). */
  finish(): void {
    if (this.mode !== 'summary') return;
    const rows = [...this.ranges.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic.localeCompare(b.topic)));
    process.stdout.write(
      formatTable(
        ['TOPIC', { header: 'PARTITION', align: 'right' }, { header: 'FIRST-OFFSET', align: 'right' }, { header: 'LAST-OFFSET', align: 'right' }, { header: 'RECORDS', align: 'right' }],
        rows.map((r) => [r.topic, r.partition, r.first, r.last, r.count]),
      ),
    );
  }
}
