import { describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crcMatches } from '../../src/protocol/records/batch-header.ts';
import { OffsetOutOfRangeError } from '../../src/storage/errors.ts';
import { useLogManagers } from './log-manager-harness.ts';
import { batchOf, listBatches } from './helpers.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const env = useLogManagers();
const open = (config = {}) => env.open({ config });

describe('PartitionLog append/read', () => {
  it('assigns offsets, stamps epoch, and reads whole batches back byte for byte', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 2 });
    const log = m.partition('t', 1)!;
    expect(log.logEndOffset).toBe(0);
    const b1 = batchOf(3, env.clock);
    const r1 = await log.append(b1, { logAppendTime: false });
    expect(r1).toMatchObject({ baseOffset: 0, lastOffset: 2, logAppendTimeMs: -1 });
    const r2 = await log.append(batchOf(2, env.clock + 10), { logAppendTime: false });
    expect(r2).toMatchObject({ baseOffset: 3, lastOffset: 4 });
    expect(log.logEndOffset).toBe(5);
    expect(log.highWatermark).toBe(5);
    const { records, highWatermark, logStartOffset } = await log.read(0, 1 << 20);
    expect(highWatermark).toBe(5);
    expect(logStartOffset).toBe(0);
    const batches = listBatches(records);
    expect(batches.map((b) => [b.baseOffset, b.lastOffset])).toEqual([[0, 2], [3, 4]]);
    expect(batches.every((b) => b.leaderEpoch === 0)).toBe(true);
    expect(records.subarray(0, b1.length).equals(b1)).toBe(true);
    expect(crcMatches(records, 0)).toBe(true);
    // Fetch from the middle of a batch returns that whole batch.
    expect(listBatches((await log.read(4, 1 << 20)).records).map((b) => b.baseOffset)).toEqual([3]);
    expect((await log.read(5, 1 << 20)).records.length).toBe(0);
    await expect(log.read(6, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(-1, 100)).rejects.toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
  });

  it('stamps maxTimestamp from opts and LogAppendTime, fixing the CRC', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    const b = batchOf(2, env.clock - 1000);
    b.writeBigInt64BE(-1n, 35); // Sarama-style: maxTimestamp -1 (CRC now stale, fixed by stamping)
    await log.append(b, { logAppendTime: false, maxTimestamp: env.clock - 999 });
    env.clock += 5;
    const r = await log.append(batchOf(1, 2000), { logAppendTime: true });
    expect(r.logAppendTimeMs).toBe(env.clock);
    const { records } = await log.read(0, 1 << 20);
    const bs = listBatches(records);
    expect(bs[0]!.maxTimestamp).toBe(env.clock - 5 - 999);
    expect(bs[1]!.maxTimestamp).toBe(env.clock);
    expect(crcMatches(records, 0)).toBe(true);
    expect(crcMatches(records, bs[0]!.size)).toBe(true);
  });

  it('respects maxBytes with whole batches and minOneBatch', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 10; i++) await log.append(batchOf(5, env.clock + i, 'x', 100), { logAppendTime: false });
    const one = listBatches((await log.read(0, 1 << 20)).records)[0]!.size;
    const r = await log.read(0, one * 3 + 10);
    expect(listBatches(r.records).length).toBe(3);
    expect(r.records.length).toBe(one * 3);
    const tiny = await log.read(12, 10);
    expect(listBatches(tiny.records).map((b) => b.baseOffset)).toEqual([10]);
    const none = await log.read(12, 10, { minOneBatch: false });
    expect(none.records.length).toBe(0);
  });

  it('serves batches larger than the read window (second read, KIP-74 minOneBatch)', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 6; i++) await log.append(batchOf(3, env.clock, `big${i}`, 12_000), { logAppendTime: false });
    for (const offset of [0, 4, 8, 13, 17]) {
      const { records } = await log.read(offset, 100);
      const bs = listBatches(records);
      expect(bs.length).toBe(1);
      expect(bs[0]!.baseOffset).toBe(offset - (offset % 3));
      expect(records.length).toBe(bs[0]!.size);
      expect(crcMatches(records, 0)).toBe(true);
      expect((await log.read(offset, 100, { minOneBatch: false })).records.length).toBe(0);
    }
    const sizeOf = async (o: number) => listBatches((await log.read(o, 1)).records)[0]!.size;
    const two = await log.read(3, (await sizeOf(3)) + (await sizeOf(6)) + 10);
    expect(listBatches(two.records).map((b) => b.baseOffset)).toEqual([3, 6]);
  });

  it('rolls segments by segment.bytes and reads across them', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '2000', 'index.interval.bytes': '200' } });
    const log = m.partition('t', 0)!;
    const bases: number[] = [];
    for (let i = 0; i < 60; i++) bases.push((await log.append(batchOf(3, env.clock + i, `m${i}`, 50), { logAppendTime: false })).baseOffset);
    expect(log.logEndOffset).toBe(180);
    expect(log.segmentList.length).toBeGreaterThan(5);
    const files = (await readdir(join(env.dir, 't-0'))).sort();
    expect(files).toContain('00000000000000000000.log');
    expect(files).toContain('00000000000000000000.index');
    expect(files).toContain('00000000000000000000.timeindex');
    expect(files.filter((f) => f.endsWith('.log')).length).toBe(log.segmentList.length);
    for (const s of log.segmentList) expect(s.size).toBeLessThanOrEqual(2000);
    // Every offset resolves to the batch containing it.
    let seen = 0;
    let next = 0;
    while (next < 180) {
      const { records } = await log.read(next, 700);
      const bs = listBatches(records);
      expect(bs.length).toBeGreaterThan(0);
      expect(bs[0]!.baseOffset).toBeLessThanOrEqual(next);
      expect(bs[0]!.lastOffset).toBeGreaterThanOrEqual(next);
      seen += bs.length;
      next = bs[bs.length - 1]!.lastOffset + 1;
    }
    expect(seen).toBe(60);
    for (const o of [0, 1, 2, 77, 100, 179]) {
      const b = listBatches((await log.read(o, 1)).records)[0]!;
      expect(o).toBeGreaterThanOrEqual(b.baseOffset);
      expect(o).toBeLessThanOrEqual(b.lastOffset);
    }
  });

  it('serializes concurrent appends: offsets are contiguous, no overlap', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '5000' } });
    const log = m.partition('t', 0)!;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(batchOf(1 + (i % 4), env.clock, `c${i}`), { logAppendTime: false })));
    const ranges = results.map((r) => [r.baseOffset, r.lastOffset] as const).sort((a, b) => a[0] - b[0]);
    let expected = 0;
    for (const [b, l] of ranges) {
      expect(b).toBe(expected);
      expected = l + 1;
    }
    expect(log.logEndOffset).toBe(expected);
  });

  it('reads concurrently with appends, rolls and retention: every answer is right or OffsetOutOfRange', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '3000', 'retention.bytes': '9000' } });
    const log = m.partition('t', 0)!;
    let stop = false;
    const failures: unknown[] = [];
    const readers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const offset = log.logStartOffset + Math.floor(Math.random() * (log.logEndOffset - log.logStartOffset + 1));
        try {
          const { records } = await log.read(offset, 2000);
          const bs = listBatches(records);
          if (offset < log.logEndOffset && bs.length > 0 && !(bs[0]!.baseOffset <= offset && bs[0]!.lastOffset >= offset)) failures.push(`bad batch for ${offset}`);
        } catch (e) {
          if (!(e instanceof OffsetOutOfRangeError)) failures.push(e);
        }
        await new Promise((r) => setImmediate(r));
      }
    });
    for (let i = 0; i < 200; i++) {
      await log.append(batchOf(2, env.clock, `c${i}`, 150), { logAppendTime: false });
      if (i % 10 === 0) await m.runRetention();
    }
    stop = true;
    await Promise.all(readers);
    expect(failures).toEqual([]);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.logEndOffset).toBe(400);
  });

  it('wakes onAppend listeners with the new high watermark', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    const seen: number[] = [];
    const off = log.onAppend((hw) => seen.push(hw));
    await log.append(batchOf(2, env.clock), { logAppendTime: false });
    off();
    await log.append(batchOf(2, env.clock), { logAppendTime: false });
    expect(seen).toEqual([2]);
  });
});
