import { TransactionStateError, TxnState, isValidTransition, txnStateName } from './transaction-state.ts';

/**
 * One transactional id's metadata and its two-step transitions, as Kafka 3.9's TransactionMetadata:
 * a `prepare*` call checks the transition and records it as the *pending* state (so concurrent requests
 * see CONCURRENT_TRANSACTIONS), the coordinator writes the returned TxnTransit to `__transaction_state`,
 * and only once that write is durable does `completeTransitionTo` make it current. A failed write calls
 * `abortPendingTransition`. Transaction version 2 (KIP-890 part 2, EndTxn v5) is not in 3.9 and not here.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Kafka topic names are [a-zA-Z0-9._-], so ':' cannot be part of one: the key is unambiguous. */
export const tpKey = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;

/** Producer id / epoch "none" values (RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH). */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
/** Epochs are int16; the coordinator keeps Short.MAX_VALUE for itself so it can always fence. */
export const MAX_EPOCH = 0x7fff;

export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_EPOCH - 1;
}

/** The target of a transition: an immutable copy of everything `__transaction_state` stores, and more. */
export interface TxnTransit {
  readonly producerId: bigint;
  /** The id the transactional id had before (set when a new id was handed out at epoch exhaustion). */
  readonly lastProducerId: bigint;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TxnState;
  readonly partitions: readonly TopicPartition[];
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
}

export interface TransactionMetadataInit {
  transactionalId: string;
  producerId: bigint;
  lastProducerId?: bigint;
  producerEpoch: number;
  lastProducerEpoch?: number;
  txnTimeoutMs: number;
  state: TxnState;
  partitions?: readonly TopicPartition[];
  txnStartTimestamp?: number;
  txnLastUpdateTimestamp: number;
}

export class TransactionMetadata {
  readonly transactionalId: string;
  producerId: bigint;
  lastProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  readonly #partitions = new Map<string, TopicPartition>();
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
  /** The state a prepared transition will reach once written; null when none is in flight. */
  pendingState: TxnState | null = null;
  /**
   * An epoch fence was prepared but its log write failed: the epoch in memory is already bumped, so the
   * next fence must not bump it again (the bumped epoch was never returned to any client).
   */
  hasFailedEpochFence = false;

  constructor(init: TransactionMetadataInit) {
    this.transactionalId = init.transactionalId;
    this.producerId = init.producerId;
    this.lastProducerId = init.lastProducerId ?? NO_PRODUCER_ID;
    this.producerEpoch = init.producerEpoch;
    this.lastProducerEpoch = init.lastProducerEpoch ?? NO_PRODUCER_EPOCH;
    this.txnTimeoutMs = init.txnTimeoutMs;
    this.state = init.state;
    for (const tp of init.partitions ?? []) this.#partitions.set(tpKey(tp), { ...tp });
    this.txnStartTimestamp = init.txnStartTimestamp ?? -1;
    this.txnLastUpdateTimestamp = init.txnLastUpdateTimestamp;
  }

  /** The partitions in the current transaction, sorted by topic then partition. */
  get partitions(): TopicPartition[] {
    return sortPartitions([...this.#partitions.values()]);
  }

  hasPartition(tp: TopicPartition): boolean {
    return this.#partitions.has(tpKey(tp));
  }

  get partitionCount(): number {
    return this.#partitions.size;
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== null;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  /** Ongoing or being completed: the producer id cannot be rotated now. */
  get hasPendingTransaction(): boolean {
    return this.state === TxnState.Ongoing || this.state === TxnState.PrepareAbort || this.state === TxnState.PrepareCommit;
  }

  /** A marker was written to this partition: it no longer holds the transaction open. */
  removePartition(tp: TopicPartition): void {
    if (this.state !== TxnState.PrepareCommit && this.state !== TxnState.PrepareAbort) {
      throw new TransactionStateError(
        `${this.transactionalId}: removing a partition whose marker was written, in state ${txnStateName(this.state)}`,
      );
    }
    this.#partitions.delete(tpKey(tp));
  }

  /** Bumps the epoch (unless a previous fence failed to persist) to fence the producer of an Ongoing transaction. */
  prepareFenceProducerEpoch(): TxnTransit {
    if (this.producerEpoch >= MAX_EPOCH) throw new TransactionStateError(`${this.transactionalId}: cannot fence epoch ${this.producerEpoch}`);
    const bumped = this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1;
    return this.#prepare(TxnState.PrepareEpochFence, {
      producerEpoch: bumped,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
    });
  }

  /**
   * InitProducerId on an existing id: bump the epoch. `expectedEpoch` is the KIP-360 epoch the producer
   * presented (undefined for a plain init). Returns 'fenced' when the producer holds a stale epoch.
   */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedEpoch: number | undefined, now: number): TxnTransit | 'fenced' {
    if (this.isProducerEpochExhausted) throw new TransactionStateError(`${this.transactionalId}: producer epochs exhausted for ${this.producerId}`);
    const bumped = this.producerEpoch + 1;
    let next: number;
    let last: number;
    if (expectedEpoch === undefined) {
      // A new producer instance: bump and forget the last epoch (a retry of the old one is now fenced).
      next = bumped;
      last = NO_PRODUCER_EPOCH;
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) {
      // The current producer recovering after an error (KIP-360), and no other producer initialized since.
      next = bumped;
      last = this.producerEpoch;
    } else if (expectedEpoch === this.lastProducerEpoch) {
      // A retry of a bump that succeeded but whose response was lost: hand back the same epoch.
      next = this.producerEpoch;
      last = this.lastProducerEpoch;
    } else {
      return 'fenced';
    }
    return this.#prepare(TxnState.Empty, {
      producerEpoch: next,
      lastProducerEpoch: last,
      txnTimeoutMs: newTxnTimeoutMs,
      partitions: [],
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now,
    });
  }

  /** Epoch exhausted: continue under a fresh producer id at epoch 0. */
  prepareProducerIdRotation(newProducerId: bigint, newTxnTimeoutMs: number, now: number, recordLastEpoch: boolean): TxnTransit {
    if (this.hasPendingTransaction) throw new TransactionStateError(`${this.transactionalId}: cannot rotate producer ids while a transaction is pending`);
    return this.#prepare(TxnState.Empty, {
      producerId: newProducerId,
      producerEpoch: 0,
      lastProducerEpoch: recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      txnTimeoutMs: newTxnTimeoutMs,
      partitions: [],
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now,
    });
  }

  prepareAddPartitions(added: readonly TopicPartition[], now: number): TxnTransit {
    const fresh = this.state === TxnState.Empty || this.state === TxnState.CompleteAbort || this.state === TxnState.CompleteCommit;
    const union = new Map(this.#partitions);
    for (const tp of added) union.set(tpKey(tp), { topic: tp.topic, partition: tp.partition });
    return this.#prepare(TxnState.Ongoing, {
      partitions: sortPartitions([...union.values()]),
      txnStartTimestamp: fresh ? now : this.txnStartTimestamp,
      txnLastUpdateTimestamp: now,
    });
  }

  prepareAbortOrCommit(target: typeof TxnState.PrepareCommit | typeof TxnState.PrepareAbort, now: number): TxnTransit {
    return this.#prepare(target, { txnLastUpdateTimestamp: now });
  }

  /** After the PrepareX record is durable: the CompleteX record to write once every marker is written. */
  prepareComplete(now: number): TxnTransit {
    const target = this.state === TxnState.PrepareCommit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
    // The Prepare record reached the log, so any earlier failed fence is behind us.
    this.hasFailedEpochFence = false;
    return this.#prepare(target, { partitions: [], txnLastUpdateTimestamp: now });
  }

  prepareDead(): TxnTransit {
    return this.#prepare(TxnState.Dead, { partitions: [] });
  }

  /** The durable write failed: forget the pending transition (Kafka's appendTransactionToLog error path). */
  abortPendingTransition(): void {
    this.pendingState = null;
  }

  /** Makes a written transition current, checking it is the one that was prepared (Kafka's completeTransitionTo). */
  completeTransitionTo(t: TxnTransit): void {
    const to = this.pendingState;
    if (to === null) throw this.#failure(t, 'no pending state');
    if (to !== t.state) throw this.#failure(t, `pending state is ${txnStateName(to)}`);
    const sameProducer = t.producerEpoch === this.producerEpoch && t.producerId === this.producerId;
    switch (to) {
      case TxnState.Empty: {
        const validBump = t.producerEpoch === this.producerEpoch + 1 || (t.producerEpoch === 0 && t.producerId !== this.producerId);
        if ((this.producerEpoch !== t.producerEpoch && !validBump) || t.partitions.length > 0 || t.txnStartTimestamp !== -1) {
          throw this.#failure(t, 'invalid epoch bump');
        }
        this.txnTimeoutMs = t.txnTimeoutMs;
        this.producerEpoch = t.producerEpoch;
        this.lastProducerEpoch = t.lastProducerEpoch;
        this.producerId = t.producerId;
        this.lastProducerId = t.lastProducerId;
        break;
      }
      case TxnState.Ongoing: {
        const superset = [...this.#partitions.keys()].every((k) => t.partitions.some((tp) => tpKey(tp) === k));
        if (!sameProducer || !superset || this.txnTimeoutMs !== t.txnTimeoutMs) throw this.#failure(t, 'invalid add-partitions');
        this.txnStartTimestamp = t.txnStartTimestamp;
        for (const tp of t.partitions) this.#partitions.set(tpKey(tp), { ...tp });
        break;
      }
      case TxnState.PrepareAbort:
      case TxnState.PrepareCommit: {
        const same = t.partitions.length === this.#partitions.size && t.partitions.every((tp) => this.#partitions.has(tpKey(tp)));
        if (!sameProducer || !same || this.txnTimeoutMs !== t.txnTimeoutMs || this.txnStartTimestamp !== t.txnStartTimestamp) {
          throw this.#failure(t, 'invalid end-transaction');
        }
        break;
      }
      case TxnState.CompleteAbort:
      case TxnState.CompleteCommit:
        if (!sameProducer || this.txnTimeoutMs !== t.txnTimeoutMs || t.txnStartTimestamp === -1) throw this.#failure(t, 'invalid completion');
        this.txnStartTimestamp = t.txnStartTimestamp;
        this.#partitions.clear();
        break;
      case TxnState.PrepareEpochFence:
      case TxnState.Dead:
        // A fence turns into PrepareAbort before it is written; Dead ends in removal, never in the log as a state.
        throw this.#failure(t, `${txnStateName(to)} is never completed`);
    }
    this.txnLastUpdateTimestamp = t.txnLastUpdateTimestamp;
    this.pendingState = null;
    this.state = to;
  }

  /** The current state as a transit (what a snapshot of this id would store). */
  snapshot(): TxnTransit {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      state: this.state,
      partitions: this.partitions,
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
    };
  }

  #prepare(target: TxnState, changes: Partial<Omit<TxnTransit, 'state' | 'lastProducerId'>>): TxnTransit {
    if (this.pendingState !== null) {
      throw new TransactionStateError(
        `${this.transactionalId}: preparing ${txnStateName(target)} while ${txnStateName(this.pendingState)} is pending`,
      );
    }
    const t: TxnTransit = {
      producerId: changes.producerId ?? this.producerId,
      lastProducerId: this.producerId,
      producerEpoch: changes.producerEpoch ?? this.producerEpoch,
      lastProducerEpoch: changes.lastProducerEpoch ?? this.lastProducerEpoch,
      txnTimeoutMs: changes.txnTimeoutMs ?? this.txnTimeoutMs,
      state: target,
      partitions: changes.partitions ?? this.partitions,
      txnStartTimestamp: changes.txnStartTimestamp ?? this.txnStartTimestamp,
      txnLastUpdateTimestamp: changes.txnLastUpdateTimestamp ?? this.txnLastUpdateTimestamp,
    };
    if (t.producerId < 0n) throw new TransactionStateError(`${this.transactionalId}: illegal producer id ${t.producerId}`);
    if (target !== TxnState.Dead && t.producerEpoch < 0) throw new TransactionStateError(`${this.transactionalId}: illegal producer epoch ${t.producerEpoch}`);
    if (!isValidTransition(this.state, target)) {
      throw new TransactionStateError(`${this.transactionalId}: cannot go from ${txnStateName(this.state)} to ${txnStateName(target)}`);
    }
    this.pendingState = target;
    return t;
  }

  #failure(t: TxnTransit, why: string): TransactionStateError {
    return new TransactionStateError(
      `${this.transactionalId}: transition from ${txnStateName(this.state)} to ${txnStateName(t.state)} failed (${why})`,
    );
  }
}

export function sortPartitions(tps: TopicPartition[]): TopicPartition[] {
  return tps.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}
