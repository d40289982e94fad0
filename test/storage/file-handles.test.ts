import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageFile, StorageIO } from '../../src/storage/io.ts';
import { nodeIO } from '../../src/storage/io.ts';
import type { LogManagerConfig } from '../../src/storage/log-manager.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { openFileLimit, segmentHandleBudget } from '../../src/storage/file-handle-budget.ts';
import { makeTempDir } from '../helpers/index.ts';
import { batchOf, listBatches, memoryLogger } from './helpers.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

/**
 * Issue 13.3: a partition count beyond the file-descriptor budget works (segment files open lazily,
 * an LRU bounds them), and a create that fails midway leaves nothing behind.
 */
let dir: string;
let cleanup: () => Promise<void>;
const clock = 1_700_000_000_000;
const managers: LogManager[] = [];

/** Real files; tracks how many .log handles are open, and can refuse to open a given path. */
function countingIO() {
  const state = { openLogs: 0, maxOpenLogs: 0, failOpenUnder: null as string | null };
  const wrap = (path: string, f: StorageFile): StorageFile => {
    const isLog = path.endsWith('.log');
    if (isLog) {
      state.openLogs++;
      state.maxOpenLogs = Math.max(state.maxOpenLogs, state.openLogs);
    }
    let closed = false;
    return {
      write: (b, o, l, p) => f.write(b, o, l, p),
      read: (b, o, l, p) => f.read(b, o, l, p),
      truncate: (len) => f.truncate(len),
      datasync: () => f.datasync(),
      sync: () => f.sync(),
      stat: () => f.stat(),
      async close() {
        if (isLog && !closed) state.openLogs--;
        closed = true;
        return f.close();
      },
    };
  };
  const io: StorageIO = {
    ...nodeIO,
    async open(path, flags) {
      if (state.failOpenUnder && path.includes(state.failOpenUnder)) throw Object.assign(new Error('EMFILE: too many open files (injected)'), { code: 'EMFILE' });
      return wrap(path, await nodeIO.open(path, flags));
    },
  };
  return { io, state };
}

async function open(io: StorageIO, config: LogManagerConfig = {}) {
  const m = await LogManager.open({ dataDir: dir, now: () => clock, logger: memoryLogger(), io, config });
  managers.push(m);
  return m;
}

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => undefined);
  await cleanup();
});

describe('segment file handles are bounded', () => {
  it('a topic with 5x more partitions than the handle budget is written, read and reopened', async () => {
    const { io, state } = countingIO();
    const budget = 8;
    const partitions = 40;
    const m = await open(io, { maxOpenSegmentFiles: budget });
    await m.createTopic('wide', { partitions });
    // Creation opens up to 16 partitions at once; each in-use handle is kept until its open is done.
    expect(state.maxOpenLogs).toBeLessThanOrEqual(budget + 16);
    state.maxOpenLogs = state.openLogs;
    for (let round = 0; round < 3; round++) {
      for (let p = 0; p < partitions; p++) await m.partition('wide', p)!.append(batchOf(2, clock, `p${p}r${round}`), { logAppendTime: false });
    }
    for (let p = 0; p < partitions; p++) {
      const log = m.partition('wide', p)!;
      expect(log.logEndOffset).toBe(6);
      const batches = listBatches((await log.read(0, 1 << 20)).records);
      expect(batches.map((b) => b.baseOffset)).toEqual([0, 2, 4]);
    }
    // Used one after another, the open set never grew past the budget (+1 for the one being opened).
    expect(state.maxOpenLogs).toBeLessThanOrEqual(budget + 1);
    expect(m.handles.evictions).toBeGreaterThan(0);
    await m.flushAll();
    await m.close();
    managers.splice(0);
    expect(state.openLogs).toBe(0);
    const m2 = await open(io, { maxOpenSegmentFiles: budget });
    for (let p = 0; p < partitions; p++) expect(m2.partition('wide', p)!.logEndOffset).toBe(6);
    expect(state.openLogs).toBeLessThanOrEqual(budget + 16);
  });

  it('the budget is read from the process limit (Linux /proc/self/limits), with a fallback', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            256                  4096                 files\n';
    expect(openFileLimit(() => limits)).toBe(256);
    expect(openFileLimit(() => {
      throw new Error('no /proc');
    })).toBe(1024);
    expect(segmentHandleBudget(256)).toBe(64);
    expect(segmentHandleBudget(100)).toBe(16);
  });
});

describe('CreateTopics / CreatePartitions are all or nothing', () => {
  it('a create that fails on one partition leaves no directory and no metadata; a retry works', async () => {
    const { io, state } = countingIO();
    const m = await open(io);
    state.failOpenUnder = `${join(dir, 'half-23')}/`;
    await expect(m.createTopic('half', { partitions: 40 })).rejects.toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(m.getTopic('half')).toBeUndefined();
    expect(m.partition('half', 0)).toBeUndefined();
    expect((await readdir(dir)).filter((d) => d.startsWith('half'))).toEqual([]);
    expect(await readFile(join(dir, '__kstream_meta', 'topics.json'), 'utf8').catch(() => '')).not.toMatch(/half/);
    state.failOpenUnder = null;
    await m.createTopic('half', { partitions: 40 });
    expect(m.getTopic('half')?.partitionCount).toBe(40);
    expect(m.handles.openCount).toBeLessThanOrEqual(m.handles.limit);
  });

  it('an add-partitions that fails midway keeps the old count, files and metadata', async () => {
    const { io, state } = countingIO();
    const m = await open(io);
    await m.createTopic('grow', { partitions: 2 });
    await m.partition('grow', 1)!.append(batchOf(3, clock), { logAppendTime: false });
    state.failOpenUnder = `${join(dir, 'grow-7')}/`;
    await expect(m.createPartitions('grow', 10)).rejects.toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(m.getTopic('grow')?.partitionCount).toBe(2);
    expect((await readdir(dir)).filter((d) => d.startsWith('grow')).sort()).toEqual(['grow-0', 'grow-1']);
    expect(JSON.parse(await readFile(join(dir, '__kstream_meta', 'topics.json'), 'utf8')).topics[0].partitions).toBe(2);
    expect(m.partition('grow', 1)!.logEndOffset).toBe(3);
    state.failOpenUnder = null;
    await m.createPartitions('grow', 10);
    expect(m.getTopic('grow')?.partitionCount).toBe(10);
    await m.close();
    managers.splice(0);
    const m2 = await open(io);
    expect(m2.getTopic('grow')?.partitionCount).toBe(10);
    expect(m2.partition('grow', 1)!.logEndOffset).toBe(3);
  });
});
