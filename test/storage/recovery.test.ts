import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open as fsOpen, readFile, readdir, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager } from '../../src/storage/log-manager.ts';
import { verifyPartition } from '../../src/storage/verify.ts';
import { makeTempDir } from '../helpers/index.ts';
import { batchOf, listBatches, memoryLogger } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
const clock = 1_700_000_000_000;
const now = () => clock;
const managers: LogManager[] = [];

async function open(logger = memoryLogger()) {
  const m = await LogManager.open({ dataDir: dir, now, logger, config: { durability: { mode: 'never' } } });
  managers.push(m);
  return m;
}

/** Fills t-0 with `n` batches of 2 records; returns each batch's [start position, size]. */
async function fill(m: LogManager, n: number, configs: Record<string, string> = {}) {
  await m.createTopic('t', { partitions: 1, configs });
  const log = m.partition('t', 0)!;
  for (let i = 0; i < n; i++) await log.append(batchOf(2, clock + i, `r${i}`, 300), { logAppendTime: false });
  return log;
}

/** Reads the whole partition from offset 0 with repeated fetches. */
async function readAll(m: LogManager) {
  const log = m.partition('t', 0)!;
  const out: ReturnType<typeof listBatches> = [];
  let next = log.logStartOffset;
  while (next < log.highWatermark) {
    const bs = listBatches((await log.read(next, 1 << 20)).records);
    if (bs.length === 0) break;
    out.push(...bs);
    next = bs[bs.length - 1]!.lastOffset + 1;
  }
  return out;
}

beforeEach(async () => ({ dir, cleanup } = await makeTempDir('kstream-storage-')));
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => undefined);
  await cleanup();
});

const logFile = () => join(dir, 't-0', '00000000000000000000.log');

describe('recovery after a crash (no clean-shutdown marker)', () => {
  it('drops a torn batch at the tail, keeps the rest, and continues at the right offset', async () => {
    const m = await open();
    await fill(m, 10);
    const size = (await stat(logFile())).size;
    managers.splice(0); // "crash": never closed, no marker
    await truncate(logFile(), size - 100);
    const logger = memoryLogger();
    const m2 = await open(logger);
    expect(m2.cleanShutdown).toBe(false);
    const log = m2.partition('t', 0)!;
    expect(log.logEndOffset).toBe(18);
    const batches = await readAll(m2);
    expect(batches.map((b) => b.baseOffset)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16]);
    expect((await stat(logFile())).size).toBe(batches.reduce((s, b) => s + b.size, 0));
    expect(logger.lines.join('\n')).toMatch(/truncated \d+ bytes .* dropped offsets from 18/);
    expect(await verifyPartition(log)).toEqual([]);
    expect((await log.append(batchOf(1, clock), { logAppendTime: false })).baseOffset).toBe(18);
  });

  it('truncates from a batch whose bytes were flipped (CRC mismatch)', async () => {
    const m = await open();
    await fill(m, 10);
    const firstFive = listBatches((await m.partition('t', 0)!.read(0, 1 << 20)).records).slice(0, 5).reduce((s, b) => s + b.size, 0);
    managers.splice(0);
    const fh = await fsOpen(logFile(), 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, firstFive + 200);
    b[0] ^= 0xff;
    await fh.write(b, 0, 1, firstFive + 200);
    await fh.close();
    const logger = memoryLogger();
    const m2 = await open(logger);
    expect(m2.partition('t', 0)!.logEndOffset).toBe(10);
    expect((await readAll(m2)).map((x) => x.baseOffset)).toEqual([0, 2, 4, 6, 8]);
    expect((await stat(logFile())).size).toBe(firstFive);
    expect(logger.lines.join('\n')).toMatch(/CRC-32C mismatch at position \d+.*dropped offsets from 10/);
  });

  it('truncates zero-filled garbage after the last batch (power-loss tail)', async () => {
    const m = await open();
    await fill(m, 3);
    const size = (await stat(logFile())).size;
    managers.splice(0);
    const fh = await fsOpen(logFile(), 'a');
    await fh.write(Buffer.alloc(4096));
    await fh.close();
    const m2 = await open();
    expect(m2.partition('t', 0)!.logEndOffset).toBe(6);
    expect((await stat(logFile())).size).toBe(size);
  });

  it('drops later segments after a corrupt batch in an earlier one', async () => {
    const m = await open();
    await fill(m, 30, { 'segment.bytes': '3000' });
    const segs = m.partition('t', 0)!.segmentList.map((s) => s.baseOffset);
    expect(segs.length).toBeGreaterThan(3);
    managers.splice(0);
    // Recovery starts from the recovery point checkpoint; remove it (if one was written) so every
    // segment is validated.
    await rm(join(dir, 'recovery-point-offset-checkpoint'), { force: true });
    const second = join(dir, 't-0', String(segs[1]).padStart(20, '0') + '.log');
    const fh = await fsOpen(second, 'r+');
    await fh.write(Buffer.from([0xde, 0xad]), 0, 2, 100);
    await fh.close();
    const m2 = await open();
    const log = m2.partition('t', 0)!;
    expect(await verifyPartition(log)).toEqual([]);
    expect(log.segmentList.length).toBe(2);
    expect(log.logEndOffset).toBe(segs[1]);
    expect((await readdir(join(dir, 't-0'))).filter((f) => f.endsWith('.log')).length).toBe(2);
    expect((await log.append(batchOf(1, clock), { logAppendTime: false })).baseOffset).toBe(segs[1]);
  });

  it('rebuilds deleted or corrupt index files; lookups stay right (clean and unclean start)', async () => {
    const m = await open();
    await fill(m, 40, { 'segment.bytes': '4000', 'index.interval.bytes': '500' });
    const segs = m.partition('t', 0)!.segmentList.map((s) => s.baseOffset);
    await m.close();
    const idx = (b: number, ext: string) => join(dir, 't-0', String(b).padStart(20, '0') + ext);
    const before = await readFile(idx(segs[1]!, '.index'));
    expect(before.length).toBeGreaterThan(0);
    await unlink(idx(segs[0]!, '.index'));
    await writeFile(idx(segs[1]!, '.index'), Buffer.alloc(before.length, 0xff)); // right size, garbage entries
    await writeFile(idx(segs[2]!, '.timeindex'), Buffer.alloc(5)); // torn
    const last = segs[segs.length - 1]!;
    await writeFile(idx(last, '.index'), Buffer.alloc(3));
    for (const round of ['clean', 'unclean']) {
      const m2 = await open();
      expect(m2.cleanShutdown).toBe(round === 'clean');
      const log = m2.partition('t', 0)!;
      expect(log.logEndOffset).toBe(80);
      expect(await verifyPartition(log)).toEqual([]);
      for (let o = 0; o < 80; o += 3) {
        const b = listBatches((await log.read(o, 1)).records)[0]!;
        expect(o >= b.baseOffset && o <= b.lastOffset).toBe(true);
      }
      expect(await log.offsetForTimestamp(clock + 25)).toEqual({ offset: 49, timestamp: clock + 25 }); // batch 24 holds ts +24, +25
      expect(await readFile(idx(segs[1]!, '.index'))).toEqual(before);
      if (round === 'clean') managers.splice(0); // crash this time
    }
  });

  it('verifyPartition reports a corrupt batch and a wrong index entry', async () => {
    const m = await open();
    const log = await fill(m, 20, { 'index.interval.bytes': '500' });
    expect(await verifyPartition(log)).toEqual([]);
    const fh = await fsOpen(logFile(), 'r+');
    await fh.write(Buffer.from([0x55]), 0, 1, 700);
    await fh.close();
    const idx = log.segmentList[0]!.offsetIndex;
    idx.append(999, 1); // bogus entry in memory
    const problems = await verifyPartition(log);
    expect(problems.some((p) => p.includes('CRC mismatch'))).toBe(true);
    expect(problems.some((p) => p.includes('does not name a batch'))).toBe(true);
  });

  it('rewrites a checkpoint file only when its content changes (a clean restart writes none)', async () => {
    const m = await open();
    await fill(m, 3);
    await m.close();
    const files = ['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint', 'replication-offset-checkpoint'];
    // An atomic rewrite (temp file + rename) gives the file a new inode.
    const inodes = async () => Promise.all(files.map(async (f) => (await stat(join(dir, f))).ino));
    const before = await inodes();
    const reopened = await open();
    await reopened.writeCheckpoints();
    expect(await inodes()).toEqual(before);
    // A moved log start offset is written (and only that file changes).
    await reopened.partition('t', 0)!.deleteRecordsBefore(2);
    await reopened.writeCheckpoints();
    const after = await inodes();
    expect(after[1]).not.toBe(before[1]);
    expect(await readFile(join(dir, 'log-start-offset-checkpoint'), 'utf8')).toBe('0\n1\nt 0 2\n');
    expect(after[0]).toBe(before[0]);
  });

  it('writes no checkpoint file when opening a new data dir (missing reads as empty), and all three once a partition exists', async () => {
    const files = ['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint', 'replication-offset-checkpoint'];
    const present = async () => (await readdir(dir)).filter((f) => files.includes(f)).sort();
    const m = await open();
    expect(await present()).toEqual([]);
    await fill(m, 1);
    await m.writeCheckpoints();
    expect(await present()).toEqual([...files].sort());
  });

  it('removes leftover .deleted/.cleaned/.swap files and -delete directories', async () => {
    const m = await open();
    await fill(m, 2);
    await m.close();
    await writeFile(join(dir, 't-0', '00000000000000000000.log.deleted'), 'x');
    await writeFile(join(dir, 't-0', '00000000000000000007.log.swap'), 'x');
    await writeFile(join(dir, 't-0', '00000000000000000000.index.cleaned'), 'x');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'old-0.abc-delete'));
    const m2 = await open();
    expect((await readdir(join(dir, 't-0'))).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex', 'partition.metadata']);
    expect((await readdir(dir)).includes('old-0.abc-delete')).toBe(false);
    expect(m2.partition('t', 0)!.logEndOffset).toBe(4);
  });
});
