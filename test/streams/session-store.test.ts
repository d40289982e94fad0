import { afterEach, describe, expect, it } from 'vitest';
import { InMemorySessionBytesStore } from '../../src/streams/state/bytes-stores.ts';
import { SqliteSessionBytesStore } from '../../src/streams/state/sqlite-session-store.ts';
import { makeTempDir } from '../helpers/index.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const k = (s: string) => Buffer.from(s);
const v = (s: string) => Buffer.from(s);
const text = (rows: Array<{ start: number; end: number; value: Buffer }>) => rows.map((r) => `${r.start}-${r.end}:${r.value.toString()}`);

describe('persistent session store (node:sqlite)', () => {
  it('answers as the in-memory store under merges, removals and retention', async () => {
    const { dir, cleanup } = await makeTempDir();
    cleanups.push(cleanup);
    const mem = new InMemorySessionBytesStore(100);
    const disk = new SqliteSessionBytesStore(dir, 'sessions', 100);
    // Deterministic pseudo-random sequence of session writes (merges remove the old session, as the
    // session aggregator does), with stream time moving so retention drops the oldest.
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 400; i++) {
      const key = k(`key-${rnd(5)}`);
      const start = Math.floor(i / 2) + rnd(20);
      const end = start + rnd(30);
      const value = rnd(6) === 0 ? null : v(`v${i}`);
      mem.put(key, start, end, value);
      disk.put(key, start, end, value);
      if (i % 50 === 49) disk.flush();
    }
    for (let q = 0; q < 5; q++) {
      for (const [from, to] of [[0, Number.MAX_SAFE_INTEGER], [150, 180], [190, 400]] as const) {
        expect(text(disk.find(k(`key-${q}`), from, to)), `key-${q} ${from}..${to}`).toEqual(text(mem.find(k(`key-${q}`), from, to)));
      }
    }
    disk.close();
  });

  it('keeps committed sessions and stream time across a reopen; uncommitted writes are gone', async () => {
    const { dir, cleanup } = await makeTempDir();
    cleanups.push(cleanup);
    const a = new SqliteSessionBytesStore(dir, 's', 50);
    a.put(k('x'), 10, 20, v('kept'));
    a.put(k('x'), 200, 210, v('late'));
    a.flush(); // stream time 210: the session ending at 20 is past retention
    a.put(k('y'), 205, 209, v('committed at close'));
    a.close();
    const b = new SqliteSessionBytesStore(dir, 's', 50);
    expect(text(b.find(k('x'), 0, Number.MAX_SAFE_INTEGER))).toEqual(['200-210:late']);
    expect(text(b.find(k('y'), 0, Number.MAX_SAFE_INTEGER))).toEqual(['205-209:committed at close']);
    // Retention still applies after the reopen: a write ending before 210 − 50 is dropped.
    b.put(k('z'), 100, 120, v('too old'));
    expect(b.find(k('z'), 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    b.close();
  });
});
