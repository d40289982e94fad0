import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { crcMatches } from '../../src/protocol/records/batch-header.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { verifyPartition } from '../../src/storage/verify.ts';
import { makeTempDir } from '../helpers/index.ts';
import { batchOf, listBatches, memoryLogger } from './helpers.ts';

const clock = 1_700_000_000_000;

const batchSpec = fc.record({ records: fc.integer({ min: 1, max: 5 }), valueSize: fc.integer({ min: 0, max: 3000 }) });

/** Appends the specs; returns the stamped batches (the model of what the log must hold). */
async function fillLog(m: LogManager, specs: { records: number; valueSize: number }[], configs: Record<string, string>) {
  await m.createTopic('p', { partitions: 1, configs });
  const log = m.partition('p', 0)!;
  const model: Buffer[] = [];
  for (const [i, s] of specs.entries()) {
    const b = batchOf(s.records, clock + i, `b${i}`, s.valueSize);
    await log.append(b, { logAppendTime: false });
    model.push(b); // stamped in place by append
  }
  return { log, model };
}

function checkRead(records: Buffer, model: Buffer[], offset: number, maxBytes: number, minOne: boolean, logEnd: number) {
  const bs = listBatches(records);
  if (offset === logEnd) {
    expect(records.length).toBe(0);
    return;
  }
  if (!minOne && bs.length === 0) return;
  expect(bs.length).toBeGreaterThan(0);
  expect(bs[0]!.baseOffset).toBeLessThanOrEqual(offset);
  expect(bs[0]!.lastOffset).toBeGreaterThanOrEqual(offset);
  if (bs.length > 1 || !minOne) expect(records.length).toBeLessThanOrEqual(maxBytes);
  let at = 0;
  for (const b of bs) {
    const expected = model.find((m) => Number(m.readBigInt64BE(0)) === b.baseOffset)!;
    expect(records.subarray(at, at + b.size).equals(expected)).toBe(true);
    expect(crcMatches(records, at)).toBe(true);
    at += b.size;
  }
  expect(at).toBe(records.length);
  for (let i = 1; i < bs.length; i++) expect(bs[i]!.baseOffset).toBe(bs[i - 1]!.lastOffset + 1);
}

describe('property: reads always return the right whole batches', () => {
  it('for random batch sizes, segment sizes, index intervals and fetches — before and after reopen', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchSpec, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(600, 3000, 20000),
        fc.constantFrom(0, 100, 4096),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 40000 }), fc.boolean()), { minLength: 1, maxLength: 15 }),
        async (specs, segmentBytes, interval, fetches) => {
          const { dir, cleanup } = await makeTempDir('kstream-storage-');
          try {
            let m = await LogManager.open({ dataDir: dir, now: () => clock, logger: memoryLogger() });
            const { model } = await fillLog(m, specs, { 'segment.bytes': String(segmentBytes), 'index.interval.bytes': String(interval) });
            for (const round of [0, 1]) {
              const log = m.partition('p', 0)!;
              expect(await verifyPartition(log)).toEqual([]);
              const end = log.logEndOffset;
              for (const [o, maxBytes, minOne] of fetches) {
                const offset = o % (end + 1);
                const { records } = await log.read(offset, maxBytes, { minOneBatch: minOne });
                checkRead(records, model, offset, maxBytes, minOne, end);
              }
              await m.close();
              if (round === 0) m = await LogManager.open({ dataDir: dir, now: () => clock, logger: memoryLogger() });
            }
          } finally {
            await cleanup();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('property: a crash cut anywhere in the tail loses exactly the torn batch and after', () => {
  it('truncating the active segment at any byte leaves the complete batches before it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchSpec, { minLength: 1, maxLength: 25 }), fc.double({ min: 0, max: 1, noNaN: true }), async (specs, where) => {
        const { dir, cleanup } = await makeTempDir('kstream-storage-');
        try {
          const m = await LogManager.open({ dataDir: dir, now: () => clock, logger: memoryLogger(), config: { durability: { mode: 'never' } } });
          const { log, model } = await fillLog(m, specs, { 'segment.bytes': '8000' });
          await log.flush(); // let background roll flushes finish: a real crash leaves no process behind
          const active = log.segmentList[log.segmentList.length - 1]!;
          const path = join(dir, 'p-0', String(active.baseOffset).padStart(20, '0') + '.log');
          const size = (await stat(path)).size;
          const cut = Math.floor(size * where);
          await truncate(path, cut); // crash: the manager is abandoned, never closed
          // Expected: batches of the active segment that end at or before the cut survive.
          let pos = 0;
          let expectedEnd = active.baseOffset;
          for (const b of model) {
            const base = Number(b.readBigInt64BE(0));
            if (base < active.baseOffset) continue;
            if (pos + b.length > cut) break;
            pos += b.length;
            expectedEnd = base + b.readInt32BE(23) + 1;
          }
          const m2 = await LogManager.open({ dataDir: dir, now: () => clock, logger: memoryLogger() });
          const log2 = m2.partition('p', 0)!;
          expect(log2.logEndOffset).toBe(expectedEnd);
          expect(await verifyPartition(log2)).toEqual([]);
          expect((await stat(path)).size).toBe(pos);
          let next = 0;
          while (next < expectedEnd) {
            const { records } = await log2.read(next, 50_000);
            checkRead(records, model, next, 50_000, true, expectedEnd);
            const bs = listBatches(records);
            next = bs[bs.length - 1]!.lastOffset + 1;
          }
          expect((await log2.append(batchOf(1, clock), { logAppendTime: false })).baseOffset).toBe(expectedEnd);
          await m2.close();
        } finally {
          await cleanup();
        }
      }),
      { numRuns: 25 },
    );
  });
});
