import { ErrorCode } from '../protocol/error-codes.ts';
import type { OffsetLog, OffsetLogRecord } from './offset-log.ts';
import {
  RELOADED_LAST_EPOCH,
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
} from './transaction-log-codec.ts';
import { TransactionMetadata, type TxnTransit } from './transaction-metadata.ts';

/**
 * The coordinator's cache of transactional ids and its persistence port, `__transaction_state`
 * (Kafka's TransactionStateManager minus partition ownership: a single-node broker owns the one
 * partition). The port is the same small key/value log contract the group coordinator uses
 * (OffsetLog): the broker backs it with an internal compacted topic, tests with MemoryOffsetLog.
 */
export type TransactionLog = OffsetLog;

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

export interface LoadReport {
  records: number;
  /** Records whose key version kstream does not know (skipped, as Kafka does). */
  unknownKeys: number;
}

export class TransactionStateStore {
  readonly #log: TransactionLog;
  readonly #byId = new Map<string, TransactionMetadata>();

  constructor(log: TransactionLog) {
    this.#log = log;
  }

  /** Replays the log: the latest record per transactional id wins, a tombstone removes it. */
  async load(): Promise<LoadReport> {
    let records = 0;
    let unknownKeys = 0;
    await this.#log.replay((r: OffsetLogRecord) => {
      records++;
      const key = decodeTransactionLogKey(r.key);
      if (key.kind === 'unknown') {
        unknownKeys++;
        return;
      }
      const id = key.transactionalId;
      if (r.value === null) {
        this.#byId.delete(id);
        return;
      }
      const v = decodeTransactionLogValue(r.value);
      this.#byId.set(
        id,
        new TransactionMetadata({
          transactionalId: id,
          producerId: v.producerId,
          lastProducerId: v.lastProducerId,
          producerEpoch: v.producerEpoch,
          lastProducerEpoch: RELOADED_LAST_EPOCH,
          txnTimeoutMs: v.txnTimeoutMs,
          state: v.state,
          partitions: v.partitions,
          txnStartTimestamp: v.txnStartTimestamp,
          txnLastUpdateTimestamp: v.txnLastUpdateTimestamp,
        }),
      );
    });
    return { records, unknownKeys };
  }

  get(transactionalId: string): TransactionMetadata | undefined {
    return this.#byId.get(transactionalId);
  }

  /** Adds `created` unless the id is already known; returns whichever is cached. */
  putIfAbsent(created: TransactionMetadata): TransactionMetadata {
    const existing = this.#byId.get(created.transactionalId);
    if (existing) return existing;
    this.#byId.set(created.transactionalId, created);
    return created;
  }

  all(): IterableIterator<TransactionMetadata> {
    return this.#byId.values();
  }

  get size(): number {
    return this.#byId.size;
  }

  /**
   * Writes a prepared transition and, once durable, makes it current. On failure the pending state is
   * cleared (unless `keepPendingOnError`, used while completing a transaction that must be retried)
   * and the error is returned as the coordinator error Kafka would answer.
   */
  async appendTransition(meta: TransactionMetadata, t: TxnTransit, opts: { keepPendingOnError?: boolean } = {}): Promise<number> {
    let errorCode: number = ErrorCode.NONE;
    try {
      await this.#log.append([{ key: encodeTransactionLogKey(meta.transactionalId), value: encodeTransactionLogValue(t) }]);
    } catch (e) {
      errorCode = storageErrorToCoordinatorError(e);
    }
    if (errorCode !== ErrorCode.NONE) {
      if (!opts.keepPendingOnError) meta.abortPendingTransition();
      return errorCode;
    }
    if (this.#byId.get(meta.transactionalId) !== meta) return ErrorCode.NOT_COORDINATOR;
    meta.completeTransitionTo(t);
    return ErrorCode.NONE;
  }

  /**
   * Expires transactional ids: one tombstone batch, then removal from the cache of every id still in
   * pending state Dead (Kafka's writeTombstonesForExpiredTransactionalIds).
   */
  async writeTombstones(expired: readonly { meta: TransactionMetadata; transit: TxnTransit }[]): Promise<number> {
    if (expired.length === 0) return ErrorCode.NONE;
    let errorCode: number = ErrorCode.NONE;
    try {
      await this.#log.append(expired.map((e) => ({ key: encodeTransactionLogKey(e.meta.transactionalId), value: null })));
    } catch (e) {
      errorCode = storageErrorToCoordinatorError(e);
    }
    for (const { meta, transit } of expired) {
      if (errorCode === ErrorCode.NONE && meta.pendingState === transit.state && meta.producerEpoch === transit.producerEpoch && this.#byId.get(meta.transactionalId) === meta) {
        this.#byId.delete(meta.transactionalId);
      } else {
        meta.abortPendingTransition();
      }
    }
    return errorCode;
  }
}

/**
 * A failed append as the coordinator error Kafka answers (TransactionStateManager.appendTransactionToLog).
 * Storage errors that carry a Kafka code are mapped as Kafka maps them; anything else is treated as the
 * log being unavailable for now, which every client retries.
 */
export function storageErrorToCoordinatorError(e: unknown): number {
  const code = typeof (e as { errorCode?: unknown })?.errorCode === 'number' ? (e as { errorCode: number }).errorCode : undefined;
  switch (code) {
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}
