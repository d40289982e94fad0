import type { TransactionResult } from './transaction-marker-writer.ts';

/**
 * The group coordinator's half of transactional offset commits (TxnOffsetCommit, API 28), as the
 * integration round must add it to the group coordinator. This file only fixes the contract so the
 * transaction side can be built and reviewed now; group-coordinator.ts is being split by another
 * engineer and does not implement it yet.
 *
 * Kafka's rules (GroupMetadataManager.storeOffsets with a producer id, GroupMetadata pending offsets):
 * - A TxnOffsetCommit is written to `__consumer_offsets` as a transactional batch of the producer
 *   (producer id/epoch, isTransactional) and kept *pending* per producer id; fetching offsets does not
 *   see it. OffsetFetch v7+ with require_stable answers UNSTABLE_OFFSET_COMMIT for a partition that has
 *   a pending transactional commit.
 * - KIP-447 (TxnOffsetCommit v3+): member id, generation id and group instance id are checked like a
 *   plain OffsetCommit (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID), so a zombie
 *   producer from an older generation cannot commit. A generation of -1 with an empty member id skips
 *   the check (v0-2 clients).
 * - The transaction coordinator must have the offsets partition in the transaction (AddOffsetsToTxn
 *   ran first); the group coordinator does not check it, as in Kafka.
 * - When the COMMIT marker lands in the offsets partition the pending offsets become the committed
 *   offsets (unless a newer plain commit already replaced them, by log offset); on ABORT they are dropped.
 * - Reload of `__consumer_offsets` must track transactional batches by producer id and apply the
 *   control batches it meets (commit → apply, abort → drop); still-open ones stay pending.
 */

export interface TxnOffsetCommitPartition {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

export interface TxnOffsetCommitParams {
  transactionalId: string;
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  /** v3+ (KIP-447); '' / -1 / null from older clients. */
  memberId: string;
  generationId: number;
  groupInstanceId: string | null;
  offsets: readonly TxnOffsetCommitPartition[];
}

export interface TxnOffsetCommitPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export interface TransactionalOffsetStore {
  /** Writes the offsets as a pending transactional commit of `producerId`; per-partition error codes. */
  commitTransactionalOffsets(p: TxnOffsetCommitParams): Promise<TxnOffsetCommitPartitionResult[]>;
  /**
   * Called by the broker's marker writer once a marker is durable in an offsets partition: materialises
   * (commit) or discards (abort) every pending offset of `producerId` in that partition.
   */
  completeTransaction(producerId: bigint, offsetsPartition: number, result: TransactionResult): Promise<void>;
  /** Whether `groupId` has a pending transactional commit for the partition (OffsetFetch require_stable). */
  hasPendingTransactionalOffsets(groupId: string, topic: string, partition: number): boolean;
}
