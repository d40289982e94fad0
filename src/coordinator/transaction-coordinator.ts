import { allocationErrorCode } from './producer-ids.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { systemScheduler, type Scheduler, type TimerHandle } from './scheduler.ts';
import { TransactionMarkerSender } from './transaction-marker-sender.ts';
import type { TransactionMarkerWriter, TransactionResult } from './transaction-marker-writer.ts';
import {
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TransactionMetadata,
  isEpochExhausted,
  type TopicPartition,
  type TxnTransit,
} from './transaction-metadata.ts';
import { TransactionStateStore, type LoadReport, type TransactionLog } from './transaction-state-store.ts';
import { TxnState, isExpirationAllowed, txnStateFromName, txnStateName } from './transaction-state.ts';

/**
 * The transaction coordinator (Kafka 3.9's TransactionCoordinator): InitProducerId with a transactional
 * id, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, DescribeTransactions and ListTransactions, the
 * abort of timed-out transactions and the expiry of idle transactional ids. Pure: time comes from the
 * injected Scheduler, state goes through the TransactionLog port (`__transaction_state`), markers through
 * a TransactionMarkerWriter, producer ids from a ProducerIdSource (the broker's ProducerIdManager).
 * Answers are Kafka's error codes as the coordinator produces them; the per-version rewrite of
 * PRODUCER_FENCED for old clients is `errorForVersion` below, applied by the handlers.
 */

export interface TransactionCoordinatorConfig {
  /** `transaction.max.timeout.ms`: InitProducerId with a larger timeout gets INVALID_TRANSACTION_TIMEOUT. */
  transactionMaxTimeoutMs: number;
  /** `transactional.id.expiration.ms`: an id idle (and not mid-transaction) this long is forgotten. */
  transactionalIdExpirationMs: number;
  /** `transaction.abort.timed.out.transaction.cleanup.interval.ms`. */
  abortTimedOutTransactionCleanupIntervalMs: number;
  /** `transaction.remove.expired.transaction.cleanup.interval.ms`. */
  removeExpiredTransactionalIdCleanupIntervalMs: number;
  /** Written into every marker; bumped by a future cluster mode when coordinatorship moves. */
  coordinatorEpoch: number;
  /** Pause before retrying a marker or completion write that failed retriably. */
  markerRetryBackoffMs: number;
  /** The `__consumer_offsets` partition a group's offsets live in (AddOffsetsToTxn). */
  offsetsPartitionFor: (groupId: string) => number;
}

export const defaultTransactionCoordinatorConfig: TransactionCoordinatorConfig = {
  transactionMaxTimeoutMs: 15 * 60_000,
  transactionalIdExpirationMs: 7 * 24 * 3_600_000,
  abortTimedOutTransactionCleanupIntervalMs: 10_000,
  removeExpiredTransactionalIdCleanupIntervalMs: 3_600_000,
  coordinatorEpoch: 0,
  markerRetryBackoffMs: 100,
  offsetsPartitionFor: () => 0,
};

export const OFFSETS_TOPIC_NAME = '__consumer_offsets';

/** What the coordinator needs of the broker's ProducerIdManager. */
export interface ProducerIdSource {
  allocate(): Promise<bigint>;
}

export interface TxnInitProducerIdParams {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** v3+ (KIP-360): the id/epoch the producer holds, else -1/-1. */
  producerId: bigint;
  producerEpoch: number;
}

export interface TxnInitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface TxnProducerParams {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

export interface PartitionError extends TopicPartition {
  errorCode: number;
}

export interface DescribedTransaction {
  transactionalId: string;
  errorCode: number;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: number;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export interface ListTransactionsFilter {
  stateFilters?: readonly string[];
  producerIdFilters?: readonly bigint[];
  /** v1+: only transactions running longer than this (ms); -1 = no filter. */
  durationFilterMs?: number;
}

export interface ListTransactionsResult {
  errorCode: number;
  unknownStateFilters: string[];
  transactionStates: { transactionalId: string; producerId: bigint; transactionState: string }[];
}

export interface TransactionCoordinatorOptions {
  scheduler?: Scheduler;
  producerIds: ProducerIdSource;
  markerWriter: TransactionMarkerWriter;
  config?: Partial<TransactionCoordinatorConfig>;
  log?: (msg: string) => void;
}

/** The API a PRODUCER_FENCED answer must be rewritten for, and from which version clients understand it. */
const FENCED_SINCE_VERSION = { InitProducerId: 4, AddPartitionsToTxn: 2, AddOffsetsToTxn: 2, EndTxn: 2 } as const;
export type TransactionApi = keyof typeof FENCED_SINCE_VERSION;

/** Clients older than KIP-588 do not know PRODUCER_FENCED; Kafka answers them INVALID_PRODUCER_EPOCH. */
export function errorForVersion(api: TransactionApi, version: number, errorCode: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < FENCED_SINCE_VERSION[api] ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}

const initError = (errorCode: number): TxnInitProducerIdResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });

type Prepared = { error: number } | { transit: TxnTransit };

export class TransactionCoordinator {
  readonly config: TransactionCoordinatorConfig;
  readonly #store: TransactionStateStore;
  readonly #scheduler: Scheduler;
  readonly #producerIds: ProducerIdSource;
  readonly #markers: TransactionMarkerSender;
  readonly #log: (msg: string) => void;
  readonly #timers = new Set<TimerHandle>();
  #closed = false;
  /** What the last load found (diagnostics). */
  loadReport: LoadReport = { records: 0, unknownKeys: 0 };

  private constructor(log: TransactionLog, o: TransactionCoordinatorOptions) {
    this.config = { ...defaultTransactionCoordinatorConfig, ...o.config };
    this.#scheduler = o.scheduler ?? systemScheduler;
    this.#producerIds = o.producerIds;
    this.#log = o.log ?? (() => {});
    this.#store = new TransactionStateStore(log);
    this.#markers = new TransactionMarkerSender({
      store: this.#store,
      writer: o.markerWriter,
      scheduler: this.#scheduler,
      coordinatorEpoch: this.config.coordinatorEpoch,
      retryBackoffMs: this.config.markerRetryBackoffMs,
      log: this.#log,
    });
  }

  /**
   * Replays `__transaction_state`, completes every transaction found in PrepareCommit/PrepareAbort
   * (the broker stopped after deciding but before all markers were written), and starts the timers.
   */
  static async load(log: TransactionLog, o: TransactionCoordinatorOptions): Promise<TransactionCoordinator> {
    const c = new TransactionCoordinator(log, o);
    c.loadReport = await c.#store.load();
    const now = c.#scheduler.now();
    for (const meta of c.#store.all()) {
      if (meta.state === TxnState.PrepareCommit || meta.state === TxnState.PrepareAbort) {
        const result: TransactionResult = meta.state === TxnState.PrepareCommit ? 'commit' : 'abort';
        c.#markers.start(meta, result, meta.prepareComplete(now));
      }
    }
    c.#every(c.config.abortTimedOutTransactionCleanupIntervalMs, () => c.abortTimedOutTransactions());
    c.#every(c.config.removeExpiredTransactionalIdCleanupIntervalMs, () => c.removeExpiredTransactionalIds());
    return c;
  }

  /** Test/diagnostic view of one transactional id; do not mutate. */
  metadata(transactionalId: string): TransactionMetadata | undefined {
    return this.#store.get(transactionalId);
  }

  /** Resolves once no transaction is waiting for its markers or its completion record. */
  idle(): Promise<void> {
    return this.#markers.idle();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) this.#scheduler.clearTimeout(t);
    this.#timers.clear();
    await this.#markers.close();
  }

  // ---------------------------------------------------------------------------------------------
  // InitProducerId

  /**
   * InitProducerId with a transactional id. (A null transactional id is the idempotent producer's and
   * stays with ProducerIdManager.initProducerId; the handler routes it there.)
   */
  async initProducerId(p: TxnInitProducerIdParams): Promise<TxnInitProducerIdResult> {
    if (p.transactionalId === '') return initError(ErrorCode.INVALID_REQUEST);
    const noId = p.producerId === NO_PRODUCER_ID;
    const noEpoch = p.producerEpoch === NO_PRODUCER_EPOCH;
    if (noId !== noEpoch) return initError(ErrorCode.INVALID_REQUEST);
    const expected = noId ? undefined : { producerId: p.producerId, epoch: p.producerEpoch };
    if (!(p.transactionTimeoutMs > 0 && p.transactionTimeoutMs <= this.config.transactionMaxTimeoutMs)) {
      return initError(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    }
    let meta = this.#store.get(p.transactionalId);
    if (!meta) {
      let producerId: bigint;
      try {
        producerId = await this.#producerIds.allocate();
      } catch (e) {
        this.#log(`transaction ${p.transactionalId}: cannot allocate a producer id: ${(e as Error).message}`);
        return initError(allocationErrorCode(e));
      }
      meta = this.#store.putIfAbsent(
        new TransactionMetadata({
          transactionalId: p.transactionalId,
          producerId,
          producerEpoch: NO_PRODUCER_EPOCH,
          txnTimeoutMs: p.transactionTimeoutMs,
          state: TxnState.Empty,
          txnLastUpdateTimestamp: this.#scheduler.now(),
        }),
      );
    }
    // A fresh producer id is needed only when the epoch is exhausted; allocating awaits, so allocate
    // first and decide again afterwards (the state may have moved meanwhile).
    let rotationId: bigint | undefined;
    for (;;) {
      const decision = this.#prepareInit(meta, p.transactionTimeoutMs, expected, rotationId);
      if (decision === 'needs-id') {
        try {
          rotationId = await this.#producerIds.allocate();
        } catch (e) {
          this.#log(`transaction ${p.transactionalId}: cannot allocate a producer id: ${(e as Error).message}`);
          return initError(allocationErrorCode(e));
        }
        continue;
      }
      if (decision === 'fence') {
        // An Ongoing transaction of an older producer: fence it (epoch bump) and abort it. The new
        // producer is told to retry; it gets its epoch once the abort has completed.
        const fence = meta.prepareFenceProducerEpoch();
        const code = await this.#endTransaction(p.transactionalId, fence.producerId, fence.producerEpoch, 'abort', false);
        return initError(code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code);
      }
      if ('error' in decision) return initError(decision.error);
      const code = await this.#store.appendTransition(meta, decision.transit);
      if (code !== ErrorCode.NONE) return initError(code);
      this.#log(`transaction ${p.transactionalId}: producer id ${decision.transit.producerId} epoch ${decision.transit.producerEpoch}`);
      return { errorCode: ErrorCode.NONE, producerId: decision.transit.producerId, producerEpoch: decision.transit.producerEpoch };
    }
  }

  #prepareInit(
    meta: TransactionMetadata,
    timeoutMs: number,
    expected: { producerId: bigint; epoch: number } | undefined,
    rotationId: bigint | undefined,
  ): Prepared | 'needs-id' | 'fence' {
    if (meta.pendingTransitionInProgress) return { error: ErrorCode.CONCURRENT_TRANSACTIONS };
    if (expected) {
      const valid =
        meta.producerEpoch === NO_PRODUCER_EPOCH ||
        expected.producerId === meta.producerId ||
        (expected.producerId === meta.lastProducerId && isEpochExhausted(expected.epoch));
      if (!valid) return { error: ErrorCode.PRODUCER_FENCED };
    }
    const now = this.#scheduler.now();
    switch (meta.state) {
      case TxnState.PrepareAbort:
      case TxnState.PrepareCommit:
        return { error: ErrorCode.CONCURRENT_TRANSACTIONS };
      case TxnState.Empty:
      case TxnState.CompleteAbort:
      case TxnState.CompleteCommit: {
        if (meta.isProducerEpochExhausted && (!expected || expected.epoch === meta.producerEpoch)) {
          if (rotationId === undefined) return 'needs-id';
          return { transit: meta.prepareProducerIdRotation(rotationId, timeoutMs, now, expected !== undefined) };
        }
        const t = meta.prepareIncrementProducerEpoch(timeoutMs, expected?.epoch, now);
        return t === 'fenced' ? { error: ErrorCode.PRODUCER_FENCED } : { transit: t };
      }
      case TxnState.Ongoing:
        return 'fence';
      case TxnState.Dead:
      case TxnState.PrepareEpochFence:
        // Never a current state: Dead ends in removal and a fence becomes PrepareAbort before it is written.
        this.#log(`transaction ${meta.transactionalId}: found in illegal state ${txnStateName(meta.state)}`);
        return { error: ErrorCode.UNKNOWN_SERVER_ERROR };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // AddPartitionsToTxn / AddOffsetsToTxn

  /**
   * AddPartitionsToTxn v0-3 (one transaction, from the producer): one error code for the whole request,
   * which the handler copies to every partition. The handler checks topic existence/authorization first
   * and answers OPERATION_NOT_ATTEMPTED for the rest, as Kafka does.
   */
  async addPartitionsToTxn(p: TxnProducerParams & { partitions: readonly TopicPartition[] }): Promise<number> {
    if (p.transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const meta = this.#store.get(p.transactionalId);
    const check = this.#checkProducer(meta, p);
    if (check !== ErrorCode.NONE) return check;
    const m = meta!;
    if (m.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === TxnState.Ongoing && p.partitions.every((tp) => m.hasPartition(tp))) return ErrorCode.NONE;
    return this.#store.appendTransition(m, m.prepareAddPartitions(p.partitions, this.#scheduler.now()));
  }

  /**
   * AddPartitionsToTxn v4+ with verify_only (KIP-890 part 1): a *broker* asks whether the partitions are
   * already in the transaction before it accepts a transactional produce. Nothing is changed; a partition
   * not in the transaction answers TRANSACTION_ABORTABLE.
   */
  verifyPartitionsInTxn(p: TxnProducerParams & { partitions: readonly TopicPartition[] }): PartitionError[] {
    const all = (errorCode: number) => p.partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, errorCode }));
    if (p.transactionalId === '') return all(ErrorCode.INVALID_REQUEST);
    const meta = this.#store.get(p.transactionalId);
    const check = this.#checkProducer(meta, p);
    if (check !== ErrorCode.NONE) return all(check);
    const m = meta!;
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    return p.partitions.map((tp) => ({
      topic: tp.topic,
      partition: tp.partition,
      errorCode: m.hasPartition(tp) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE,
    }));
  }

  /** AddOffsetsToTxn: puts the group's `__consumer_offsets` partition into the transaction. */
  addOffsetsToTxn(p: TxnProducerParams & { groupId: string }): Promise<number> {
    const tp = { topic: OFFSETS_TOPIC_NAME, partition: this.config.offsetsPartitionFor(p.groupId) };
    return this.addPartitionsToTxn({ ...p, partitions: [tp] });
  }

  #checkProducer(meta: TransactionMetadata | undefined, p: TxnProducerParams): number {
    if (!meta || meta.producerId !== p.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (meta.producerEpoch !== p.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------------------------------------
  // EndTxn

  /**
   * EndTxn: writes PrepareCommit/PrepareAbort and answers once it is durable; the markers and the
   * Complete record follow in the background. A retry after completion answers NONE; a retry while
   * the markers are being written answers CONCURRENT_TRANSACTIONS (the client retries).
   */
  endTxn(p: TxnProducerParams & { committed: boolean }): Promise<number> {
    return this.#endTransaction(p.transactionalId, p.producerId, p.producerEpoch, p.committed ? 'commit' : 'abort', true);
  }

  async #endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, result: TransactionResult, fromClient: boolean): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const meta = this.#store.get(transactionalId);
    if (!meta) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const pre = this.#prepareEnd(meta, producerId, producerEpoch, result, fromClient);
    if ('error' in pre) {
      // A fence that could not become an abort must not stay pending, or the id would be stuck.
      if (meta.pendingState === TxnState.PrepareEpochFence) meta.abortPendingTransition();
      return pre.error;
    }
    const code = await this.#store.appendTransition(meta, pre.transit);
    if (code !== ErrorCode.NONE) {
      // The fenced epoch is already in memory but was never handed out: do not bump it again next time.
      if (pre.isEpochFence && this.#store.get(transactionalId) === meta) meta.hasFailedEpochFence = true;
      return code;
    }
    // Re-check after the write, as Kafka does: only a still-matching PrepareX may go on to its markers.
    if (meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (meta.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (meta.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const wanted = result === 'commit' ? TxnState.PrepareCommit : TxnState.PrepareAbort;
    if (meta.state !== wanted) return ErrorCode.INVALID_TXN_STATE;
    this.#markers.start(meta, result, meta.prepareComplete(this.#scheduler.now()));
    return ErrorCode.NONE;
  }

  #prepareEnd(
    meta: TransactionMetadata,
    producerId: bigint,
    producerEpoch: number,
    result: TransactionResult,
    fromClient: boolean,
  ): { error: number } | { transit: TxnTransit; isEpochFence: boolean } {
    if (meta.producerId !== producerId) return { error: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
    // Clients must match the epoch exactly; the coordinator's own abort (fence, timeout) carries a newer one.
    if ((fromClient && producerEpoch !== meta.producerEpoch) || producerEpoch < meta.producerEpoch) return { error: ErrorCode.PRODUCER_FENCED };
    if (meta.pendingState !== null && meta.pendingState !== TxnState.PrepareEpochFence) return { error: ErrorCode.CONCURRENT_TRANSACTIONS };
    const commit = result === 'commit';
    switch (meta.state) {
      case TxnState.Ongoing: {
        let isEpochFence = false;
        if (!commit && meta.pendingState === TxnState.PrepareEpochFence) {
          // Turn the prepared fence into the abort, carrying the bumped epoch (Kafka does the same in place).
          isEpochFence = true;
          meta.pendingState = null;
          meta.producerEpoch = producerEpoch;
          meta.lastProducerEpoch = NO_PRODUCER_EPOCH;
        }
        const target = commit ? TxnState.PrepareCommit : TxnState.PrepareAbort;
        return { transit: meta.prepareAbortOrCommit(target, this.#scheduler.now()), isEpochFence };
      }
      case TxnState.CompleteCommit:
        return { error: commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE };
      case TxnState.CompleteAbort:
        return { error: commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE };
      case TxnState.PrepareCommit:
        return { error: commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE };
      case TxnState.PrepareAbort:
        return { error: commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS };
      case TxnState.Empty:
        return { error: ErrorCode.INVALID_TXN_STATE };
      case TxnState.Dead:
      case TxnState.PrepareEpochFence:
        this.#log(`transaction ${meta.transactionalId}: found in illegal state ${txnStateName(meta.state)}`);
        return { error: ErrorCode.UNKNOWN_SERVER_ERROR };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Timers: abort timed-out transactions, expire idle transactional ids

  /** Aborts every Ongoing transaction open longer than its timeout, fencing its producer (epoch bump). */
  async abortTimedOutTransactions(): Promise<void> {
    const now = this.#scheduler.now();
    const due = [...this.#store.all()].filter(
      (m) => !m.pendingTransitionInProgress && m.state === TxnState.Ongoing && m.txnStartTimestamp + m.txnTimeoutMs < now,
    );
    await Promise.all(
      due.map(async (m) => {
        if (m.pendingTransitionInProgress || m.state !== TxnState.Ongoing) return;
        const fence = m.prepareFenceProducerEpoch();
        const code = await this.#endTransaction(m.transactionalId, fence.producerId, fence.producerEpoch, 'abort', false);
        this.#log(
          code === ErrorCode.NONE
            ? `transaction ${m.transactionalId}: timed out after ${m.txnTimeoutMs} ms; aborting`
            : `transaction ${m.transactionalId}: timed out, but its abort failed (error ${code})`,
        );
      }),
    );
  }

  /** Forgets transactional ids that have been idle (Empty/CompleteX) for `transactional.id.expiration.ms`. */
  async removeExpiredTransactionalIds(): Promise<void> {
    const now = this.#scheduler.now();
    const expired: { meta: TransactionMetadata; transit: TxnTransit }[] = [];
    for (const m of this.#store.all()) {
      if (m.pendingState === null && isExpirationAllowed(m.state) && m.txnLastUpdateTimestamp <= now - this.config.transactionalIdExpirationMs) {
        expired.push({ meta: m, transit: m.prepareDead() });
      }
    }
    const code = await this.#store.writeTombstones(expired);
    if (expired.length > 0) this.#log(`expired ${expired.length} transactional id(s)${code === ErrorCode.NONE ? '' : ` (failed: error ${code})`}`);
  }

  /**
   * A fixed-rate task, like Kafka's scheduler.schedule(period): re-armed as it fires, not when its work
   * ends. Overlapping runs are harmless: each skips transactional ids with a transition in flight.
   */
  #every(ms: number, fn: () => Promise<void>): void {
    const arm = () => {
      if (this.#closed) return;
      const h = this.#scheduler.setTimeout(() => {
        this.#timers.delete(h);
        arm();
        fn().catch((e: unknown) => this.#log(`transaction coordinator timer failed: ${(e as Error).message}`));
      }, ms);
      this.#timers.add(h);
    };
    arm();
  }

  // ---------------------------------------------------------------------------------------------
  // DescribeTransactions / ListTransactions

  describeTransactions(transactionalIds: readonly string[]): DescribedTransaction[] {
    return transactionalIds.map((id) => {
      // An error entry carries the schema's defaults (0 / ""), as Kafka's generated TransactionState does.
      const base: DescribedTransaction = {
        transactionalId: id,
        errorCode: ErrorCode.NONE,
        transactionState: '',
        transactionTimeoutMs: 0,
        transactionStartTimeMs: 0,
        producerId: 0n,
        producerEpoch: 0,
        topics: [],
      };
      if (id === '') return { ...base, errorCode: ErrorCode.INVALID_REQUEST };
      const m = this.#store.get(id);
      if (!m || m.state === TxnState.Dead) return { ...base, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
      const topics = new Map<string, number[]>();
      for (const tp of m.partitions) {
        const list = topics.get(tp.topic);
        if (list) list.push(tp.partition);
        else topics.set(tp.topic, [tp.partition]);
      }
      return {
        ...base,
        transactionState: txnStateName(m.state),
        transactionTimeoutMs: m.txnTimeoutMs,
        transactionStartTimeMs: m.txnStartTimestamp,
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      };
    });
  }

  listTransactions(f: ListTransactionsFilter = {}): ListTransactionsResult {
    const unknownStateFilters: string[] = [];
    const states = new Set<TxnState>();
    for (const name of f.stateFilters ?? []) {
      const s = txnStateFromName(name);
      if (s === undefined) unknownStateFilters.push(name);
      else states.add(s);
    }
    const pids = new Set(f.producerIdFilters ?? []);
    const duration = f.durationFilterMs ?? -1;
    const now = this.#scheduler.now();
    const transactionStates: ListTransactionsResult['transactionStates'] = [];
    for (const m of this.#store.all()) {
      if (m.state === TxnState.Dead) continue;
      if (pids.size > 0 && !pids.has(m.producerId)) continue;
      if ((f.stateFilters?.length ?? 0) > 0 && !states.has(m.state)) continue;
      if (duration >= 0 && now - m.txnStartTimestamp <= duration) continue;
      transactionStates.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: txnStateName(m.state) });
    }
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  }
}
