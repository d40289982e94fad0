/**
 * The shared helpers themselves: a wait that cannot fail, or a cleanup stack that runs out of order,
 * would let every test built on them pass when it should not.
 */
import { access } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { pollFor, seededRandom, useCleanupStack, waitFor } from './index.ts';

describe('pollFor / waitFor', () => {
  it('resolves with the first value that is neither undefined nor false', async () => {
    let n = 0;
    expect(await pollFor('the third call', () => (++n === 3 ? { n } : n === 1 ? false : undefined), { intervalMs: 1 })).toEqual({ n: 3 });
  });

  it('fails at the deadline naming what it waited for', async () => {
    await expect(pollFor('godot', () => false, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(/timed out waiting for godot \(30 ms\)$/);
    await expect(waitFor('godot', () => false, 30, 5)).rejects.toThrow(/timed out waiting for godot/);
  });

  it('a throwing check fails at once, unless retryErrors: then it is "not yet" and the deadline names the last error', async () => {
    let calls = 0;
    const boom = () => {
      calls++;
      throw new Error(`refused ${calls}`);
    };
    await expect(pollFor('a server', boom, { timeoutMs: 10_000 })).rejects.toThrow('refused 1');
    expect(calls).toBe(1);
    await expect(pollFor('a server', boom, { timeoutMs: 30, intervalMs: 5, retryErrors: true })).rejects.toThrow(/timed out waiting for a server .*last error: refused \d+/);
    expect(calls).toBeGreaterThan(2);
    let up = false;
    setTimeout(() => (up = true), 20);
    expect(await pollFor('a server', () => (up ? 'up' : boom()), { intervalMs: 5, retryErrors: true })).toBe('up');
  });
});

describe('seededRandom', () => {
  it('repeats a sequence for a seed, another for another seed, all in [0, 1)', () => {
    const a = Array.from({ length: 5 }, seededRandom(42));
    expect(Array.from({ length: 5 }, seededRandom(42))).toEqual(a);
    expect(Array.from({ length: 5 }, seededRandom(43))).not.toEqual(a);
    for (const x of Array.from({ length: 1000 }, seededRandom(7))) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe('useCleanupStack', () => {
  const { defer, tempDir } = useCleanupStack();
  const order: string[] = [];
  let dir = '';

  it('registers undo steps and temp dirs during a test', async () => {
    dir = await tempDir('kstream-stack-');
    await access(dir);
    defer(() => order.push('first'));
    defer(() => {
      throw new Error('already gone');
    });
    defer(() => order.push('last'));
  });

  it('ran them after that test, last-in first-out, past a failing one, and removed the dir', async () => {
    expect(order).toEqual(['last', 'first']);
    await expect(access(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  afterAll(() => expect(order).toEqual(['last', 'first']));
});
