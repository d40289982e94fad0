import { describe, expect, it } from 'vitest';
import { encodeEndTxnMarkerBatch, readEndTxnMarker } from '../../src/protocol/records/control-batch.ts';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import type { PartitionLog } from '../../src/storage/partition-log.ts';
import { verifyPartition } from '../../src/storage/verify.ts';
import { useLogManagers } from './log-manager-harness.ts';

/**
 * Compaction of a partition holding transactions follows Kafka's LogCleaner: aborted data goes (found
 * through the .txnindex), markers stay until delete.retention.ms after their transaction's data is gone,
 * nothing at or past the last stable offset is touched, and a producer's last data batch is kept
 * (emptied) so its sequence survives.
 */

const env = useLogManagers('kstream-txncompact-');
const open = () => env.open();
const DAY = 86_400_000;

interface SeenBatch {
  baseOffset: number;
  control: 'commit' | 'abort' | null;
  producerId: bigint;
  records: [number, string | null, string | null][];
}

/** Every batch from logStartOffset up to the bound the isolation level allows. */
async function batches(log: PartitionLog, isolation: 'read_committed' | 'read_uncommitted') {
  const out: SeenBatch[] = [];
  let next = log.logStartOffset;
  let aborted: { producerId: bigint; firstOffset: number }[] = [];
  const end = isolation === 'read_committed' ? log.lastStableOffset : log.highWatermark;
  while (next < end) {
    const r = await log.read(next, 1 << 20, { isolation });
    if (r.abortedTransactions) for (const a of r.abortedTransactions) if (!aborted.some((x) => x.firstOffset === a.firstOffset)) aborted.push(a);
    let at = 0;
    let any = false;
    while (at + 12 <= r.records.length) {
      const d = decodeRecordBatch(r.records, at);
      at += d.size;
      any = true;
      next = d.baseOffset + d.lastOffsetDelta + 1;
      const marker = d.isControl ? readEndTxnMarker(d) : null;
      out.push({ baseOffset: d.baseOffset, control: d.isControl ? (marker?.type ?? null) : null, producerId: d.producerId, records: d.isControl ? [] : d.records.map((x) => [x.offset, x.key?.toString() ?? null, x.value?.toString() ?? null]) });
    }
    if (!any) break;
  }
  return { out, aborted };
}

/**
 * What a consumer sees: read_uncommitted every data record; read_committed drops data of aborted
 * transactions (the Java consumer's rule: a transactional batch of a producer whose aborted transaction
 * started at or before it, until that producer's ABORT marker).
 */
async function consume(log: PartitionLog, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const { out, aborted } = await batches(log, isolation);
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  const open = new Set<bigint>();
  const seen: string[] = [];
  for (const b of out) {
    while (isolation === 'read_committed' && pending.length > 0 && pending[0]!.firstOffset <= b.baseOffset) open.add(pending.shift()!.producerId);
    if (b.control === 'abort') open.delete(b.producerId);
    if (b.control !== null || open.has(b.producerId)) continue;
    for (const [off, k, v] of b.records) seen.push(`${off}:${k}=${v}`);
  }
  return seen;
}

describe('transactional compaction (Kafka LogCleaner transaction rules)', () => {
  it('removes aborted data, keeps markers until delete.retention.ms, leaves ongoing transactions alone, and survives recovery', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '600', 'delete.retention.ms': String(DAY), 'min.cleanable.dirty.ratio': '0.01' } });
    const log = m.partition('t', 0)!;
    const opts = { logAppendTime: false };
    const data = (pid: number, seq: number, txn: boolean, recs: [string, string][]) =>
      log.append(
        encodeRecordBatch({ transactional: txn, producerId: BigInt(pid), producerEpoch: 0, baseSequence: seq, records: recs.map(([key, value]) => ({ key, value, timestamp: env.clock })) }),
        opts,
      );
    const plain = (key: string, value: string) => log.append(encodeRecordBatch({ records: [{ key, value, timestamp: env.clock }] }), opts);
    const marker = (pid: number, type: 'commit' | 'abort') =>
      log.append(encodeEndTxnMarkerBatch({ type, coordinatorEpoch: 0, producerId: BigInt(pid), producerEpoch: 0, timestamp: env.clock }), { ...opts, origin: 'coordinator' });

    expect((await data(1, 0, true, [['k1', 'c1'], ['k2', 'c2']])).baseOffset).toBe(0); // committed txn of producer 1
    expect((await data(2, 0, true, [['k1', 'ab1'], ['k3', 'ab3']])).baseOffset).toBe(2); // aborted txn of producer 2
    expect((await marker(1, 'commit')).baseOffset).toBe(4);
    expect((await marker(2, 'abort')).baseOffset).toBe(5);
    await plain('k1', 'p1'); // 6: supersedes the committed k1
    await plain('k4', 'p4'); // 7
    expect((await data(4, 0, false, [['k7', 'd1']])).baseOffset).toBe(8); // idempotent producer 4's only batch
    await plain('k7', 'p7'); // 9: supersedes it
    expect((await data(2, 2, true, [['k6', 'b6']])).baseOffset).toBe(10); // producer 2's next txn, committed
    await marker(2, 'commit'); // 11
    for (let i = 0; i < 6; i++) await plain(`f${i}`, 'x'.repeat(150)); // 12..17: roll the above out of the active segment
    expect((await data(3, 0, true, [['k1', 'on1'], ['k2', 'on2']])).baseOffset).toBe(18); // producer 3's ongoing txn
    for (let i = 0; i < 6; i++) await plain(`g${i}`, 'y'.repeat(150)); // 20..25
    expect(log.lastStableOffset).toBe(18);
    const segOf = (o: number) => log.segmentList.filter((s) => s.baseOffset <= o).at(-1)!;
    expect(segOf(11).nextOffset).toBeLessThanOrEqual(18); // the transactions above are cleanable
    expect(segOf(25)).toBe(log.segmentList.at(-1)); // and the ongoing one sits in inactive segments too
    expect(segOf(18)).not.toBe(log.segmentList.at(-1));

    // Before cleaning: read_committed hides the aborted and the ongoing data; read_uncommitted shows all.
    const rcBefore = await consume(log, 'read_committed');
    expect(rcBefore.filter((r) => r.includes('ab'))).toEqual([]);
    expect((await consume(log, 'read_uncommitted')).filter((r) => r.includes('=ab') || r.includes('=on'))).toEqual(['2:k1=ab1', '3:k3=ab3', '18:k1=on1', '19:k2=on2']);
    const pastLso = (await batches(log, 'read_uncommitted')).out.filter((b) => b.baseOffset >= 18);

    await log.compact(env.clock);
    expect(await verifyPartition(log)).toEqual([]);
    const ru = await consume(log, 'read_uncommitted');
    const rc = await consume(log, 'read_committed');
    // Aborted records are gone; committed ones follow key compaction (k1=c1 superseded by p1, k2=c2 kept).
    expect(ru.filter((r) => r.includes('=ab'))).toEqual([]);
    expect(ru.filter((r) => Number(r.split(':')[0]) < 18)).toEqual(['1:k2=c2', '6:k1=p1', '7:k4=p4', '9:k7=p7', '10:k6=b6', ...[0, 1, 2, 3, 4, 5].map((i) => `${12 + i}:f${i}=${'x'.repeat(150)}`)]);
    // Both isolation levels agree below the LSO: nothing aborted is left to filter.
    expect(rc).toEqual(ru.filter((r) => Number(r.split(':')[0]) < 18));
    expect(rcBefore.filter((r) => !r.startsWith('0:k1=c1') && !r.startsWith('8:k7=d1'))).toEqual(rc);
    // The ongoing transaction (and everything past the LSO) is untouched.
    expect((await batches(log, 'read_uncommitted')).out.filter((b) => b.baseOffset >= 18)).toEqual(pastLso);
    // Producer 4's last batch is kept, emptied, for its sequence; producer 2's aborted batch is gone.
    let all = (await batches(log, 'read_uncommitted')).out;
    expect(all.find((b) => b.baseOffset === 8)).toEqual({ baseOffset: 8, control: null, producerId: 4n, records: [] });
    expect(all.find((b) => b.baseOffset === 2)).toBeUndefined();
    // Markers all stay for now; the abort is still indexed (its data was removed in this very pass).
    const markers = () => all.filter((b) => b.control !== null).map((b) => `${b.baseOffset}:${b.control}`);
    expect(markers()).toEqual(['4:commit', '5:abort', '11:commit']);
    expect(log.txnIndex.entries.map((e) => e.lastOffset)).toEqual([5]);

    // Next run: the abort marker's transaction has no data left, so it gets its delete horizon.
    await log.compact(env.clock);
    all = (await batches(log, 'read_uncommitted')).out;
    expect(markers()).toEqual(['4:commit', '5:abort', '11:commit']);
    expect(log.txnIndex.entries).toEqual([]);
    env.clock += DAY - 1;
    await log.compact(env.clock);
    all = (await batches(log, 'read_uncommitted')).out;
    expect(markers()).toEqual(['4:commit', '5:abort', '11:commit']);
    env.clock += 1; // delete.retention.ms after the data went: the marker goes; commit markers with data stay
    await log.compact(env.clock);
    all = (await batches(log, 'read_uncommitted')).out;
    expect(markers()).toEqual(['4:commit', '11:commit']);
    expect(await consume(log, 'read_committed')).toEqual(rc);
    expect(await consume(log, 'read_uncommitted')).toEqual(ru);
    expect(await verifyPartition(log)).toEqual([]);
    const finalBatches = all;

    // Recovery rebuilds the same state: after a clean close, then after a crash (the first reopen is
    // left open, its clean-shutdown marker gone, so the second one recovers as after a crash).
    await m.close();
    env.abandon();
    const crashed: LogManager[] = [];
    for (const pass of ['clean', 'crash']) {
      const m2 = await open();
      const log2 = m2.partition('t', 0)!;
      expect(await verifyPartition(log2), pass).toEqual([]);
      expect(log2.lastStableOffset, pass).toBe(18);
      expect((await batches(log2, 'read_uncommitted')).out, pass).toEqual(finalBatches);
      expect(await consume(log2, 'read_committed'), pass).toEqual(rc);
      expect(log2.txnIndex.entries, pass).toEqual([]);
      if (pass === 'clean') crashed.push(...env.abandon());
    }
    for (const c of crashed) await c.close().catch(() => undefined);
  });
  it("keeps a producer's last marker, emptied, once its horizon passes when the producer has no data left (its epoch)", async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '600', 'delete.retention.ms': String(DAY), 'min.cleanable.dirty.ratio': '0.01' } });
    const log = m.partition('t', 0)!;
    const opts = { logAppendTime: false };
    // A transaction of producer 5 with no data in this partition: just its COMMIT marker.
    await log.append(encodeEndTxnMarkerBatch({ type: 'commit', coordinatorEpoch: 0, producerId: 5n, producerEpoch: 3, timestamp: env.clock }), { ...opts, origin: 'coordinator' });
    for (let i = 0; i < 10; i++) await log.append(encodeRecordBatch({ records: [{ key: `f${i % 3}`, value: 'x'.repeat(150), timestamp: env.clock }] }), opts);
    await log.compact(env.clock); // stamps the delete horizon
    let first = (await batches(log, 'read_uncommitted')).out[0]!;
    expect(first).toEqual({ baseOffset: 0, control: 'commit', producerId: 5n, records: [] });
    env.clock += DAY;
    await log.compact(env.clock);
    const r = await log.read(0, 1 << 20);
    const d = decodeRecordBatch(r.records, 0);
    expect([d.baseOffset, d.isControl, d.producerId, d.producerEpoch, d.recordCount]).toEqual([0, true, 5n, 3, 0]);
    expect(await verifyPartition(log)).toEqual([]);
    first = (await batches(log, 'read_uncommitted')).out[0]!;
    expect(first.control).toBeNull(); // no marker record left in it
  });
});
