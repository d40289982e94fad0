import { describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import type { PartitionLog } from '../../src/storage/partition-log.ts';
import { verifyPartition } from '../../src/storage/verify.ts';
import { useLogManagers } from './log-manager-harness.ts';
import { listBatches } from './helpers.ts';

const env = useLogManagers();
const open = () => env.open();
const DAY = 86_400_000;

/** Every record in the log: offset → [key, value]. */
async function readRecords(log: PartitionLog): Promise<Map<number, [string | null, string | null]>> {
  const out = new Map<number, [string | null, string | null]>();
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const { records } = await log.read(next, 1 << 20);
    const bs = listBatches(records);
    if (bs.length === 0) break;
    let at = 0;
    for (const b of bs) {
      for (const r of decodeRecordBatch(records, at).records) out.set(r.offset, [r.key?.toString() ?? null, r.value?.toString() ?? null]);
      at += b.size;
      next = b.lastOffset + 1;
    }
  }
  return out;
}

describe('log compaction (cleanup.policy=compact)', () => {
  it('keeps the latest record per key in old segments, with original offsets, across codecs and batch shapes', async () => {
    const m = await open();
    await m.createTopic('c', { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '600' } });
    const log = m.partition('c', 0)!;
    const written = new Map<number, [string, string]>();
    const codecs = ['none', 'gzip', 'lz4', 'snappy', 'zstd'] as const;
    for (let round = 0; round < 6; round++) {
      for (let k = 0; k < 8; k += 2) {
        // Two keys per batch, codec rotating, so batches end up partially retained.
        const recs = [k, k + 1].map((i) => ({ key: `k${i}`, value: `k${i}-r${round}`, timestamp: env.clock }));
        const r = await log.append(encodeRecordBatch({ records: recs, compression: codecs[(round + k) % codecs.length] }), { logAppendTime: false });
        written.set(r.baseOffset, [`k${k}`, `k${k}-r${round}`]);
        written.set(r.baseOffset + 1, [`k${k + 1}`, `k${k + 1}-r${round}`]);
      }
    }
    const segs = log.segmentList;
    expect(segs.length).toBeGreaterThan(3);
    const activeBase = segs[segs.length - 1]!.baseOffset;
    const before = await readRecords(log);
    expect(before.size).toBe(48);
    await m.runRetention();
    const after = await readRecords(log);
    expect(await verifyPartition(log)).toEqual([]);
    // Expected: below the active segment, only the last occurrence of each key (within that range).
    const lastBelow = new Map<string, number>();
    for (const [off, [key]] of written) if (off < activeBase) lastBelow.set(key, Math.max(lastBelow.get(key) ?? -1, off));
    const expected = new Map<number, [string, string]>();
    for (const [off, kv] of written) if (off >= activeBase || lastBelow.get(kv[0]) === off) expected.set(off, kv);
    expect([...after.entries()].sort((a, b) => a[0] - b[0])).toEqual([...expected.entries()].sort((a, b) => a[0] - b[0]));
    expect(after.size).toBeLessThan(before.size);
    // Offsets never move; the log end does not change; a new append continues after it.
    expect(log.logEndOffset).toBe(48);
    expect((await log.append(encodeRecordBatch({ records: [{ key: 'k0', value: 'new', timestamp: env.clock }] }), { logAppendTime: false })).baseOffset).toBe(48);
    // Fetching from an offset that was compacted away returns the next surviving batch.
    const gone = [...written.keys()].find((o) => !after.has(o))!;
    const { records } = await log.read(gone, 1 << 20);
    expect(listBatches(records)[0]!.lastOffset).toBeGreaterThanOrEqual(gone);
    expect((await readdir(join(env.dir, 'c-0'))).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))).toEqual([]);
    // The result survives a clean restart and a crash.
    await m.close();
    const m2 = await open();
    const log2 = m2.partition('c', 0)!;
    expect(await verifyPartition(log2)).toEqual([]);
    const reopened = await readRecords(log2);
    expect(reopened.size).toBe(after.size + 1);
    env.abandon();
    const m3 = await open();
    expect((await readRecords(m3.partition('c', 0)!)).size).toBe(after.size + 1);
  });

  it('removes tombstones only after delete.retention.ms, and respects min.compaction.lag.ms', async () => {
    const m = await open();
    await m.createTopic('c', { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '600', 'delete.retention.ms': String(2 * DAY), 'min.compaction.lag.ms': String(DAY), 'min.cleanable.dirty.ratio': '0.01' } });
    const log = m.partition('c', 0)!;
    const put = (key: string, value: string | null) =>
      log.append(encodeRecordBatch({ records: [{ key, value, timestamp: env.clock }] }), { logAppendTime: false });
    for (let i = 0; i < 5; i++) await put('a', `a${i}`);
    await put('a', null); // tombstone
    for (let i = 0; i < 10; i++) await put(`f${i}`, 'x'.repeat(100)); // roll the tombstone out of the active segment
    expect(log.segmentList.length).toBeGreaterThan(2);
    expect((await log.compact(env.clock)).segmentsCleaned).toBe(0); // everything younger than the lag
    env.clock += DAY / 2 + DAY;
    let recs = await (async () => { await log.compact(env.clock); return readRecords(log); })();
    const aValues = [...recs.values()].filter(([k]) => k === 'a').map(([, v]) => v);
    expect(aValues).toEqual([null]); // only the tombstone is left of key a
    env.clock += DAY; // now past delete.retention.ms (2 days) of the tombstone's segment
    await log.compact(env.clock);
    recs = await readRecords(log);
    expect([...recs.values()].filter(([k]) => k === 'a')).toEqual([]);
    expect(await verifyPartition(log)).toEqual([]);
  });

  it('leaves delete-policy topics alone and serves reads while compacting', async () => {
    const m = await open();
    await m.createTopic('d', { partitions: 1, configs: { 'segment.bytes': '600' } });
    await m.createTopic('c', { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '600' } });
    for (const t of ['d', 'c']) {
      const log = m.partition(t, 0)!;
      for (let i = 0; i < 40; i++) await log.append(encodeRecordBatch({ records: [{ key: `k${i % 3}`, value: `v${i}`.padEnd(80, '.'), timestamp: env.clock }] }), { logAppendTime: false });
    }
    expect((await m.partition('d', 0)!.compact(env.clock)).segmentsCleaned).toBe(0);
    const c = m.partition('c', 0)!;
    let stop = false;
    const failures: unknown[] = [];
    const reader = (async () => {
      while (!stop) {
        const o = Math.floor(Math.random() * 40);
        try {
          const { records } = await c.read(o, 500);
          const bs = listBatches(records);
          if (bs.length > 0 && bs[0]!.lastOffset < o) failures.push(`batch before ${o}`);
          let at = 0;
          for (const b of bs) {
            decodeRecordBatch(records, at); // CRC and records must be intact
            at += b.size;
          }
        } catch (e) {
          failures.push(e);
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const r = await c.compact(env.clock);
    stop = true;
    await reader;
    expect(failures).toEqual([]);
    expect(r.segmentsCleaned).toBeGreaterThan(0);
    expect(r.bytesAfter).toBeLessThan(r.bytesBefore);
    expect(await verifyPartition(c)).toEqual([]);
  });

  it('appends, rolls and DeleteRecords while compaction runs leave a consistent log', async () => {
    const m = await open();
    await m.createTopic('c', { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '500' } });
    const log = m.partition('c', 0)!;
    const put = (i: number) => log.append(encodeRecordBatch({ records: [{ key: `k${i % 4}`, value: `v${i}`.padEnd(60, '.'), timestamp: env.clock }] }), { logAppendTime: false });
    for (let i = 0; i < 60; i++) await put(i);
    const compaction = log.compact(env.clock);
    const appended: number[] = [];
    for (let i = 60; i < 120; i++) appended.push((await put(i)).baseOffset);
    await log.deleteRecordsBefore(3);
    const r = await compaction;
    expect(r.segmentsCleaned).toBeGreaterThan(0);
    expect(await verifyPartition(log)).toEqual([]);
    const recs = await readRecords(log);
    // Only segments inactive when compaction started are rewritten: every later append is intact.
    for (const o of appended) expect(recs.get(o)?.[1]).toBe(`v${o}`.padEnd(60, '.'));
    expect(log.logEndOffset).toBe(120);
    await m.close();
    const m2 = await open();
    expect(await verifyPartition(m2.partition('c', 0)!)).toEqual([]);
    expect((await readdir(join(env.dir, 'c-0'))).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))).toEqual([]);
  });
});

