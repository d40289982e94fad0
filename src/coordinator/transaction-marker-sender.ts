import { ErrorCode, errorName } from '../protocol/error-codes.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';
import type { TransactionMarkerWriter, TransactionResult } from './transaction-marker-writer.ts';
import type { TopicPartition, TransactionMetadata, TxnTransit } from './transaction-metadata.ts';
import type { TransactionStateStore } from './transaction-state-store.ts';

/**
 * Second half of ending a transaction (Kafka's TransactionMarkerChannelManager and its completion
 * handler): once PrepareCommit/PrepareAbort is durable, write a marker to every partition of the
 * transaction, dropping each partition from the metadata as its marker lands, retrying the others after
 * a backoff, and when none is left write CompleteCommit/CompleteAbort. Until then the metadata's pending
 * state is the Complete state, so the producer's next request gets CONCURRENT_TRANSACTIONS and retries.
 * If the broker dies on the way, the Prepare record is what a reload finds, and the load completes it.
 */
export interface MarkerSenderOptions {
  store: TransactionStateStore;
  writer: TransactionMarkerWriter;
  scheduler: Scheduler;
  coordinatorEpoch: number;
  retryBackoffMs: number;
  log: (msg: string) => void;
}

/** Marker outcomes that end the attempt for a partition without retrying (see TransactionMarkerPartitionResult). */
const DROP_PARTITION = new Set<number>([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, ErrorCode.UNSUPPORTED_VERSION]);
const FENCED = new Set<number>([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED]);

export class TransactionMarkerSender {
  readonly #o: MarkerSenderOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #sleeps = new Map<TimerHandle, () => void>();
  #closed = false;

  constructor(o: MarkerSenderOptions) {
    this.#o = o;
  }

  /** Transactional ids whose markers are being written. */
  get pending(): string[] {
    return [...this.#inFlight.keys()];
  }

  /**
   * Starts completing `meta` (state PrepareX, pending state CompleteX = `complete`). Returns at once;
   * `idle()` resolves when every started completion has finished or given up.
   */
  start(meta: TransactionMetadata, result: TransactionResult, complete: TxnTransit): void {
    const id = meta.transactionalId;
    const run = this.#run(meta, result, complete)
      .catch((e: unknown) => this.#o.log(`transaction ${id}: completing failed: ${(e as Error).message}`))
      .finally(() => {
        if (this.#inFlight.get(id) === run) this.#inFlight.delete(id);
      });
    this.#inFlight.set(id, run);
  }

  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight.values()]);
  }

  /** Stops retrying: in-flight completions end after their current step; the log still has the Prepare record. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [handle, wake] of this.#sleeps) {
      this.#o.scheduler.clearTimeout(handle);
      wake();
    }
    this.#sleeps.clear();
    await this.idle();
  }

  async #run(meta: TransactionMetadata, result: TransactionResult, complete: TxnTransit): Promise<void> {
    const o = this.#o;
    let partitions: TopicPartition[] = meta.partitions;
    while (partitions.length > 0) {
      if (this.#closed) return;
      const asked = partitions;
      let results: { topic: string; partition: number; errorCode: number }[];
      try {
        results = await o.writer.writeMarkers({
          transactionalId: meta.transactionalId,
          producerId: meta.producerId,
          producerEpoch: meta.producerEpoch,
          coordinatorEpoch: o.coordinatorEpoch,
          result,
          partitions: asked,
        });
      } catch (e) {
        o.log(`transaction ${meta.transactionalId}: writing ${result} markers failed (${(e as Error).message}); retrying`);
        results = [];
      }
      const retry: TopicPartition[] = [];
      for (const tp of asked) {
        const r = results.find((x) => x.topic === tp.topic && x.partition === tp.partition);
        const code = r ? r.errorCode : ErrorCode.REQUEST_TIMED_OUT;
        if (code === ErrorCode.NONE) {
          meta.removePartition(tp);
        } else if (DROP_PARTITION.has(code)) {
          o.log(`transaction ${meta.transactionalId}: no ${result} marker for ${tp.topic}-${tp.partition} (${errorName(code)}); dropping it`);
          meta.removePartition(tp);
        } else if (FENCED.has(code)) {
          // A newer coordinator owns this transaction: it will complete it, this one must stop.
          o.log(`transaction ${meta.transactionalId}: fenced while writing markers (${errorName(code)}); giving up`);
          return;
        } else {
          retry.push(tp);
        }
      }
      partitions = retry;
      if (retry.length > 0 && !(await this.#sleep(o.retryBackoffMs))) return;
    }
    // Every marker is durable: record the completion. Kafka retries COORDINATOR_NOT_AVAILABLE and keeps
    // the pending state meanwhile; any other error leaves the Prepare record for the next load to finish.
    for (;;) {
      if (this.#closed) return;
      const code = await o.store.appendTransition(meta, complete, { keepPendingOnError: true });
      if (code === ErrorCode.NONE) return;
      if (code !== ErrorCode.COORDINATOR_NOT_AVAILABLE) {
        meta.abortPendingTransition();
        o.log(`transaction ${meta.transactionalId}: writing its completion failed (${errorName(code)})`);
        return;
      }
      if (!(await this.#sleep(o.retryBackoffMs))) return;
    }
  }

  /** Waits on the injected scheduler; false if the sender was closed meanwhile. */
  #sleep(ms: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const handle = this.#o.scheduler.setTimeout(() => {
        this.#sleeps.delete(handle);
        resolve(!this.#closed);
      }, ms);
      this.#sleeps.set(handle, () => resolve(false));
    });
  }
}
