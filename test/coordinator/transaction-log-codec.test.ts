import { describe, expect, it } from 'vitest';
import {
  TransactionLogCodecError,
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
} from '../../src/coordinator/transaction-log-codec.ts';
import type { TxnTransit } from '../../src/coordinator/transaction-metadata.ts';
import { TxnState } from '../../src/coordinator/transaction-state.ts';

/** Big-endian field builders, written out independently of the codec under test. */
const i8 = (v: number) => Buffer.from([v & 0xff]);
const i16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
const i32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const i64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
};
const str = (s: string) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
const uvarint = (n: number) => Buffer.from([n]); // every value used here is < 128

const transit = (over: Partial<TxnTransit>): TxnTransit => ({
  producerId: 4000n,
  lastProducerId: -1n,
  producerEpoch: 3,
  lastProducerEpoch: -1,
  txnTimeoutMs: 60_000,
  state: TxnState.Ongoing,
  partitions: [],
  txnStartTimestamp: 1_700_000_000_000,
  txnLastUpdateTimestamp: 1_700_000_000_500,
  ...over,
});

describe('__transaction_state key (TransactionLogKey v0)', () => {
  it('is int16 version 0 then the transactional id as an int16-length string', () => {
    expect(encodeTransactionLogKey('my-txn')).toEqual(Buffer.concat([i16(0), str('my-txn')]));
    expect(decodeTransactionLogKey(Buffer.concat([i16(0), str('my-txn')]))).toEqual({ kind: 'transaction', transactionalId: 'my-txn' });
  });

  it('reports an unknown key version instead of failing the load (Kafka skips it)', () => {
    expect(decodeTransactionLogKey(Buffer.concat([i16(7), str('x')]))).toEqual({ kind: 'unknown', version: 7 });
  });

  it('rejects a truncated key with a clear error', () => {
    expect(() => decodeTransactionLogKey(Buffer.concat([i16(0), i16(10), Buffer.from('abc')]))).toThrow(TransactionLogCodecError);
  });
});

describe('__transaction_state value (TransactionLogValue v0)', () => {
  it('encodes an Ongoing transaction byte for byte as Kafka 3.9 does, partitions grouped by topic', () => {
    const t = transit({
      partitions: [
        { topic: 'b', partition: 1 },
        { topic: 'a', partition: 2 },
        { topic: 'a', partition: 0 },
      ],
    });
    const expected = Buffer.concat([
      i16(0), // version
      i64(4000n), // ProducerId
      i16(3), // ProducerEpoch
      i32(60_000), // TransactionTimeoutMs
      i8(1), // TransactionStatus = Ongoing
      i32(2), // TransactionPartitions: 2 topics
      str('a'),
      i32(2),
      i32(0),
      i32(2),
      str('b'),
      i32(1),
      i32(1),
      i64(1_700_000_000_500n), // TransactionLastUpdateTimestampMs
      i64(1_700_000_000_000n), // TransactionStartTimestampMs
    ]);
    expect(encodeTransactionLogValue(t)).toEqual(expected);
  });

  it('stores the partitions of an Empty transaction as a null array, start -1', () => {
    const t = transit({ state: TxnState.Empty, producerEpoch: 0, txnStartTimestamp: -1 });
    const bytes = encodeTransactionLogValue(t);
    expect(bytes).toEqual(Buffer.concat([i16(0), i64(4000n), i16(0), i32(60_000), i8(0), i32(-1), i64(1_700_000_000_500n), i64(-1n)]));
    expect(decodeTransactionLogValue(bytes)).toEqual({
      producerId: 4000n,
      lastProducerId: -1n,
      producerEpoch: 0,
      txnTimeoutMs: 60_000,
      state: TxnState.Empty,
      partitions: [],
      txnLastUpdateTimestamp: 1_700_000_000_500,
      txnStartTimestamp: -1,
    });
  });

  it('refuses Empty with partitions, as Kafka does', () => {
    expect(() => encodeTransactionLogValue(transit({ state: TxnState.Empty, partitions: [{ topic: 't', partition: 0 }] }))).toThrow(/Empty/);
  });

  it('round-trips every state that is written to the log', () => {
    for (const state of [TxnState.Ongoing, TxnState.PrepareCommit, TxnState.PrepareAbort, TxnState.CompleteCommit, TxnState.CompleteAbort]) {
      const partitions = state === TxnState.CompleteCommit || state === TxnState.CompleteAbort ? [] : [{ topic: 'orders', partition: 5 }];
      const t = transit({ state, partitions, producerId: 9_007_199_254_740_993n });
      const back = decodeTransactionLogValue(encodeTransactionLogValue(t));
      expect(back).toEqual({
        producerId: t.producerId,
        lastProducerId: -1n,
        producerEpoch: t.producerEpoch,
        txnTimeoutMs: t.txnTimeoutMs,
        state,
        partitions,
        txnLastUpdateTimestamp: t.txnLastUpdateTimestamp,
        txnStartTimestamp: t.txnStartTimestamp,
      });
    }
  });

  it('reads a flexible v1 value (newer Kafka), tagged PreviousProducerId included', () => {
    const v1 = Buffer.concat([
      i16(1),
      i64(77n),
      i16(2),
      i32(30_000),
      i8(2), // PrepareCommit
      uvarint(2), // compact array: 1 topic
      uvarint(2),
      Buffer.from('t'), // compact string 't'
      uvarint(3),
      i32(0),
      i32(4), // compact array [0, 4]
      uvarint(0), // PartitionsSchema tagged fields: none
      i64(200n),
      i64(100n),
      uvarint(2), // two tagged fields
      uvarint(0),
      uvarint(8),
      i64(66n), // tag 0 PreviousProducerId = 66
      uvarint(2),
      uvarint(2),
      i16(2), // tag 2 ClientTransactionVersion (ignored)
    ]);
    expect(decodeTransactionLogValue(v1)).toEqual({
      producerId: 77n,
      lastProducerId: 66n,
      producerEpoch: 2,
      txnTimeoutMs: 30_000,
      state: TxnState.PrepareCommit,
      partitions: [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 4 },
      ],
      txnLastUpdateTimestamp: 200,
      txnStartTimestamp: 100,
    });
  });

  it('rejects unknown versions, unknown states and truncation with clear errors', () => {
    const good = encodeTransactionLogValue(transit({ partitions: [{ topic: 't', partition: 0 }] }));
    const badVersion = Buffer.from(good);
    badVersion.writeInt16BE(9, 0);
    expect(() => decodeTransactionLogValue(badVersion)).toThrow(/version 9/);
    const badState = Buffer.from(good);
    badState.writeInt8(42, 2 + 8 + 2 + 4);
    expect(() => decodeTransactionLogValue(badState)).toThrow(/state id 42/);
    expect(() => decodeTransactionLogValue(good.subarray(0, good.length - 3))).toThrow(TransactionLogCodecError);
  });
});
