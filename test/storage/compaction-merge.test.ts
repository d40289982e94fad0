import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { nodeIO, type StorageIO } from '../../src/storage/io.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import type { PartitionLog } from '../../src/storage/partition-log.ts';
import { verifyPartition } from '../../src/storage/verify.ts';
import { makeTempDir } from '../helpers/index.ts';
import { listBatches, makeBatch, memoryLogger } from './helpers.ts';

/**
 * The cleaner merges adjacent small segments while compacting (Kafka's groupSegmentsBySize), so a
 * compacted log whose old segments shrink to a few live keys does not keep one file per rolled
 * segment; the merge is swapped in crash-safely (`.cleaned` → `.swap` → `.log`, a start finishes a
 * cut-short swap).
 */

let dir: string;
let cleanup: () => Promise<void>;
const clock = 1_700_000_000_000;
const now = () => clock;
const managers: LogManager[] = [];
const KEYS = 5;

async function open(io: StorageIO = nodeIO, logger = memoryLogger()) {
  const m = await LogManager.open({ dataDir: dir, now, logger, io, config: { durability: { mode: 'never' } } });
  managers.push(m);
  return m;
}

beforeEach(async () => ({ dir, cleanup } = await makeTempDir('kstream-merge-')));
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => undefined);
  await cleanup();
});

/** `rounds` batches of one keyed record each (keys k0..k4 in turn), in 600-byte segments: 4 batches per segment. */
async function fillKeyed(m: LogManager, rounds: number): Promise<PartitionLog> {
  if (!m.hasTopic('c')) await m.createTopic('c', { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '600' } });
  const log = m.partition('c', 0)!;
  for (let i = 0; i < rounds; i++) {
    await log.append(makeBatch([{ key: `k${i % KEYS}`, value: `v${i}`.padEnd(60, '.'), timestamp: clock + i }]), { logAppendTime: false });
  }
  return log;
}

/** Every record in the log: key → [offset, value] of its last occurrence; plus the record count read. */
async function latestByKey(log: PartitionLog): Promise<{ latest: Map<string, [number, string]>; records: number }> {
  const latest = new Map<string, [number, string]>();
  let records = 0;
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const { records: blob } = await log.read(next, 1 << 20);
    const bs = listBatches(blob);
    if (bs.length === 0) break;
    let at = 0;
    for (const b of bs) {
      for (const r of decodeRecordBatch(blob, at).records) {
        records++;
        latest.set(r.key!.toString(), [r.offset, r.value!.toString().replace(/\.+$/, '')]);
      }
      at += b.size;
      next = b.lastOffset + 1;
    }
  }
  return { latest, records };
}

const segmentFiles = async () => (await readdir(join(dir, 'c-0'))).filter((f) => /^\d{20}\.log/.test(f)).sort();

describe('compaction merges small segments (groupSegmentsBySize)', () => {
  it('merges adjacent emptied segments into one, deletes their files, and keeps every key and the log end', async () => {
    const m = await open();
    const log = await fillKeyed(m, 60);
    const end = log.logEndOffset;
    const before = log.segmentList.length;
    expect(before).toBeGreaterThan(12);
    const r = await log.compact(now());
    expect(r.segmentsCleaned).toBeGreaterThan(0);
    // 5 live keys of ~130 bytes fill about one 600-byte segment: a handful of segments, not ~15.
    expect(log.segmentList.length).toBeLessThanOrEqual(5);
    expect(log.logEndOffset).toBe(end);
    const files = await segmentFiles();
    expect(files).toEqual(log.segmentList.map((s) => String(s.baseOffset).padStart(20, '0') + '.log'));
    // No emptied segment file is left behind; every inactive segment ends where the next begins.
    for (const seg of log.segmentList.slice(0, -1)) expect((await stat(seg.logPath)).size).toBeGreaterThan(0);
    const list = log.segmentList;
    for (let i = 0; i + 1 < list.length; i++) expect(list[i]!.nextOffset).toBe(list[i + 1]!.baseOffset);
    const { latest, records } = await latestByKey(log);
    expect(records).toBeLessThanOrEqual(KEYS + 4); // the live keys, plus what the active segment holds (4 batches)
    for (let k = 0; k < KEYS; k++) {
      const lastI = 60 - KEYS + k;
      expect(latest.get(`k${k}`)).toEqual([lastI, `v${lastI}`]);
    }
    expect(await verifyPartition(log)).toEqual([]);
    // Reopen after a clean shutdown: the same segments, no index rebuilds, same records.
    await m.close();
    managers.splice(0);
    const logger = memoryLogger();
    const m2 = await open(nodeIO, logger);
    const log2 = m2.partition('c', 0)!;
    expect(log2.segmentList.map((s) => s.baseOffset)).toEqual(list.map((s) => s.baseOffset));
    expect(log2.logEndOffset).toBe(end);
    expect((await latestByKey(log2)).latest).toEqual(latest);
    expect(logger.lines.filter((l) => l.includes('rebuilding the indexes'))).toEqual([]);
  });

  it('later runs keep merging: the segment count stays bounded as history grows', async () => {
    const m = await open();
    let log = await fillKeyed(m, 40);
    await log.compact(now());
    for (let round = 0; round < 4; round++) {
      log = await fillKeyed(m, 40);
      await log.compact(now());
    }
    expect(log.segmentList.length).toBeLessThanOrEqual(6);
    const { latest } = await latestByKey(log);
    expect(latest.size).toBe(KEYS);
    expect(await verifyPartition(log)).toEqual([]);
  });

  // Where a crash may cut the swap of a merged group: after the .swap exists and some (or none, or
  // all) of the group's later segment files are gone, but before the .swap is renamed into place.
  for (const deletedBeforeCrash of [0, 1, 3]) {
    it(`a crash mid-swap (${deletedBeforeCrash} later segment(s) deleted) is finished by the next start`, async () => {
      let deletions = 0;
      let crashed = false;
      const crashing: StorageIO = {
        ...nodeIO,
        rm: async (path, opts) => {
          if (crashed) throw new Error('crashed');
          // The swap deletes the group's later segments (.log, .index, .timeindex) before renaming.
          if (/\d{20}\.log$/.test(path) && (await readdir(join(dir, 'c-0'))).some((f) => f.endsWith('.log.swap'))) {
            if (deletions === deletedBeforeCrash) {
              crashed = true;
              throw new Error('crashed');
            }
            deletions++;
          }
          return nodeIO.rm(path, opts);
        },
        rename: async (from, to) => {
          if (crashed) throw new Error('crashed');
          return nodeIO.rename(from, to);
        },
      };
      const m = await open(crashing);
      const log = await fillKeyed(m, 60);
      const end = log.logEndOffset;
      const { latest: want } = await latestByKey(log);
      await expect(log.compact(now())).rejects.toThrow('crashed');
      expect(crashed).toBe(true);
      expect((await readdir(join(dir, 'c-0'))).some((f) => f.endsWith('.log.swap'))).toBe(true);
      managers.splice(0); // "crash": never closed, no clean-shutdown marker
      const logger = memoryLogger();
      const m2 = await open(nodeIO, logger);
      const log2 = m2.partition('c', 0)!;
      expect(logger.lines.some((l) => l.includes('completed an interrupted compaction swap'))).toBe(true);
      const files = await readdir(join(dir, 'c-0'));
      expect(files.filter((f) => f.endsWith('.swap') || f.endsWith('.cleaned'))).toEqual([]);
      expect(log2.logEndOffset).toBe(end);
      expect((await latestByKey(log2)).latest).toEqual(want);
      expect(await verifyPartition(log2)).toEqual([]);
      // And it keeps working: appends and another compaction.
      await fillKeyed(m2, 10);
      await log2.compact(now());
      expect((await latestByKey(log2)).latest.size).toBe(KEYS);
    });
  }
});
