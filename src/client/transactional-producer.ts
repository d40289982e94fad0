import type { Cluster } from './cluster.ts';
import { Producer, type ProducerOptions, type ProducerRecord } from './producer.ts';
import { TransactionManager, type ConsumerGroupMetadata, type TransactionOffset } from './transaction-manager.ts';

export { ProducerFencedError, TransactionStateError, type ConsumerGroupMetadata, type TransactionOffset } from './transaction-manager.ts';

export interface TransactionalProducerOptions extends Omit<ProducerOptions, 'transactions' | 'idempotent' | 'acks'> {
  transactionalId: string;
  /** How long the coordinator lets a transaction stay open before aborting it (transaction.timeout.ms). */
  transactionTimeoutMs?: number;
}

/**
 * A transactional producer, as the Java client's: `initTransactions()` once (fences older instances
 * with the same transactional id and waits for what they left open to be aborted), then per transaction
 * `beginTransaction()`, `send()`s and `sendOffsetsToTransaction()`, and `commitTransaction()` or
 * `abortTransaction()`. Everything sent in a transaction becomes visible to read_committed consumers
 * together, or never. A ProducerFencedError is fatal: another instance took over; close this one.
 */
export class TransactionalProducer {
  readonly #producer: Producer;
  readonly #txn: TransactionManager;

  constructor(cluster: Cluster, opts: TransactionalProducerOptions) {
    this.#txn = new TransactionManager(cluster, { transactionalId: opts.transactionalId, transactionTimeoutMs: opts.transactionTimeoutMs, retryBackoffMs: opts.retryBackoffMs });
    this.#producer = new Producer(cluster, { ...opts, acks: -1, idempotent: true, transactions: this.#txn });
  }

  get transactionalId(): string {
    return this.#txn.transactionalId;
  }

  get producerId(): bigint {
    return this.#txn.producerId;
  }

  get producerEpoch(): number {
    return this.#txn.producerEpoch;
  }

  get inTransaction(): boolean {
    return this.#txn.inTransaction;
  }

  initTransactions(): Promise<void> {
    return this.#producer.connect();
  }

  /** Loads a topic's partition layout (send() needs it). */
  prepareTopic(topic: string): Promise<number> {
    return this.#producer.prepareTopic(topic);
  }

  beginTransaction(): void {
    this.#txn.begin();
  }

  /** Buffers a record in the current transaction; false = buffer full (await waitForSpace()). */
  send(r: ProducerRecord): boolean {
    this.#txn.requireTransaction();
    return this.#producer.send(r);
  }

  waitForSpace(): Promise<void> {
    return this.#producer.waitForSpace();
  }

  /** Commits consumed offsets as part of the transaction: they count only if it commits. */
  sendOffsetsToTransaction(offsets: readonly TransactionOffset[], group: ConsumerGroupMetadata): Promise<void> {
    return this.#txn.sendOffsets(offsets, group);
  }

  /** Sends everything buffered in the transaction and waits for the acknowledgements (does not commit). */
  flush(): Promise<void> {
    return this.#producer.flush();
  }

  /** Sends everything buffered, then commits: all of it becomes visible to read_committed consumers at once. */
  async commitTransaction(): Promise<void> {
    this.#txn.requireTransaction();
    await this.#producer.flush();
    await this.#txn.end(true);
  }

  /**
   * Aborts: what was sent is marked aborted (read_committed consumers skip it). Buffered records are
   * sent first so the sequence numbers stay continuous for the next transaction.
   */
  async abortTransaction(): Promise<void> {
    this.#txn.requireTransaction();
    await this.#producer.flush();
    await this.#txn.end(false);
  }

  /** Stops the producer; an open transaction is left to the coordinator's timeout (call abortTransaction() first). */
  close(): Promise<void> {
    return this.#producer.close({ flush: false });
  }
}
