import { ErrorCode } from '../protocol/error-codes.ts';
import { AddOffsetsToTxnApi } from '../protocol/messages/add-offsets-to-txn.ts';
import { AddPartitionsToTxnApi } from '../protocol/messages/add-partitions-to-txn.ts';
import { EndTxnApi } from '../protocol/messages/end-txn.ts';
import { InitProducerIdApi } from '../protocol/messages/init-producer-id.ts';
import { TxnOffsetCommitApi } from '../protocol/messages/txn-offset-commit.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { sleep, type Cluster } from './cluster.ts';
import { findCoordinator } from './coordinator.ts';
import { KafkaError, isRetriable } from './errors.ts';

/**
 * The client side of Kafka's transaction protocol (the Java client's TransactionManager, reduced to one
 * producer and one coordinator): InitProducerId with the transactional id, AddPartitionsToTxn before the
 * first batch to a partition in a transaction, AddOffsetsToTxn + TxnOffsetCommit for
 * sendOffsetsToTransaction, EndTxn. CONCURRENT_TRANSACTIONS (the previous transaction's markers are still
 * being written), a loading coordinator and coordinator moves are retried with backoff; fencing is fatal.
 */

/** This producer was replaced by a newer instance with the same transactional id (or its epoch is stale): close it. */
export class ProducerFencedError extends KafkaError {
  override name = 'ProducerFencedError';
}

/** A transactional call made in the wrong state (send before beginTransaction, commit twice, ...). */
export class TransactionStateError extends Error {
  override name = 'TransactionStateError';
}

/** What sendOffsetsToTransaction needs of the consumer (KIP-447 fencing by generation). */
export interface ConsumerGroupMetadata {
  groupId: string;
  memberId?: string;
  generationId?: number;
  groupInstanceId?: string | null;
}

export interface TransactionOffset {
  topic: string;
  partition: number;
  /** The next offset to consume (last processed + 1), as for a plain commit. */
  offset: bigint;
  metadata?: string | null;
}

const FENCED = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
/** Answers that mean "ask again shortly". */
const RETRY = new Set<number>([ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
const REFIND = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);

export class TransactionManager {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  readonly #cluster: Cluster;
  readonly #retries: number;
  readonly #backoffMs: number;
  #conn: BrokerConnection | null = null;
  producerId = -1n;
  producerEpoch = -1;
  /** Partitions already added to the current transaction. */
  readonly #added = new Set<string>();
  #inTransaction = false;
  /** AddOffsetsToTxn ran in this transaction (so the coordinator knows it even without partitions). */
  #offsetsAdded = false;
  #fatal: Error | null = null;

  constructor(cluster: Cluster, o: { transactionalId: string; transactionTimeoutMs?: number; retries?: number; retryBackoffMs?: number }) {
    if (o.transactionalId === '') throw new TransactionStateError('a transactional id may not be empty');
    this.#cluster = cluster;
    this.transactionalId = o.transactionalId;
    this.transactionTimeoutMs = o.transactionTimeoutMs ?? 60_000;
    this.#retries = o.retries ?? 50;
    this.#backoffMs = o.retryBackoffMs ?? 50;
  }

  get inTransaction(): boolean {
    return this.#inTransaction;
  }

  /** Runs a coordinator request, retrying CONCURRENT_TRANSACTIONS, loading and coordinator moves. */
  async #call(what: string, fn: (conn: BrokerConnection) => Promise<number>, coordinator?: () => Promise<BrokerConnection>): Promise<void> {
    if (this.#fatal) throw this.#fatal;
    for (let attempt = 0; ; attempt++) {
      let code: number;
      try {
        const conn = coordinator ? await coordinator() : (this.#conn ??= await findCoordinator(this.#cluster, this.transactionalId, 10, 1));
        code = await fn(conn);
      } catch (e) {
        if (attempt >= this.#retries) throw e;
        this.#conn = null;
        await sleep(this.#backoffMs * Math.min(2 ** attempt, 20));
        continue;
      }
      if (code === ErrorCode.NONE) return;
      if (FENCED.has(code)) {
        this.#fatal = new ProducerFencedError(code, `${what} for transactional id "${this.transactionalId}"`);
        throw this.#fatal;
      }
      if ((RETRY.has(code) || REFIND.has(code) || isRetriable(code)) && attempt < this.#retries) {
        if (REFIND.has(code)) this.#conn = null;
        // The previous transaction's markers usually land within milliseconds: poll CONCURRENT_TRANSACTIONS
        // fast (the Java client retries AddPartitions after 20 ms for the same reason), the rest with backoff.
        const wait = code === ErrorCode.CONCURRENT_TRANSACTIONS ? Math.min(2 * 2 ** attempt, this.#backoffMs * 4) : this.#backoffMs * Math.min(2 ** attempt, 20);
        await sleep(wait);
        continue;
      }
      throw new KafkaError(code, `${what} for transactional id "${this.transactionalId}"`);
    }
  }

  /** InitProducerId: a producer id for the transactional id, fencing earlier instances; aborts what they left open. */
  async initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> {
    await this.#call('InitProducerId', async (conn) => {
      const r = await conn.request(InitProducerIdApi, {
        transactionalId: this.transactionalId,
        transactionTimeoutMs: this.transactionTimeoutMs,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
      });
      if (r.errorCode === ErrorCode.NONE) {
        this.producerId = r.producerId;
        this.producerEpoch = r.producerEpoch;
      }
      return r.errorCode;
    });
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  begin(): void {
    if (this.#fatal) throw this.#fatal;
    if (this.producerId < 0n) throw new TransactionStateError('call initTransactions() before beginTransaction()');
    if (this.#inTransaction) throw new TransactionStateError('a transaction is already in progress');
    this.#inTransaction = true;
    this.#added.clear();
  }

  requireTransaction(): void {
    if (this.#fatal) throw this.#fatal;
    if (!this.#inTransaction) throw new TransactionStateError('call beginTransaction() before sending in a transactional producer');
  }

  /** AddPartitionsToTxn for partitions not yet in the transaction (before their first batch is sent). */
  async addPartitions(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    const fresh = partitions.filter((p) => !this.#added.has(`${p.topic}\u0000${p.partition}`));
    if (fresh.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const p of fresh) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const topics = [...byTopic].map(([name, parts]) => ({ name, partitions: parts }));
    await this.#call('AddPartitionsToTxn', async (conn) => {
      const r = await conn.request(AddPartitionsToTxnApi, {
        v3AndBelowTransactionalId: this.transactionalId,
        v3AndBelowProducerId: this.producerId,
        v3AndBelowProducerEpoch: this.producerEpoch,
        v3AndBelowTopics: topics,
      }, { maxVersion: 3 });
      let worst: number = ErrorCode.NONE;
      for (const t of r.resultsByTopicV3AndBelow) for (const p of t.resultsByPartition) if (p.partitionErrorCode !== ErrorCode.NONE && p.partitionErrorCode !== ErrorCode.OPERATION_NOT_ATTEMPTED) worst = p.partitionErrorCode;
      return worst;
    });
    for (const p of fresh) this.#added.add(`${p.topic}\u0000${p.partition}`);
  }

  /** AddOffsetsToTxn, then TxnOffsetCommit to the group's coordinator. */
  async sendOffsets(offsets: readonly TransactionOffset[], group: ConsumerGroupMetadata): Promise<void> {
    this.requireTransaction();
    await this.#call('AddOffsetsToTxn', async (conn) =>
      (await conn.request(AddOffsetsToTxnApi, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId: group.groupId })).errorCode,
    );
    this.#offsetsAdded = true;
    const byTopic = new Map<string, TransactionOffset[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    let groupConn: BrokerConnection | null = null;
    await this.#call(
      'TxnOffsetCommit',
      async (conn) => {
        const r = await conn.request(TxnOffsetCommitApi, {
          transactionalId: this.transactionalId,
          groupId: group.groupId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          generationId: group.generationId ?? -1,
          memberId: group.memberId ?? '',
          groupInstanceId: group.groupInstanceId ?? null,
          topics: [...byTopic].map(([name, os]) => ({
            name,
            partitions: os.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null })),
          })),
        });
        for (const t of r.topics) for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) {
          if (REFIND.has(p.errorCode)) groupConn = null;
          return p.errorCode;
        }
        return ErrorCode.NONE;
      },
      async () => (groupConn ??= await findCoordinator(this.#cluster, group.groupId)),
    );
  }

  /** EndTxn; the transaction is over whatever the outcome, except a retriable failure (then call again). */
  async end(commit: boolean): Promise<void> {
    if (this.#fatal) throw this.#fatal;
    if (!this.#inTransaction) throw new TransactionStateError(`no transaction in progress to ${commit ? 'commit' : 'abort'}`);
    // A transaction that never added a partition has nothing on the coordinator: nothing to end.
    if (this.#added.size > 0 || this.#offsetsAdded) {
      await this.#call('EndTxn', async (conn) =>
        (await conn.request(EndTxnApi, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed: commit })).errorCode,
      );
    }
    this.#inTransaction = false;
    this.#offsetsAdded = false;
    this.#added.clear();
  }

  get fatal(): Error | null {
    return this.#fatal;
  }
}
