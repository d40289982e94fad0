import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../src/storage/log-manager.ts';
import { ReadBufferPool } from '../../src/storage/read-buffer-pool.ts';
import { makeTempDir } from '../helpers/index.ts';
import { batchOf, listBatches, memoryLogger } from './helpers.ts';

describe('ReadBufferPool', () => {
  it('reuses released buffers by size class, once per release, within its cap', () => {
    const pool = new ReadBufferPool(3 * 128 * 1024);
    expect(ReadBufferPool.classOf(1)).toBe(64 * 1024);
    expect(ReadBufferPool.classOf(100_000)).toBe(128 * 1024);
    expect(ReadBufferPool.classOf(17 * 1024 * 1024)).toBe(0);
    const a = pool.acquire(100_000);
    expect(a.buf.length).toBe(128 * 1024);
    a.release();
    a.release(); // one-shot: must not pool the same buffer twice
    const b = pool.acquire(120_000);
    expect(b.buf).toBe(a.buf);
    const c = pool.acquire(120_000);
    expect(c.buf).not.toBe(a.buf); // the single pooled copy is lent out
    const big = pool.acquire(17 * 1024 * 1024);
    expect(big.buf.length).toBe(17 * 1024 * 1024);
    big.release();
    const more = [pool.acquire(100_000), pool.acquire(100_000), pool.acquire(100_000), pool.acquire(100_000)];
    for (const x of [b, c, ...more]) x.release();
    expect(pool.idleBytes).toBe(3 * 128 * 1024);
    expect(pool.stats.dropped).toBe(3);
  });
});

describe('pooled reads', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let m: LogManager;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('kstream-storage-'));
    m = await LogManager.open({ dataDir: dir, logger: memoryLogger(), config: { readPoolBytes: 8 * 1024 * 1024 } });
  });
  afterEach(async () => {
    await m.close();
    await cleanup();
  });

  it('lends read buffers with release(); a released buffer serves the next read with the right bytes', async () => {
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    const stamped: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const b = batchOf(3, Date.now(), `p${i}`, 500);
      await log.append(b, { logAppendTime: false });
      stamped.push(b);
    }
    const r1 = await log.read(0, 10_000);
    expect(r1.release).toBeTypeOf('function');
    const first = Buffer.from(r1.records);
    expect(first.subarray(0, stamped[0]!.length).equals(stamped[0]!)).toBe(true);
    const pooled = r1.records.buffer;
    r1.release!();
    const r2 = await log.read(60, 10_000);
    expect(r2.records.buffer).toBe(pooled); // same memory, reused
    const bs = listBatches(r2.records);
    let at = 0;
    for (const b of bs) {
      expect(r2.records.subarray(at, at + b.size).equals(stamped[b.baseOffset / 3]!)).toBe(true);
      at += b.size;
    }
    r2.release!();
    // Empty answers carry no release and hold no buffer.
    const end = await log.read(150, 10_000);
    expect(end.records.length).toBe(0);
    expect(end.release).toBeUndefined();
    expect(m.readPool!.stats.reused).toBeGreaterThan(0);
  });
});
