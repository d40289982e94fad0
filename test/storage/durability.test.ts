import { describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KafkaStorageError } from '../../src/storage/errors.ts';
import type { StorageFile, StorageIO } from '../../src/storage/io.ts';
import { nodeIO } from '../../src/storage/io.ts';
import { useLogManagers } from './log-manager-harness.ts';
import { batchOf, listBatches, memoryLogger } from './helpers.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const env = useLogManagers();

/**
 * A failing fs layer: real files underneath, with switchable faults (we run as root, so a read-only
 * directory would not refuse writes). Counts fdatasync calls on .log files.
 */
function faultyIO() {
  const state = {
    datasyncs: 0,
    logWrites: 0,
    /** Fail .log writes with this errno; 'partial' writes half of the bytes first. */
    writeFault: null as null | { code: string; partial: boolean },
    openFault: null as null | string,
    syncFault: null as null | string,
  };
  const errno = (code: string) => Object.assign(new Error(`${code}: injected fault`), { code });
  const wrap = (path: string, f: StorageFile): StorageFile => ({
    async write(buf, off, len, pos) {
      if (state.writeFault && path.endsWith('.log')) {
        if (state.writeFault.partial && len > 1) await f.write(buf, off, len >> 1, pos);
        throw errno(state.writeFault.code);
      }
      if (path.endsWith('.log')) state.logWrites++;
      return f.write(buf, off, len, pos);
    },
    read: (buf, off, len, pos) => f.read(buf, off, len, pos),
    truncate: (len) => f.truncate(len),
    async datasync() {
      if (state.syncFault && path.endsWith('.log')) throw errno(state.syncFault);
      if (path.endsWith('.log')) state.datasyncs++;
      return f.datasync();
    },
    sync: () => f.sync(),
    stat: () => f.stat(),
    close: () => f.close(),
  });
  const io: StorageIO = {
    ...nodeIO,
    async open(path, flags) {
      if (state.openFault && flags.startsWith('w')) throw errno(state.openFault);
      return wrap(path, await nodeIO.open(path, flags));
    },
  };
  return { io, state };
}

const open = (io: StorageIO, durability: object, logger = memoryLogger()) => env.open({ logger, io, config: { durability } });

describe('fsync modes', () => {
  it('always: every acknowledged append is fdatasynced; concurrent appends share fsyncs', async () => {
    const { io, state } = faultyIO();
    const m = await open(io, { mode: 'always' });
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    state.datasyncs = 0;
    await log.append(batchOf(1, env.clock), { logAppendTime: false });
    expect(state.datasyncs).toBe(1);
    expect(log.highWatermark).toBe(1);
    expect(log.recoveryPoint).toBe(1);
    const n = 40;
    const all = await Promise.all(Array.from({ length: n }, () => log.append(batchOf(1, env.clock), { logAppendTime: false })));
    for (const r of all) expect(log.recoveryPoint).toBeGreaterThan(r.lastOffset);
    expect(state.datasyncs).toBeGreaterThan(1);
    expect(state.datasyncs).toBeLessThanOrEqual(n + 1);
    expect(log.highWatermark).toBe(n + 1);
  });

  it('interval: no fsync per append; flushes after flush interval messages and on the timer tick', async () => {
    const { io, state } = faultyIO();
    const m = await open(io, { mode: 'interval', intervalMs: 1000, intervalMessages: 5 });
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    state.datasyncs = 0;
    await log.append(batchOf(2, env.clock), { logAppendTime: false });
    await log.append(batchOf(2, env.clock), { logAppendTime: false });
    expect(state.datasyncs).toBe(0);
    expect(log.highWatermark).toBe(4); // visible before the fsync
    await log.append(batchOf(1, env.clock), { logAppendTime: false });
    expect(state.datasyncs).toBe(1); // 5 messages
    expect(log.recoveryPoint).toBe(5);
    await log.append(batchOf(1, env.clock), { logAppendTime: false });
    await m.flushDue();
    expect(state.datasyncs).toBe(1); // interval not yet passed
    env.clock += 1001;
    await m.flushDue();
    expect(state.datasyncs).toBe(2);
    expect(log.recoveryPoint).toBe(6);
  });

  it('never: appends do not fsync; close does, and leaves the clean-shutdown marker', async () => {
    const { io, state } = faultyIO();
    const m = await open(io, { mode: 'never' });
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    state.datasyncs = 0;
    for (let i = 0; i < 20; i++) await log.append(batchOf(3, env.clock), { logAppendTime: false });
    await m.flushDue();
    expect(state.datasyncs).toBe(0);
    expect(log.highWatermark).toBe(60);
    await m.close();
    expect(state.datasyncs).toBe(1);
    expect((await stat(join(env.dir, '.kafka_cleanshutdown'))).isFile()).toBe(true);
  });
});

describe('group commit', () => {
  it('writes appends that queue up behind an in-flight write together, each with its own offsets', async () => {
    const { io, state } = faultyIO();
    const m = await open(io, { mode: 'never' });
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '4000' } });
    const log = m.partition('t', 0)!;
    state.logWrites = 0;
    const rs = await Promise.all(Array.from({ length: 60 }, (_, i) => log.append(batchOf(1 + (i % 3), env.clock, `g${i}`, 60), { logAppendTime: false })));
    expect(state.logWrites).toBeLessThan(60);
    let next = 0;
    for (const r of rs) {
      expect(r.baseOffset).toBe(next); // issue order = offset order
      next = r.lastOffset + 1;
    }
    expect(log.segmentList.length).toBeGreaterThan(1); // the group spanned rolls
    for (const s of log.segmentList) expect(s.size).toBeLessThanOrEqual(4000);
    let o = 0;
    while (o < next) {
      const bs = listBatches((await log.read(o, 1 << 20)).records);
      expect(bs[0]!.baseOffset).toBe(o);
      o = bs[bs.length - 1]!.lastOffset + 1;
    }
  });

  it('a failed group write rejects every batch in it and leaves the log as before', async () => {
    const { io, state } = faultyIO();
    const m = await open(io, { mode: 'never' });
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    await log.append(batchOf(1, env.clock), { logAppendTime: false });
    state.writeFault = { code: 'ENOSPC', partial: true };
    const rs = await Promise.allSettled(Array.from({ length: 5 }, () => log.append(batchOf(2, env.clock), { logAppendTime: false })));
    expect(rs.every((r) => r.status === 'rejected' && (r.reason as { errorCode: number }).errorCode === ErrorCode.KAFKA_STORAGE_ERROR)).toBe(true);
    state.writeFault = null;
    expect(log.logEndOffset).toBe(1);
    expect((await log.append(batchOf(1, env.clock), { logAppendTime: false })).baseOffset).toBe(1);
    expect(listBatches((await log.read(0, 1 << 20)).records).map((b) => b.baseOffset)).toEqual([0, 1]);
  });
});

describe('disk faults', () => {
  for (const partial of [false, true]) {
    it(`ENOSPC on append${partial ? ' after a partial write' : ''} → KafkaStorageError (56), acknowledged data untouched`, async () => {
      const { io, state } = faultyIO();
      const logger = memoryLogger();
      const m = await open(io, { mode: 'never' }, logger);
      await m.createTopic('t', { partitions: 1 });
      const log = m.partition('t', 0)!;
      for (let i = 0; i < 5; i++) await log.append(batchOf(2, env.clock, `ok${i}`, 100), { logAppendTime: false });
      const path = join(env.dir, 't-0', '00000000000000000000.log');
      const sizeBefore = (await stat(path)).size;
      state.writeFault = { code: 'ENOSPC', partial };
      const err = await log.append(batchOf(2, env.clock, 'fails', 100), { logAppendTime: false }).catch((e) => e);
      expect(err).toBeInstanceOf(KafkaStorageError);
      expect(err.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(err.osCode).toBe('ENOSPC');
      expect(err.message).toMatch(/ENOSPC/);
      expect(logger.lines.some((l) => l.startsWith('ERROR') && l.includes('ENOSPC'))).toBe(true);
      expect((await stat(path)).size).toBe(sizeBefore);
      expect(log.logEndOffset).toBe(10);
      expect(listBatches((await log.read(0, 1 << 20)).records).length).toBe(5);
      // The disk has room again: appends continue at the next offset, and a restart sees it all.
      state.writeFault = null;
      expect((await log.append(batchOf(1, env.clock), { logAppendTime: false })).baseOffset).toBe(10);
      env.abandon(); // crash
      const m2 = await open(nodeIO, { mode: 'never' });
      expect(m2.partition('t', 0)!.logEndOffset).toBe(11);
    });
  }

  it('EACCES when rolling a new segment → KafkaStorageError, log keeps working afterwards', async () => {
    const { io, state } = faultyIO();
    const m = await open(io, { mode: 'never' });
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '600' } });
    const log = m.partition('t', 0)!;
    await log.append(batchOf(2, env.clock, 'a', 200), { logAppendTime: false });
    state.openFault = 'EACCES';
    await expect(log.append(batchOf(2, env.clock, 'b', 200), { logAppendTime: false })).rejects.toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, osCode: 'EACCES' });
    state.openFault = null;
    expect((await log.append(batchOf(2, env.clock, 'c', 200), { logAppendTime: false })).baseOffset).toBe(2);
    expect(log.segmentList.length).toBe(2);
  });

  it('a failed fsync (EIO) takes the partition offline: later appends fail with 56, reads still work', async () => {
    const { io, state } = faultyIO();
    const m = await open(io, { mode: 'always' });
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    await log.append(batchOf(1, env.clock), { logAppendTime: false });
    state.syncFault = 'EIO';
    await expect(log.append(batchOf(1, env.clock), { logAppendTime: false })).rejects.toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
    state.syncFault = null;
    await expect(log.append(batchOf(1, env.clock), { logAppendTime: false })).rejects.toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(log.offline).toBe(true);
    expect(log.highWatermark).toBe(1);
    expect(listBatches((await log.read(0, 1 << 20)).records).length).toBe(1);
  });
});
