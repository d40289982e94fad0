import { RecordErrorCode, RecordValidationError } from './errors.ts';
import { encodeRecordBatch, type DecodedRecordBatch } from './record-batch.ts';

/**
 * Control batches: the commit/abort markers a transaction coordinator writes into every partition of a
 * transaction, in Kafka's layout (EndTransactionMarker.java, ControlRecordType.java,
 * MemoryRecords.writeEndTransactionalMarker). A marker is a magic-2 batch with the transactional (0x10)
 * and control (0x20) attribute bits, the producer's id and epoch, base sequence -1, no compression, and
 * one record whose
 *   key   = int16 version (0), int16 type (ABORT = 0, COMMIT = 1)
 *   value = int16 version (0), int32 coordinator epoch.
 * Consumers (librdkafka, the Java client, ours) skip control batches and use them to end the producer's
 * transaction when reading read_committed.
 */

export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;

const CONTROL_KEY_VERSION = 0;
const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_VERSION = 0;
const END_TXN_MARKER_VALUE_SIZE = 6;

/** Kafka's InvalidRecordException: the broker answers INVALID_RECORD. */
const invalid = (message: string): RecordValidationError => new RecordValidationError(RecordErrorCode.INVALID_RECORD, message);

export type EndTxnMarkerType = 'commit' | 'abort';

export interface EndTxnMarker {
  type: EndTxnMarkerType;
  coordinatorEpoch: number;
}

export interface EndTxnMarkerBatchOptions extends EndTxnMarker {
  producerId: bigint;
  producerEpoch: number;
  /** Milliseconds; the marker record's and batch's timestamp. */
  timestamp: number;
  /** The broker assigns offsets on append; 0 as Kafka builds it. */
  baseOffset?: number;
  /** -1 unless the leader stamps its epoch. */
  partitionLeaderEpoch?: number;
}

export function encodeControlRecordKey(type: number): Buffer {
  const b = Buffer.alloc(CONTROL_KEY_SIZE);
  b.writeInt16BE(CONTROL_KEY_VERSION, 0);
  b.writeInt16BE(type, 2);
  return b;
}

/** The type id of a control record key. Like Kafka, a newer key version is parsed as version 0. */
export function controlRecordTypeId(key: Buffer | null): number {
  if (key === null || key.length < CONTROL_KEY_SIZE) {
    throw invalid(`control record key must have at least ${CONTROL_KEY_SIZE} bytes, found ${key?.length ?? 'null'}`);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw invalid(`invalid control record key version ${version}`);
  return key.readInt16BE(2);
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number): Buffer {
  const b = Buffer.alloc(END_TXN_MARKER_VALUE_SIZE);
  b.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

/** Parses a COMMIT/ABORT control record; throws on any other control type or a short/negative-version value. */
export function decodeEndTxnMarker(key: Buffer | null, value: Buffer | null): EndTxnMarker {
  const typeId = controlRecordTypeId(key);
  if (typeId !== ControlRecordType.ABORT && typeId !== ControlRecordType.COMMIT) {
    throw invalid(`control record type ${typeId} is not an end-transaction marker`);
  }
  if (value === null || value.length < END_TXN_MARKER_VALUE_SIZE) {
    throw invalid(`end-transaction marker value must have at least ${END_TXN_MARKER_VALUE_SIZE} bytes, found ${value?.length ?? 'null'}`);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw invalid(`invalid end-transaction marker version ${version}`);
  return { type: typeId === ControlRecordType.COMMIT ? 'commit' : 'abort', coordinatorEpoch: value.readInt32BE(2) };
}

/** One marker batch, ready to append to a partition. */
export function encodeEndTxnMarkerBatch(o: EndTxnMarkerBatchOptions): Buffer {
  if (o.producerId < 0n) throw new RangeError('an end-transaction marker needs a producer id');
  if (o.producerEpoch < 0) throw new RangeError('an end-transaction marker needs a producer epoch');
  return encodeRecordBatch({
    baseOffset: o.baseOffset ?? 0,
    partitionLeaderEpoch: o.partitionLeaderEpoch ?? -1,
    transactional: true,
    control: true,
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    baseSequence: -1,
    baseTimestamp: o.timestamp,
    records: [
      {
        key: encodeControlRecordKey(o.type === 'commit' ? ControlRecordType.COMMIT : ControlRecordType.ABORT),
        value: encodeEndTxnMarkerValue(o.coordinatorEpoch),
        timestamp: o.timestamp,
      },
    ],
  });
}

/**
 * The marker a decoded batch carries, or null when it is not a transactional control batch with a
 * COMMIT/ABORT record (data batches, KRaft control records). Storage uses this on append and recovery
 * to end the producer's open transaction (LSO, aborted-transaction index).
 */
export function readEndTxnMarker(batch: DecodedRecordBatch): (EndTxnMarker & { producerId: bigint; producerEpoch: number }) | null {
  if (!batch.isControl || !batch.isTransactional || batch.records.length === 0) return null;
  const r = batch.records[0]!;
  const typeId = controlRecordTypeId(r.key);
  if (typeId !== ControlRecordType.ABORT && typeId !== ControlRecordType.COMMIT) return null;
  return { ...decodeEndTxnMarker(r.key, r.value), producerId: batch.producerId, producerEpoch: batch.producerEpoch };
}
