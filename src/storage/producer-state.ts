import { ErrorCode } from '../protocol/error-codes.ts';
import { crc32c } from '../protocol/records/crc32c.ts';

/**
 * Idempotent-producer state of ONE partition (Kafka's ProducerStateManager, guide §8): per producer
 * id, its current epoch and the sequence/offset ranges of its last 5 batches.
 *
 * How the partition log uses it (inside its serialized append section, once per incoming batch):
 *
 *   const pid = producerId(batch), epoch = producerEpoch(batch), base = baseSequence(batch);
 *   if (pid >= 0n) {                                  // -1 = not an idempotent batch: skip all of this
 *     const last = lastSequenceOf(base, recordCount(batch));
 *     const v = state.check(pid, epoch, base, last);
 *     if (v.kind === 'duplicate') → do NOT append; answer success with v.firstOffset (and v.timestamp)
 *     if (v.kind === 'error')     → do NOT append; answer v.errorCode (OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_PRODUCER_EPOCH) for the partition
 *   }
 *   …append, assigning firstOffset..lastOffset…
 *   if (pid >= 0n) state.record(pid, epoch, base, last, firstOffset, lastOffset, maxTimestamp);
 *
 * Check and record must not interleave with another append to the same partition (check a batch,
 * then record it, before checking the next one — including the next batch of the same request).
 *
 * Persistence: `serialize(nextOffset)` at a snapshot point (segment roll, clean shutdown) gives
 * bytes to write atomically beside the log; at start `ProducerStateManager.deserialize(bytes)`
 * returns the state and the log offset it covers. Replay batches from that offset to the log end
 * through `record(...)` (only for batches with producerId >= 0). No or corrupt snapshot
 * (ProducerStateError) → start from `new ProducerStateManager()` and replay the whole log (or just
 * the last segments: a producer with no state is accepted at any sequence). If recovery truncates
 * the log, call `truncateFrom(newLogEnd)`.
 */

/** Kafka keeps this many batches per producer, hence max.in.flight.requests.per.connection ≤ 5. */
export const BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;
/**
 * v2 adds each producer's open-transaction first offset (Kafka's snapshot field current_txn_first_offset),
 * v3 the coordinator epoch of its last end-transaction marker (Kafka's coordinator_epoch).
 */
const SNAPSHOT_VERSION = 3;

/** The codes a producer-state check can answer (Kafka's names, from the one error table). */
export type SequenceErrorCode =
  | typeof ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
  | typeof ErrorCode.INVALID_PRODUCER_EPOCH
  | typeof ErrorCode.TRANSACTION_COORDINATOR_FENCED;

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number; timestamp: number }
  | { kind: 'error'; errorCode: SequenceErrorCode; message: string };

export class ProducerStateError extends Error {
  override name = 'ProducerStateError';
}

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  timestamp: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
  /** Offset of the first batch of the producer's open transaction in this partition, -1 when none. */
  txnFirstOffset: number;
  /** Coordinator epoch of the last end-transaction marker written for this producer, -1 when none. */
  coordinatorEpoch: number;
}

/** One producer as DescribeProducers shows it. */
export interface ProducerView {
  producerId: bigint;
  epoch: number;
  lastSequence: number;
  lastTimestamp: number;
  currentTxnStartOffset: number;
  /** Coordinator epoch of its last end-transaction marker here (-1 none). */
  coordinatorEpoch: number;
}

/** The last sequence of a batch: sequences wrap from 2^31-1 to 0. */
export function lastSequenceOf(baseSequence: number, recordCount: number): number {
  if (baseSequence < 0) return baseSequence;
  return (baseSequence + recordCount - 1) % (INT32_MAX + 1);
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

const APPEND: SequenceCheck = { kind: 'append' };

export class ProducerStateManager {
  readonly #producers = new Map<bigint, ProducerEntry>();

  get producerCount(): number {
    return this.#producers.size;
  }

  /** Decides what to do with an incoming batch. Pure: changes nothing. */
  check(producerId: bigint, epoch: number, baseSequence: number, lastSequence: number): SequenceCheck {
    if (producerId < 0n) return APPEND;
    const e = this.#producers.get(producerId);
    // No state (new producer, or its state aged out): any sequence is accepted (Kafka ≥ 2.5).
    if (!e) return APPEND;
    if (epoch < e.epoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${producerId} epoch ${epoch} is older than the current epoch ${e.epoch}`,
      };
    }
    if (epoch > e.epoch) {
      if (baseSequence !== 0) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${producerId} new epoch ${epoch} must start at sequence 0, got ${baseSequence}`,
        };
      }
      return APPEND;
    }
    for (const b of e.batches) {
      if (b.firstSeq === baseSequence && b.lastSeq === lastSequence) {
        return { kind: 'duplicate', firstOffset: b.firstOffset, lastOffset: b.lastOffset, timestamp: b.timestamp };
      }
    }
    const last = e.batches.at(-1);
    if (last && !inSequence(last.lastSeq, baseSequence)) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${producerId} epoch ${epoch}: expected sequence ${last.lastSeq === INT32_MAX ? 0 : last.lastSeq + 1}, got ${baseSequence}`,
      };
    }
    return APPEND;
  }

  /** Records a batch that was appended. A newer epoch replaces the producer's history. */
  record(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number, firstOffset: number, lastOffset: number, timestamp: number): void {
    if (producerId < 0n) return;
    let e = this.#producers.get(producerId);
    if (!e || epoch > e.epoch) {
      e = { epoch, batches: [], txnFirstOffset: e?.txnFirstOffset ?? -1, coordinatorEpoch: e?.coordinatorEpoch ?? -1 };
      this.#producers.set(producerId, e);
    } else if (epoch < e.epoch) {
      return;
    }
    e.batches.push({ firstSeq, lastSeq, firstOffset, lastOffset, timestamp });
    if (e.batches.length > BATCHES_TO_RETAIN) e.batches.shift();
  }

  /**
   * A coordinator-written batch (end-transaction marker, transactional offset commit) carries no
   * sequence: only its epoch is checked (Kafka's checkProducerEpoch, origin COORDINATOR).
   */
  checkEpoch(producerId: bigint, epoch: number): SequenceCheck {
    const e = this.#producers.get(producerId);
    if (e && epoch < e.epoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${producerId} epoch ${epoch} is older than the current epoch ${e.epoch}`,
      };
    }
    return APPEND;
  }

  /**
   * An end-transaction marker (Kafka's ProducerAppendInfo.appendEndTxnMarker): its producer epoch is
   * checked as any coordinator write's, then a marker from a coordinator older than the one that wrote
   * this producer's last marker is refused — a deposed transaction coordinator that still sends
   * markers (it was paused, or cut off) must not complete a transaction the new one decided.
   */
  checkMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number): SequenceCheck {
    const byEpoch = this.checkEpoch(producerId, producerEpoch);
    if (byEpoch.kind === 'error') return byEpoch;
    const e = this.#producers.get(producerId);
    if (e && coordinatorEpoch < e.coordinatorEpoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        message: `producer ${producerId}: marker from coordinator epoch ${coordinatorEpoch}, older than ${e.coordinatorEpoch} of its last marker`,
      };
    }
    return APPEND;
  }

  /** A marker was appended (or replicated, or replayed): later markers must come from this coordinator epoch or newer. */
  recordCoordinatorEpoch(producerId: bigint, coordinatorEpoch: number): void {
    const e = this.#producers.get(producerId);
    if (e && coordinatorEpoch > e.coordinatorEpoch) e.coordinatorEpoch = coordinatorEpoch;
  }

  /** The coordinator epoch of the producer's last marker (-1 none / no state). */
  coordinatorEpochOf(producerId: bigint): number {
    return this.#producers.get(producerId)?.coordinatorEpoch ?? -1;
  }

  /** Raises the producer's epoch without recording a batch (a marker with a bumped epoch). */
  bumpEpoch(producerId: bigint, epoch: number): void {
    const e = this.#producers.get(producerId);
    if (!e) this.#producers.set(producerId, { epoch, batches: [], txnFirstOffset: -1, coordinatorEpoch: -1 });
    else if (epoch > e.epoch) {
      e.epoch = epoch;
      e.batches = [];
    }
  }

  /** A transactional data batch at `offset`: opens the producer's transaction here unless one is open. */
  beginTransaction(producerId: bigint, offset: number): void {
    const e = this.#producers.get(producerId);
    if (e && e.txnFirstOffset < 0) e.txnFirstOffset = offset;
  }

  /** An end-transaction marker: closes the open transaction, returning its first offset (-1 if none). */
  endTransaction(producerId: bigint): number {
    const e = this.#producers.get(producerId);
    if (!e) return -1;
    const first = e.txnFirstOffset;
    e.txnFirstOffset = -1;
    return first;
  }

  /** Last offset of the producer's last data batch still in its state (the log cleaner keeps that batch, even emptied). */
  lastDataOffset(producerId: bigint): number | undefined {
    const e = this.#producers.get(producerId);
    for (let i = (e?.batches.length ?? 0) - 1; i >= 0; i--) if (e!.batches[i]!.firstSeq >= 0) return e!.batches[i]!.lastOffset;
    return undefined;
  }

  /** The first offset of the earliest open transaction (the LSO bound), or undefined when none is open. */
  firstUnstableOffset(): number | undefined {
    let min: number | undefined;
    for (const e of this.#producers.values()) if (e.txnFirstOffset >= 0 && (min === undefined || e.txnFirstOffset < min)) min = e.txnFirstOffset;
    return min;
  }

  /** Every producer with state (DescribeProducers). */
  view(): ProducerView[] {
    return [...this.#producers].map(([producerId, e]) => {
      const last = e.batches.at(-1);
      return { producerId, epoch: e.epoch, lastSequence: last?.lastSeq ?? -1, lastTimestamp: last?.timestamp ?? -1, currentTxnStartOffset: e.txnFirstOffset, coordinatorEpoch: e.coordinatorEpoch };
    });
  }

  /** The producer's epoch, or undefined without state. */
  epochOf(producerId: bigint): number | undefined {
    return this.#producers.get(producerId)?.epoch;
  }

  /** Forgets batches at or after `offset` (log truncated there); producers left with none are dropped. */
  truncateFrom(offset: number): void {
    for (const [pid, e] of this.#producers) {
      e.batches = e.batches.filter((b) => b.lastOffset < offset);
      if (e.txnFirstOffset >= offset) e.txnFirstOffset = -1;
      if (e.batches.length === 0 && e.txnFirstOffset < 0) this.#producers.delete(pid);
    }
  }

  /** Forgets producers whose newest batch timestamp is older than `now - maxAgeMs` (producer.id.expiration.ms). */
  expire(now: number, maxAgeMs: number): number {
    let n = 0;
    for (const [pid, e] of this.#producers) {
      const last = e.batches.at(-1);
      // A producer with an open transaction is kept: dropping it would move the LSO past its data.
      if (e.txnFirstOffset < 0 && (!last || last.timestamp < now - maxAgeMs)) {
        this.#producers.delete(pid);
        n++;
      }
    }
    return n;
  }

  /**
   * Snapshot layout: int16 version, uint32 crc32c(rest), int64 nextOffset, int32 producers,
   * per producer: int64 id, int16 epoch, int64 txnFirstOffset (v2), int32 coordinatorEpoch (v3), int32 batches, per batch: int32 firstSeq, int32 lastSeq,
   * int64 firstOffset, int64 lastOffset, int64 timestamp.
   */
  serialize(nextOffset: number): Buffer {
    let size = 2 + 4 + 8 + 4;
    for (const e of this.#producers.values()) size += 8 + 2 + 8 + 4 + 4 + e.batches.length * 32;
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    buf.writeInt16BE(SNAPSHOT_VERSION, at);
    at += 6;
    buf.writeBigInt64BE(BigInt(nextOffset), at);
    at += 8;
    buf.writeInt32BE(this.#producers.size, at);
    at += 4;
    for (const [pid, e] of this.#producers) {
      buf.writeBigInt64BE(pid, at);
      buf.writeInt16BE(e.epoch, at + 8);
      buf.writeBigInt64BE(BigInt(e.txnFirstOffset), at + 10);
      buf.writeInt32BE(e.coordinatorEpoch, at + 18);
      buf.writeInt32BE(e.batches.length, at + 22);
      at += 26;
      for (const b of e.batches) {
        buf.writeInt32BE(b.firstSeq, at);
        buf.writeInt32BE(b.lastSeq, at + 4);
        buf.writeBigInt64BE(BigInt(b.firstOffset), at + 8);
        buf.writeBigInt64BE(BigInt(b.lastOffset), at + 16);
        buf.writeBigInt64BE(BigInt(b.timestamp), at + 24);
        at += 32;
      }
    }
    buf.writeUInt32BE(crc32c(buf, 6, size), 2);
    return buf;
  }

  static deserialize(buf: Buffer): { state: ProducerStateManager; nextOffset: number } {
    const fail = (why: string): never => {
      throw new ProducerStateError(`bad producer-state snapshot: ${why}`);
    };
    if (buf.length < 18) fail(`only ${buf.length} bytes`);
    const version = buf.readInt16BE(0);
    if (version < 1 || version > SNAPSHOT_VERSION) fail(`unknown version ${version}`);
    const entryHeader = version === 1 ? 14 : version === 2 ? 22 : 26;
    if (crc32c(buf, 6, buf.length) !== buf.readUInt32BE(2)) fail('checksum mismatch');
    let at = 6;
    const nextOffset = Number(buf.readBigInt64BE(at));
    at += 8;
    const count = buf.readInt32BE(at);
    at += 4;
    const state = new ProducerStateManager();
    for (let i = 0; i < count; i++) {
      if (at + entryHeader > buf.length) fail('truncated producer entry');
      const pid = buf.readBigInt64BE(at);
      const epoch = buf.readInt16BE(at + 8);
      const txnFirstOffset = version === 1 ? -1 : Number(buf.readBigInt64BE(at + 10));
      const coordinatorEpoch = version >= 3 ? buf.readInt32BE(at + 18) : -1;
      const n = buf.readInt32BE(at + entryHeader - 4);
      at += entryHeader;
      if (n < 0 || n > BATCHES_TO_RETAIN || at + n * 32 > buf.length) fail(`bad batch count ${n}`);
      const batches: BatchMeta[] = [];
      for (let j = 0; j < n; j++) {
        batches.push({
          firstSeq: buf.readInt32BE(at),
          lastSeq: buf.readInt32BE(at + 4),
          firstOffset: Number(buf.readBigInt64BE(at + 8)),
          lastOffset: Number(buf.readBigInt64BE(at + 16)),
          timestamp: Number(buf.readBigInt64BE(at + 24)),
        });
        at += 32;
      }
      state.#producers.set(pid, { epoch, batches, txnFirstOffset, coordinatorEpoch });
    }
    if (at !== buf.length) fail(`${buf.length - at} trailing bytes`);
    return { state, nextOffset };
  }
}
