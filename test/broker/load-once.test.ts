import { describe, expect, it } from 'vitest';
import { loadOnce } from '../../src/broker/load-once.ts';

describe('loadOnce', () => {
  it('runs the load once for concurrent and later callers', async () => {
    let loads = 0;
    const get = loadOnce(async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return { n: loads };
    });
    const [a, b] = await Promise.all([get(), get()]);
    const c = await get();
    expect(loads).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
  });

  it('forgets a failed load: the next call tries again', async () => {
    let loads = 0;
    const get = loadOnce(async () => {
      loads++;
      if (loads === 1) throw new Error('disk on fire');
      return 'loaded';
    });
    await expect(get()).rejects.toThrow('disk on fire');
    await expect(get()).resolves.toBe('loaded');
    await expect(get()).resolves.toBe('loaded');
    expect(loads).toBe(2);
  });
});
