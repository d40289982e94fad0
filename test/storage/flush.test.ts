import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { StorageFile, StorageIO } from '../../src/storage/io.ts';
import { nodeIO } from '../../src/storage/io.ts';
import type { LogManagerConfig } from '../../src/storage/log-manager.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { makeTempDir } from '../helpers/index.ts';
import { batchOf, listBatches, memoryLogger } from './helpers.ts';

/**
 * Issue 20.1/20.2: the interval flush syncs each dirty .log at the configured interval (measured on an
 * injected clock that an fdatasync advances, as a real one does), and index files are not synced on
 * the hot path; recovery rebuilds them.
 */
let dir: string;
let cleanup: () => Promise<void>;
let clock = 1_700_000_000_000;
const now = () => clock;
const managers: LogManager[] = [];

/** Real files; every fdatasync is recorded (file name, clock) and takes `syncCostMs` of the clock. */
function observedIO(syncCostMs: number) {
  const syncs: { file: string; path: string; at: number }[] = [];
  const wrap = (path: string, f: StorageFile): StorageFile => ({
    write: (b, o, l, p) => f.write(b, o, l, p),
    read: (b, o, l, p) => f.read(b, o, l, p),
    truncate: (len) => f.truncate(len),
    async datasync() {
      syncs.push({ file: basename(path), path, at: clock });
      clock += syncCostMs;
      return f.datasync();
    },
    sync: () => f.sync(),
    stat: () => f.stat(),
    close: () => f.close(),
  });
  const io: StorageIO = { ...nodeIO, open: async (path, flags) => wrap(path, await nodeIO.open(path, flags)) };
  return { io, syncs };
}

async function open(io: StorageIO, config: LogManagerConfig = {}) {
  const m = await LogManager.open({ dataDir: dir, now, logger: memoryLogger(), io, config });
  managers.push(m);
  return m;
}

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
  clock = 1_700_000_000_000;
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => undefined);
  await cleanup();
});

describe('interval flush (log.fsync=interval)', () => {
  it('syncs every dirty .log once per interval, with timer jitter and syncs that take time', async () => {
    const { io, syncs } = observedIO(7);
    const m = await open(io, { durability: { mode: 'interval', intervalMs: 1000 }, flushCheckIntervalMs: 1000 });
    await m.createTopic('t', { partitions: 3, configs: { 'index.interval.bytes': '100' } });
    const start = clock;
    syncs.length = 0;
    const ticks = 12;
    for (let tick = 1; tick <= ticks; tick++) {
      for (let p = 0; p < 3; p++) await m.partition('t', p)!.append(batchOf(5, clock, `t${tick}`, 50), { logAppendTime: false });
      // The timer fires a little late or early, as a real one on a loaded machine does.
      clock = start + tick * 1000 + [3, -2, 9, 0][tick % 4]!;
      await m.flushDue();
    }
    const logSyncs = syncs.filter((s) => s.file.endsWith('.log'));
    // Each tick found all three logs dirty and due: 3 syncs per tick, none skipped.
    expect(logSyncs.length).toBe(3 * ticks);
    const byFile = new Map<string, number[]>();
    for (const s of logSyncs) byFile.set(s.path, [...(byFile.get(s.path) ?? []), s.at]);
    expect(byFile.size).toBe(3);
    // The measured spacing of each .log's syncs: within the interval + 10 % (issue 20's goal).
    for (const times of byFile.values()) {
      expect(times.length).toBe(ticks);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(1100);
    }
    // No index file was synced on the hot path (Kafka does not either).
    expect(syncs.filter((s) => !s.file.endsWith('.log'))).toEqual([]);
  });

  it('a clean flush of an unchanged index costs no sync; close syncs changed indexes once', async () => {
    const { io, syncs } = observedIO(0);
    const m = await open(io, { durability: { mode: 'interval', intervalMs: 1000 } });
    await m.createTopic('t', { partitions: 1, configs: { 'index.interval.bytes': '100' } });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 20; i++) await log.append(batchOf(3, clock, 'x', 40), { logAppendTime: false });
    syncs.length = 0;
    await m.close();
    const indexSyncs = syncs.filter((s) => s.file.endsWith('.index') || s.file.endsWith('.timeindex'));
    expect(indexSyncs.map((s) => s.file).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.timeindex']);
  });
});

describe('recovery rebuilds indexes the hot path never wrote', () => {
  it('after a crash the active segment is served through rebuilt indexes', async () => {
    const { io } = observedIO(0);
    const m = await open(io, { durability: { mode: 'interval', intervalMs: 1000 } });
    await m.createTopic('t', { partitions: 1, configs: { 'index.interval.bytes': '100' } });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 50; i++) await log.append(batchOf(2, clock, `r${i}`, 60), { logAppendTime: false });
    clock += 2000;
    await m.flushDue();
    expect(log.recoveryPoint).toBe(100);
    const indexPath = join(dir, 't-0', '00000000000000000000.index');
    // The entries exist in memory only: the interval flush synced the .log and nothing else.
    expect(log.segmentList[0]!.offsetIndex.entries).toBeGreaterThan(5);
    expect((await stat(indexPath)).size).toBe(0);
    // Crash: no close, no clean-shutdown marker. A new manager takes over the directory.
    managers.splice(managers.indexOf(m), 1);
    const logger = memoryLogger();
    const m2 = await LogManager.open({ dataDir: dir, now, logger, io, config: {} });
    managers.push(m2);
    const log2 = m2.partition('t', 0)!;
    expect(log2.logEndOffset).toBe(100);
    expect(log2.segmentList[0]!.offsetIndex.entries).toBeGreaterThan(5);
    expect((await stat(indexPath)).size).toBe(log2.segmentList[0]!.offsetIndex.entries * 8);
    for (const offset of [0, 17, 55, 99]) {
      const { records } = await log2.read(offset, 1);
      const first = listBatches(records)[0]!;
      expect(first.baseOffset).toBeLessThanOrEqual(offset);
      expect(first.lastOffset).toBeGreaterThanOrEqual(offset);
    }
    expect(logger.lines.join('\n')).toMatch(/no clean shutdown marker/);
    await m2.close();
    managers.splice(managers.indexOf(m2), 1);
    // The crashed manager's handles are still open: close them without touching the directory's state.
    for (const l of m.allPartitions()) await l.destroy();
  });
});
