import { describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OffsetOutOfRangeError } from '../../src/storage/errors.ts';
import { useLogManagers } from './log-manager-harness.ts';
import { batchOf, listBatches, makeBatch } from './helpers.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const env = useLogManagers();
const open = () => env.open();
const DAY = 86_400_000;

const logFiles = async () => (await readdir(join(env.dir, 't-0'))).filter((f) => f.endsWith('.log')).sort();

describe('retention', () => {
  it('deletes whole segments older than retention.ms (default 7 days), never the active one', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '1500' } });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 12; i++) await log.append(batchOf(2, env.clock, `old${i}`, 200), { logAppendTime: false });
    const oldSegments = log.segmentList.length;
    expect(oldSegments).toBeGreaterThan(2);
    env.clock += 3 * DAY;
    for (let i = 0; i < 12; i++) await log.append(batchOf(2, env.clock, `new${i}`, 200), { logAppendTime: false });
    expect(await m.runRetention()).toBe(0); // nothing older than 7 days yet
    env.clock += 5 * DAY; // old batches are 8 days old, new ones 5
    const deleted = await m.runRetention();
    expect(deleted).toBeGreaterThanOrEqual(oldSegments - 1);
    const firstNew = log.segmentList[0]!;
    expect(log.logStartOffset).toBe(firstNew.baseOffset);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeLessThanOrEqual(24);
    await expect(log.read(0, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    const r = await log.read(log.logStartOffset, 1 << 20);
    expect(r.logStartOffset).toBe(log.logStartOffset);
    expect(listBatches(r.records)[0]!.baseOffset).toBe(log.logStartOffset);
    expect((await logFiles())[0]).toBe(String(log.logStartOffset).padStart(20, '0') + '.log');
    // Everything expires: still the active segment stays, with the log end untouched.
    env.clock += 30 * DAY;
    await m.runRetention();
    expect(log.segmentList.length).toBe(1);
    expect(log.logEndOffset).toBe(48);
    expect((await log.append(batchOf(1, env.clock), { logAppendTime: false })).baseOffset).toBe(48);
    await m.close();
    const m2 = await open();
    expect(m2.partition('t', 0)!.logStartOffset).toBe(log.logStartOffset);
  });

  it('deletes oldest segments beyond retention.bytes', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '1000', 'retention.bytes': '2500' } });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 30; i++) await log.append(batchOf(1, env.clock, `s${i}`, 200), { logAppendTime: false });
    const before = log.size;
    expect(before).toBeGreaterThan(2500);
    const segsBefore = log.segmentList.length;
    expect(await m.runRetention()).toBeGreaterThan(0);
    expect(log.segmentList.length).toBeLessThan(segsBefore);
    // Kafka's rule: a segment goes only if the log stays at or above retention.bytes without it, so
    // what is left exceeds the limit by less than its oldest segment.
    const oldest = log.segmentList[0]!;
    expect(log.size).toBeGreaterThanOrEqual(2500);
    expect(log.size - oldest.size).toBeLessThan(2500);
    expect(log.logStartOffset).toBe(oldest.baseOffset);
    expect((await logFiles()).length).toBe(log.segmentList.length);
  });

  it('applies no time/size retention to compact-only topics', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '1000', 'retention.ms': '1', 'cleanup.policy': 'compact' } });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 10; i++) await log.append(batchOf(1, env.clock, `k${i}`, 200), { logAppendTime: false });
    env.clock += DAY;
    expect(await m.runRetention()).toBe(0);
    expect(log.logStartOffset).toBe(0);
  });

  it('deleteRecordsBefore advances the log start offset, deletes covered segments, persists', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '1000' } });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 20; i++) await log.append(batchOf(1, env.clock, `d${i}`, 200), { logAppendTime: false });
    const segs = log.segmentList.map((s) => s.baseOffset);
    const target = segs[2]! + 1;
    expect(await log.deleteRecordsBefore(target)).toBe(target);
    expect(log.segmentList[0]!.baseOffset).toBe(segs[2]);
    await expect(log.read(target - 1, 100)).rejects.toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect(listBatches((await log.read(target, 1)).records)[0]!.baseOffset).toBe(target);
    await expect(log.deleteRecordsBefore(21)).rejects.toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
    await m.close();
    const m2 = await open();
    expect(m2.partition('t', 0)!.logStartOffset).toBe(target);
    // Through the manager the new start is persisted before resolving: it survives a crash.
    expect(await m2.deleteRecords('t', 0, target + 2)).toBe(target + 2);
    await expect(m2.deleteRecords('t', 5, 0)).rejects.toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    env.abandon();
    const m3 = await open();
    expect(m3.cleanShutdown).toBe(false);
    expect(m3.partition('t', 0)!.logStartOffset).toBe(target + 2);
  });
});

describe('timestamps', () => {
  it('offsetForTimestamp finds the first record at or after ts; maxTimestampOffset the newest', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '2000', 'index.interval.bytes': '100' } });
    const log = m.partition('t', 0)!;
    // batch i: 3 records at ts base + 10i, +1, +2 ; offsets 3i..3i+2
    const base = env.clock - 1_000_000;
    for (let i = 0; i < 40; i++) await log.append(batchOf(3, base + 10 * i, `t${i}`, 40), { logAppendTime: false });
    expect(log.segmentList.length).toBeGreaterThan(2);
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: base });
    expect(await log.offsetForTimestamp(base + 10 * 17 + 1)).toEqual({ offset: 52, timestamp: base + 171 });
    expect(await log.offsetForTimestamp(base + 10 * 17 + 3)).toEqual({ offset: 54, timestamp: base + 180 });
    expect(await log.offsetForTimestamp(base + 10 * 39 + 2)).toEqual({ offset: 119, timestamp: base + 392 });
    expect(await log.offsetForTimestamp(base + 10 * 39 + 3)).toBeNull();
    expect(await log.maxTimestampOffset()).toEqual({ offset: 119, timestamp: base + 392 });
    await m.close();
    const m2 = await open();
    const log2 = m2.partition('t', 0)!;
    expect(await log2.offsetForTimestamp(base + 10 * 17 + 1)).toEqual({ offset: 52, timestamp: base + 171 });
    expect(await log2.maxTimestampOffset()).toEqual({ offset: 119, timestamp: base + 392 });
  });

  it('offsetForTimestamp resolves records inside compressed batches', async () => {
    const { encodeRecordBatch } = await import('../../src/protocol/records/record-batch.ts');
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    const base = env.clock - 10_000;
    for (const compression of ['gzip', 'lz4', 'snappy'] as const) {
      const records = Array.from({ length: 10 }, (_, i) => ({ value: `z${i}`, timestamp: base + i * 10 }));
      await log.append(encodeRecordBatch({ records, compression }), { logAppendTime: false });
    }
    // Batches 2 and 3 repeat the same timestamps; the first match is in batch 1 (offsets 0-9).
    expect(await log.offsetForTimestamp(base + 41)).toEqual({ offset: 5, timestamp: base + 50 });
    expect(await log.offsetForTimestamp(base + 90)).toEqual({ offset: 9, timestamp: base + 90 });
    expect(await log.offsetForTimestamp(base + 91)).toBeNull();
    expect(await log.maxTimestampOffset()).toEqual({ offset: 9, timestamp: base + 90 });
  });

  it('maxTimestampOffset names the record with the largest timestamp, not the batch end', async () => {
    const { encodeRecordBatch } = await import('../../src/protocol/records/record-batch.ts');
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    const t = env.clock - 5000;
    await log.append(makeBatch([{ value: 'a', timestamp: t + 5 }, { value: 'b', timestamp: t + 100 }, { value: 'c', timestamp: t + 3 }]), { logAppendTime: false });
    expect(await log.maxTimestampOffset()).toEqual({ offset: 1, timestamp: t + 100 });
    const recs = [{ value: 'd', timestamp: t + 1 }, { value: 'e', timestamp: t + 300 }, { value: 'f', timestamp: t + 2 }, { value: 'g', timestamp: t + 4 }];
    await log.append(encodeRecordBatch({ records: recs, compression: 'gzip' }), { logAppendTime: false });
    expect(await log.maxTimestampOffset()).toEqual({ offset: 4, timestamp: t + 300 });
  });

  it('after a clean reopen: timestamp lookups respect a mid-segment log start, and old indexes stay unloaded/bounded', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '1000', 'index.interval.bytes': '100' } });
    const log = m.partition('t', 0)!;
    const base = env.clock - 100_000;
    for (let i = 0; i < 40; i++) await log.append(batchOf(2, base + i * 10, `q${i}`, 100), { logAppendTime: false });
    const segs = log.segmentList.length;
    expect(segs).toBeGreaterThan(8);
    await m.close();
    const m2 = await open();
    const log2 = m2.partition('t', 0)!;
    await log2.deleteRecordsBefore(1);
    expect(await log2.offsetForTimestamp(0)).toEqual({ offset: 1, timestamp: base + 1 });
    expect(await log2.maxTimestampOffset()).toEqual({ offset: 79, timestamp: base + 391 });
    const loaded = () => log2.segmentList.filter((s) => s.indexesLoaded).length;
    expect(loaded()).toBeLessThanOrEqual(3);
    for (let o = 1; o < 80; o++) {
      const b = listBatches((await log2.read(o, 10)).records)[0]!;
      expect(o >= b.baseOffset && o <= b.lastOffset).toBe(true);
    }
    expect(loaded()).toBeLessThanOrEqual(5); // 4 inactive + the active one
    expect(await log2.offsetForTimestamp(base + 205)).toEqual({ offset: 42, timestamp: base + 210 });
  });

  it('rolls by segment.ms after the first batch timestamp', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.ms': '60000' } });
    const log = m.partition('t', 0)!;
    await log.append(batchOf(1, env.clock), { logAppendTime: false });
    env.clock += 30_000;
    await log.append(batchOf(1, env.clock), { logAppendTime: false });
    expect(log.segmentList.length).toBe(1);
    env.clock += 31_000;
    await log.append(batchOf(1, env.clock), { logAppendTime: false });
    expect(log.segmentList.map((s) => s.baseOffset)).toEqual([0, 2]);
  });
});
