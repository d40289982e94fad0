import { ProtocolError } from '../protocol/errors.ts';
import { Reader } from '../protocol/primitives/reader.ts';
import { Writer } from '../protocol/primitives/writer.ts';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, sortPartitions, type TopicPartition, type TxnTransit } from './transaction-metadata.ts';
import { TxnState, txnStateFromId } from './transaction-state.ts';

/**
 * Keys and values of `__transaction_state` records in Kafka's binary layout (TransactionLogKey v0,
 * TransactionLogValue v0/v1; schemas in kafka-protocol/internal), each prefixed by its int16 version
 * as Kafka's MessageUtil.toVersionPrefixedBytes does. kstream writes value v0, as Kafka 3.9 does while
 * `transaction.version` is 0; it reads v1 (flexible, tagged fields) too, so a log written by a newer
 * Kafka loads. A null value is a tombstone: the transactional id expired.
 */

export class TransactionLogCodecError extends Error {
  override name = 'TransactionLogCodecError';
}

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

/** Tags of TransactionLogValue v1's tagged fields (Kafka 4.0's schema). */
const TAG_PREVIOUS_PRODUCER_ID = 0;

/** What one value record holds (the key carries the transactional id). */
export interface StoredTransaction {
  producerId: bigint;
  /** Only v1 records carry it (as PreviousProducerId); v0 reloads as -1, as in Kafka. */
  lastProducerId: bigint;
  producerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  partitions: TopicPartition[];
  txnLastUpdateTimestamp: number;
  txnStartTimestamp: number;
}

export type TransactionLogKey = { kind: 'transaction'; transactionalId: string } | { kind: 'unknown'; version: number };

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  return new Writer(32).int16(KEY_VERSION).string(transactionalId).finish();
}

/** Unknown key versions are reported, not thrown: Kafka skips them (left-overs of an aborted upgrade). */
export function decodeTransactionLogKey(buf: Buffer): TransactionLogKey {
  return wrap('key', () => {
    const r = new Reader(buf);
    const version = r.int16();
    if (version !== KEY_VERSION) return { kind: 'unknown', version };
    return { kind: 'transaction', transactionalId: r.string() };
  });
}

/** Kafka stores the partitions as null in state Empty and refuses Empty with partitions. */
export function encodeTransactionLogValue(t: TxnTransit): Buffer {
  if (t.state === TxnState.Empty && t.partitions.length > 0) {
    throw new TransactionLogCodecError('a transaction in state Empty cannot have partitions');
  }
  const byTopic = t.state === TxnState.Empty ? null : groupByTopic(t.partitions);
  const w = new Writer(64 + t.partitions.length * 8)
    .int16(VALUE_VERSION)
    .int64(t.producerId)
    .int16(t.producerEpoch)
    .int32(t.txnTimeoutMs)
    .int8(t.state)
    .nullableArray(byTopic, (w, g) => {
      w.string(g.topic).array(g.partitions, (w2, p) => w2.int32(p));
    })
    .int64(BigInt(t.txnLastUpdateTimestamp))
    .int64(BigInt(t.txnStartTimestamp));
  return w.finish();
}

export function decodeTransactionLogValue(buf: Buffer): StoredTransaction {
  return wrap('value', () => {
    const r = new Reader(buf);
    const version = r.int16();
    if (version !== 0 && version !== 1) throw new TransactionLogCodecError(`unknown __transaction_state value version ${version}`);
    const flexible = version >= 1;
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const txnTimeoutMs = r.int32();
    const state = txnStateFromId(r.int8());
    const readTopic = (r: Reader): TopicPartition[] => {
      const topic = flexible ? r.compactString() : r.string();
      const ids = flexible ? r.compactArray((x) => x.int32()) : r.array((x) => x.int32());
      if (flexible) r.skipTaggedFields();
      return ids.map((partition) => ({ topic, partition }));
    };
    const groups = flexible ? r.compactNullableArray(readTopic) : r.nullableArray(readTopic);
    const txnLastUpdateTimestamp = Number(r.int64());
    const txnStartTimestamp = Number(r.int64());
    let lastProducerId = NO_PRODUCER_ID;
    if (flexible) {
      for (const f of r.taggedFields() ?? []) {
        if (f.tag === TAG_PREVIOUS_PRODUCER_ID && f.data.length === 8) lastProducerId = f.data.readBigInt64BE(0);
      }
    }
    // Kafka ignores the stored partitions of an Empty transaction.
    const partitions = state === TxnState.Empty || groups === null ? [] : sortPartitions(groups.flat());
    return { producerId, lastProducerId, producerEpoch, txnTimeoutMs, state, partitions, txnLastUpdateTimestamp, txnStartTimestamp };
  });
}

/** The last epoch is not stored: a reload starts with none, as Kafka's readTxnRecordValue does. */
export const RELOADED_LAST_EPOCH = NO_PRODUCER_EPOCH;

function groupByTopic(tps: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const tp of sortPartitions([...tps])) {
    const list = m.get(tp.topic);
    if (list) list.push(tp.partition);
    else m.set(tp.topic, [tp.partition]);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ProtocolError) throw new TransactionLogCodecError(`bad __transaction_state ${what}: ${e.message}`);
    throw e;
  }
}
