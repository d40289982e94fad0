import { ErrorCode } from '../protocol/error-codes.ts';
import { DescribeProducersApi } from '../protocol/messages/describe-producers.ts';
import { DescribeTransactionsApi } from '../protocol/messages/describe-transactions.ts';
import { ListTransactionsApi } from '../protocol/messages/list-transactions.ts';
import { WriteTxnMarkersApi } from '../protocol/messages/write-txn-markers.ts';
import type { Cluster } from './cluster.ts';
import { findCoordinator } from './coordinator.ts';
import { KafkaError, check } from './errors.ts';

/**
 * What `kafka-transactions.sh` asks (Kafka's Admin listTransactions / describeTransactions /
 * describeProducers): transactional ids and their state from the transaction coordinators, and the
 * producers a partition leader knows, with the start offset of any open transaction (what pins the LSO).
 */

export interface ListedTransaction {
  transactionalId: string;
  producerId: bigint;
  state: string;
}

export interface TransactionDescription {
  transactionalId: string;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  /** -1 when no transaction is running. */
  startTimeMs: number;
  partitions: { topic: string; partition: number }[];
}

export interface PartitionProducer {
  topic: string;
  partition: number;
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** -1 when the producer has no open transaction in the partition. */
  currentTxnStartOffset: number;
}

/** ListTransactions from every broker (each coordinator lists only its own ids). */
export async function listTransactions(cluster: Cluster, opts: { states?: string[] } = {}): Promise<ListedTransaction[]> {
  await cluster.refreshMetadata([]);
  const out: ListedTransaction[] = [];
  for (const nodeId of cluster.brokers.keys()) {
    const conn = await cluster.connectionTo(nodeId);
    const r = await conn.request(ListTransactionsApi, { stateFilters: opts.states ?? [], producerIdFilters: [], durationFilter: -1n });
    check(r.errorCode, 'ListTransactions');
    if (r.unknownStateFilters.length > 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'ListTransactions', `unknown state(s): ${r.unknownStateFilters.join(', ')}`);
    for (const t of r.transactionStates) out.push({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState });
  }
  return out.sort((a, b) => a.transactionalId.localeCompare(b.transactionalId));
}

export async function describeTransaction(cluster: Cluster, transactionalId: string): Promise<TransactionDescription> {
  const conn = await findCoordinator(cluster, transactionalId, 10, 1);
  const r = await conn.request(DescribeTransactionsApi, { transactionalIds: [transactionalId] });
  const t = r.transactionStates[0];
  if (!t) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeTransactions for "${transactionalId}" returned nothing`);
  check(t.errorCode, `transactional id "${transactionalId}"`);
  return {
    transactionalId,
    state: t.transactionState,
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    timeoutMs: t.transactionTimeoutMs,
    startTimeMs: Number(t.transactionStartTimeMs),
    partitions: t.topics.flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topic, partition }))).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
  };
}

/** DescribeProducers for every partition of `topic` (or the given ones), asked of each leader. */
export async function describeProducers(cluster: Cluster, topic: string, partitions?: number[]): Promise<PartitionProducer[]> {
  const [info] = await cluster.topicMetadata([topic]);
  const wanted = partitions ?? info!.partitions.map((p) => p.partition);
  const byLeader = new Map<number, number[]>();
  for (const p of wanted) {
    const leader = cluster.leaderFor(topic, p);
    if (leader < 0) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${p} of topic "${topic}" does not exist`);
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
  }
  const out: PartitionProducer[] = [];
  for (const [leader, parts] of byLeader) {
    const conn = await cluster.connectionTo(leader);
    const r = await conn.request(DescribeProducersApi, { topics: [{ name: topic, partitionIndexes: parts }] });
    for (const t of r.topics) {
      for (const p of t.partitions) {
        check(p.errorCode, `DescribeProducers ${topic}[${p.partitionIndex}]`, p.errorMessage);
        for (const a of p.activeProducers) {
          out.push({
            topic,
            partition: p.partitionIndex,
            producerId: a.producerId,
            producerEpoch: a.producerEpoch,
            lastSequence: a.lastSequence,
            lastTimestamp: Number(a.lastTimestamp),
            coordinatorEpoch: a.coordinatorEpoch,
            currentTxnStartOffset: Number(a.currentTxnStartOffset),
          });
        }
      }
    }
  }
  return out.sort((a, b) => a.partition - b.partition || (a.producerId < b.producerId ? -1 : 1));
}

/**
 * Kafka's Admin.abortTransaction for a hanging transaction: finds the producer whose open transaction
 * in `topic[partition]` starts at `startOffset` (DescribeProducers) and asks the leader to write an ABORT
 * marker for it (WriteTxnMarkers with the producer's epoch and coordinator epoch). Returns the producer.
 */
export async function abortHangingTransaction(cluster: Cluster, topic: string, partition: number, startOffset: number): Promise<PartitionProducer> {
  const producers = await describeProducers(cluster, topic, [partition]);
  const p = producers.find((x) => x.currentTxnStartOffset === startOffset);
  if (!p) {
    const open = producers.filter((x) => x.currentTxnStartOffset >= 0).map((x) => x.currentTxnStartOffset);
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `no open transaction starts at offset ${startOffset} in ${topic}[${partition}]`, open.length ? `open ones start at ${open.join(', ')}` : 'it has no open transaction');
  }
  const conn = await cluster.connectionTo(cluster.leaderFor(topic, partition));
  const r = await conn.request(WriteTxnMarkersApi, {
    markers: [{ producerId: p.producerId, producerEpoch: p.producerEpoch, transactionResult: false, coordinatorEpoch: Math.max(0, p.coordinatorEpoch), topics: [{ name: topic, partitionIndexes: [partition] }] }],
  });
  check(r.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, `WriteTxnMarkers (abort) for ${topic}[${partition}]`);
  return p;
}
