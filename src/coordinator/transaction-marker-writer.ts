import type { TopicPartition } from './transaction-metadata.ts';

/**
 * How the transaction coordinator gets commit/abort markers written. It is an interface because the
 * destination changes with the deployment: today every partition is local (the broker appends a control
 * batch to its own partition log, see src/protocol/records/control-batch.ts), and with the cluster issue
 * a partition led by another broker gets a WriteTxnMarkers request (API 27) instead. The coordinator only
 * needs per-partition outcomes, with Kafka's error codes, to decide what to retry.
 */

export type TransactionResult = 'commit' | 'abort';

export interface TransactionMarkerRequest {
  /** For logs and for writers that batch per transaction; the marker itself does not carry it. */
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  /** Written into the marker's value (EndTransactionMarker.coordinator_epoch) so stale coordinators are fenced. */
  coordinatorEpoch: number;
  result: TransactionResult;
  partitions: readonly TopicPartition[];
}

export interface TransactionMarkerPartitionResult extends TopicPartition {
  /**
   * ErrorCode.NONE once the marker is durable in that partition. What the coordinator does with others
   * (Kafka's TransactionMarkerRequestCompletionHandler): UNKNOWN_TOPIC_OR_PARTITION when the partition no
   * longer exists and UNSUPPORTED_FOR_MESSAGE_FORMAT / UNSUPPORTED_VERSION drop the partition from the
   * transaction; INVALID_PRODUCER_EPOCH / TRANSACTION_COORDINATOR_FENCED mean a newer coordinator owns the
   * transaction, so this one stops; anything else (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS,
   * REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR, ...) is retried after a backoff.
   */
  errorCode: number;
}

export interface TransactionMarkerWriter {
  /**
   * Writes one marker per partition. Must resolve with a result for every requested partition; a
   * rejected promise counts as a retriable failure of all of them. For a `__consumer_offsets` partition
   * the broker's writer also tells the group coordinator (see TransactionalOffsetStore.completeTransaction)
   * after the marker is durable, so the transaction's offset commits become visible or are dropped.
   */
  writeMarkers(req: TransactionMarkerRequest): Promise<TransactionMarkerPartitionResult[]>;
}
