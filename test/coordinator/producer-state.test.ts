import { describe, expect, it } from 'vitest';
import { BATCHES_TO_RETAIN, lastSequenceOf, ProducerStateError, ProducerStateManager } from '../../src/storage/producer-state.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const PID = 4000n;
const MAX = 0x7fffffff;

/** Appends `batches` batches of `size` records for PID epoch 0 starting at sequence 0 / offset 0. */
function withBatches(batches: number, size = 10) {
  const s = new ProducerStateManager();
  for (let i = 0; i < batches; i++) {
    const base = i * size;
    const last = lastSequenceOf(base, size);
    expect(s.check(PID, 0, base, last)).toEqual({ kind: 'append' });
    s.record(PID, 0, base, last, 1000 + base, 1000 + base + size - 1, 5000 + i);
  }
  return s;
}

describe('ProducerStateManager', () => {
  it('accepts any sequence from a producer it has no state for', () => {
    const s = new ProducerStateManager();
    expect(s.check(PID, 3, 12345, 12349)).toEqual({ kind: 'append' });
    expect(s.check(-1n, -1, -1, -1)).toEqual({ kind: 'append' });
  });

  it('acknowledges a duplicate of each of the last 5 batches with its original offsets', () => {
    const s = withBatches(8);
    // Batches 3..7 are retained (sequences 30..79).
    for (let i = 8 - BATCHES_TO_RETAIN; i < 8; i++) {
      const base = i * 10;
      expect(s.check(PID, 0, base, base + 9)).toEqual({ kind: 'duplicate', firstOffset: 1000 + base, lastOffset: 1000 + base + 9, timestamp: 5000 + i });
    }
    // Batch 2 is no longer retained: it is out of order, not a duplicate.
    expect(s.check(PID, 0, 20, 29)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  });

  it('rejects a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER (45) and accepts the next sequence', () => {
    const s = withBatches(2);
    expect(s.check(PID, 0, 21, 25)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(s.check(PID, 0, 19, 25)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(s.check(PID, 0, 20, 25)).toEqual({ kind: 'append' });
  });

  it('rejects an older epoch with INVALID_PRODUCER_EPOCH (47)', () => {
    const s = new ProducerStateManager();
    s.record(PID, 5, 0, 0, 0, 0, 1);
    expect(s.check(PID, 4, 1, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
  });

  it('a new epoch must start at sequence 0 and replaces the old history', () => {
    const s = withBatches(3);
    expect(s.check(PID, 1, 30, 39)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(s.check(PID, 1, 0, 9)).toEqual({ kind: 'append' });
    s.record(PID, 1, 0, 9, 2000, 2009, 9000);
    expect(s.epochOf(PID)).toBe(1);
    // The old epoch's batch 0..9 is gone; the new one is the duplicate now.
    expect(s.check(PID, 1, 0, 9)).toMatchObject({ kind: 'duplicate', firstOffset: 2000 });
    expect(s.check(PID, 0, 20, 29)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
  });

  it('wraps sequences from 2^31-1 to 0', () => {
    expect(lastSequenceOf(MAX - 1, 3)).toBe(0);
    expect(lastSequenceOf(MAX, 1)).toBe(MAX);
    const s = new ProducerStateManager();
    s.record(PID, 0, MAX - 4, MAX, 0, 4, 1);
    expect(s.check(PID, 0, 0, 4)).toEqual({ kind: 'append' });
    expect(s.check(PID, 0, 1, 4)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    s.record(PID, 0, MAX - 1, lastSequenceOf(MAX - 1, 4), 5, 8, 2);
    expect(s.check(PID, 0, 2, 2)).toEqual({ kind: 'append' });
    expect(s.check(PID, 0, 3, 3)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(s.check(PID, 0, MAX - 1, 1)).toMatchObject({ kind: 'duplicate', firstOffset: 5 });
  });

  it('keeps producers independent', () => {
    const s = withBatches(1);
    expect(s.check(PID + 1n, 0, 500, 509)).toEqual({ kind: 'append' });
    s.record(PID + 1n, 0, 500, 509, 50, 59, 1);
    expect(s.check(PID, 0, 10, 19)).toEqual({ kind: 'append' });
    expect(s.producerCount).toBe(2);
  });

  it('round-trips through a snapshot and rejects a corrupt one', () => {
    const s = withBatches(7);
    s.record(PID + 9n, 3, 0, 0, 77, 77, 123);
    const bytes = s.serialize(1234);
    const { state, nextOffset } = ProducerStateManager.deserialize(bytes);
    expect(nextOffset).toBe(1234);
    expect(state.serialize(1234).equals(bytes)).toBe(true);
    expect(state.check(PID, 0, 60, 69)).toMatchObject({ kind: 'duplicate', firstOffset: 1060 });
    expect(state.check(PID, 0, 70, 79)).toEqual({ kind: 'append' });
    expect(state.epochOf(PID + 9n)).toBe(3);
    const bad = Buffer.from(bytes);
    bad[bad.length - 1]! ^= 1;
    expect(() => ProducerStateManager.deserialize(bad)).toThrow(ProducerStateError);
    expect(() => ProducerStateManager.deserialize(bytes.subarray(0, 10))).toThrow(ProducerStateError);
  });

  it('forgets batches past a truncation point and producers that aged out', () => {
    const s = withBatches(3);
    s.truncateFrom(1020);
    expect(s.check(PID, 0, 20, 29)).toEqual({ kind: 'append' });
    expect(s.check(PID, 0, 10, 19)).toMatchObject({ kind: 'duplicate' });
    s.truncateFrom(0);
    expect(s.producerCount).toBe(0);
    const t = withBatches(1);
    expect(t.expire(5000 + 100, 50)).toBe(1);
    expect(t.producerCount).toBe(0);
  });
});
