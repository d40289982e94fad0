import { describe, expect, it } from 'vitest';
import { checkHistory, splitBatches, type History, type StoredBatch } from './history-checker.ts';

/** A minimal v2-shaped batch frame: base offset, length, leader epoch, magic, crc, attributes, lastOffsetDelta, payload. */
function batch(baseOffset: number, count: number, payload: string): StoredBatch {
  const body = Buffer.alloc(4 + 1 + 4 + 2 + 4 + payload.length);
  body.writeInt32BE(0, 0);
  body.writeInt8(2, 4);
  body.writeInt32BE(0, 5);
  body.writeInt16BE(0, 9);
  body.writeInt32BE(count - 1, 11);
  body.write(payload, 15);
  const head = Buffer.alloc(12);
  head.writeBigInt64BE(BigInt(baseOffset), 0);
  head.writeInt32BE(body.length, 8);
  const bytes = Buffer.concat([head, body]);
  return { baseOffset, lastOffset: baseOffset + count - 1, bytes };
}

function good(): History {
  const b0 = batch(0, 2, 'ab');
  const b2 = batch(2, 1, 'c');
  return {
    acked: [
      { partition: 0, value: 'a', offset: 0 },
      { partition: 0, value: 'b', offset: 1 },
      { partition: 0, value: 'c', offset: 2 },
      { partition: 1, value: 'x', offset: 0 },
    ],
    final: new Map([
      [0, [{ offset: 0, value: 'a' }, { offset: 1, value: 'b' }, { offset: 2, value: 'c' }, { offset: 3, value: 'unacked-but-fine' }]],
      [1, [{ offset: 0, value: 'x' }]],
    ]),
    leaders: [
      { partition: 0, leaderEpoch: 0, leader: 1 },
      { partition: 0, leaderEpoch: 0, leader: 1 },
      { partition: 0, leaderEpoch: 1, leader: 2 },
      { partition: 1, leaderEpoch: 0, leader: 2 },
    ],
    replicas: new Map([[0, { highWatermark: 3, byBroker: new Map([[1, [b0, b2]], [2, [b0, b2]], [3, [b0, b2, batch(3, 1, 'd')]]]) }]]),
  };
}

describe('history checker', () => {
  it('accepts a correct history', () => {
    expect(checkHistory(good())).toEqual([]);
  });

  it('finds an acknowledged record that is gone (what an unclean election does)', () => {
    const h = good();
    h.final.set(0, [{ offset: 0, value: 'a' }, { offset: 1, value: 'b' }]);
    expect(checkHistory(h)).toEqual([{ kind: 'lost', partition: 0, value: 'c', offset: 2 }]);
  });

  it('finds a duplicated record', () => {
    const h = good();
    h.final.get(1)!.push({ offset: 1, value: 'x' });
    expect(checkHistory(h)).toEqual([{ kind: 'duplicated', partition: 1, value: 'x', offsets: [0, 1] }]);
  });

  it('finds records out of acknowledgement order and at another offset than acknowledged', () => {
    const h = good();
    h.final.set(0, [{ offset: 0, value: 'a' }, { offset: 1, value: 'c' }, { offset: 2, value: 'b' }]);
    const kinds = checkHistory(h).map((a) => a.kind).sort();
    expect(kinds).toEqual(['moved', 'moved', 'reordered']);
  });

  it('finds two leaders in one epoch', () => {
    const h = good();
    h.leaders.push({ partition: 0, leaderEpoch: 1, leader: 3 });
    expect(checkHistory(h)).toEqual([{ kind: 'two-leaders', partition: 0, leaderEpoch: 1, leaders: [2, 3] }]);
  });

  it('finds a replica whose bytes differ below the high watermark, and one missing a batch', () => {
    const h = good();
    h.replicas!.get(0)!.byBroker.set(2, [batch(0, 2, 'aX'), batch(2, 1, 'c')]);
    h.replicas!.get(0)!.byBroker.set(3, [batch(0, 2, 'ab')]);
    expect(checkHistory(h)).toEqual([
      { kind: 'replica-diverged', partition: 0, broker: 2, baseOffset: 0 },
      { kind: 'replica-diverged', partition: 0, broker: 3, baseOffset: 2 },
    ]);
  });

  it('ignores differences at and above the high watermark (not yet committed)', () => {
    const h = good();
    h.replicas!.get(0)!.byBroker.set(2, [batch(0, 2, 'ab'), batch(2, 1, 'c'), batch(3, 1, 'z')]);
    expect(checkHistory(h)).toEqual([]);
  });

  it('splits a segment file into its batches and stops at a torn tail', () => {
    const a = batch(0, 2, 'ab');
    const b = batch(2, 3, 'cde');
    const file = Buffer.concat([a.bytes, b.bytes, Buffer.from([0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 99])]);
    const got = splitBatches(file);
    expect(got.map((x) => [x.baseOffset, x.lastOffset])).toEqual([[0, 1], [2, 4]]);
    expect(got[1]!.bytes.equals(b.bytes)).toBe(true);
  });
});
