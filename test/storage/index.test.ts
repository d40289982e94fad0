import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeIO } from '../../src/storage/io.ts';
import { OffsetIndex } from '../../src/storage/offset-index.ts';
import { TimeIndex } from '../../src/storage/time-index.ts';
import { segmentFileName } from '../../src/storage/log-segment.ts';
import { makeTempDir } from '../helpers/index.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir('kstream-storage-')));
afterEach(async () => cleanup());

describe('segment file names', () => {
  it('pads base offsets to 20 digits', () => {
    expect(segmentFileName(0, '.log')).toBe('00000000000000000000.log');
    expect(segmentFileName(1234567, '.timeindex')).toBe('00000000000001234567.timeindex');
  });
});

describe('OffsetIndex', () => {
  it('finds the largest entry <= target by binary search, relative to the base offset', async () => {
    const idx = new OffsetIndex(join(dir, 'a.index'), 1000);
    for (let i = 0; i < 100; i++) idx.append(1000 + i * 10 + 9, i * 4100 + 4100);
    expect(idx.lookupPosition(1000)).toBe(0); // before the first entry
    expect(idx.lookupPosition(1009)).toBe(4100);
    expect(idx.lookupPosition(1010)).toBe(4100);
    expect(idx.lookupPosition(1019)).toBe(8200);
    expect(idx.lookupPosition(5000)).toBe(100 * 4100);
    expect(idx.isSane(100 * 4100 + 1)).toBe(true);
    expect(idx.isSane(100 * 4100)).toBe(false); // a position at/after the log end
    await idx.flush(nodeIO, true);
    const bytes = await readFile(idx.path);
    expect(bytes.length).toBe(800);
    expect(bytes.readInt32BE(0)).toBe(9); // relative offset
    expect(bytes.readInt32BE(4)).toBe(4100); // position
    const again = new OffsetIndex(idx.path, 1000);
    expect(await again.load(nodeIO)).toBe(true);
    expect(again.lookupPosition(1019)).toBe(8200);
    again.truncateToOffset(1020);
    expect(again.entries).toBe(2);
    await again.flush(nodeIO, false);
    expect((await stat(idx.path)).size).toBe(16);
  });

  it('reports a torn file (not a whole number of entries) so it gets rebuilt', async () => {
    const path = join(dir, 'b.index');
    await writeFile(path, Buffer.alloc(13));
    const idx = new OffsetIndex(path, 0);
    expect(await idx.load(nodeIO)).toBe(false);
    expect(idx.entries).toBe(0);
    expect(await new OffsetIndex(join(dir, 'missing.index'), 0).load(nodeIO)).toBe(false);
  });

  it('rejects non-increasing entries in the sanity check', () => {
    const idx = new OffsetIndex(join(dir, 'c.index'), 0);
    idx.append(5, 100);
    idx.append(4, 200);
    expect(idx.isSane(1000)).toBe(false);
  });
});

describe('TimeIndex', () => {
  it('only appends growing timestamps and looks up the entry before the target', () => {
    const idx = new TimeIndex(join(dir, 'a.timeindex'), 50);
    idx.maybeAppend(1000, 55);
    idx.maybeAppend(900, 60); // not larger: skipped
    idx.maybeAppend(2000, 70);
    idx.maybeAppend(3000, 80);
    expect(idx.entries).toBe(3);
    expect(idx.lookupOffset(500)).toBe(50);
    expect(idx.lookupOffset(1000)).toBe(50);
    expect(idx.lookupOffset(1001)).toBe(55);
    expect(idx.lookupOffset(2500)).toBe(70);
    expect(idx.lookupOffset(99999)).toBe(80);
    expect(idx.lastEntry()).toEqual({ timestamp: 3000, offset: 80 });
    expect(idx.isSane()).toBe(true);
    idx.truncateToOffset(70);
    expect(idx.lastEntry()).toEqual({ timestamp: 1000, offset: 55 });
  });

  it('writes Kafka layout: int64 timestamp + int32 relative offset', async () => {
    const idx = new TimeIndex(join(dir, 'b.timeindex'), 100);
    idx.maybeAppend(1_700_000_000_000, 105);
    await idx.flush(nodeIO, false);
    const bytes = await readFile(idx.path);
    expect(bytes.length).toBe(12);
    expect(bytes.readBigInt64BE(0)).toBe(1_700_000_000_000n);
    expect(bytes.readInt32BE(8)).toBe(5);
  });
});
