/**
 * The seam between cluster membership (src/cluster: what the metadata store says each partition's
 * replicas, leader, leader epoch and ISR are) and replication (src/replication: making this broker's
 * logs follow that state). Kafka draws the same line between the controller's LeaderAndIsr /
 * metadata-image deltas and ReplicaManager.applyDelta: the cluster layer decides, the replica manager
 * obeys and reports back only through AlterPartition.
 *
 * Arrows: src/cluster → src/replication → src/storage. Replication never reads the metadata store.
 */
import type { ErrorCodeValue } from '../protocol/error-codes.ts';

/** Where another broker can be reached for replica fetches (its inter-broker listener). */
export interface ReplicaEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack?: string | null;
}

/** One partition's state as the controller last wrote it (partitionEpoch = the CAS version). */
export interface PartitionAssignment {
  topic: string;
  topicId: string;
  partition: number;
  replicas: number[];
  isr: number[];
  /** -1 when the partition is offline. */
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
}

/** The leader's AlterPartition request: a new ISR based on the partition epoch it last saw. */
export interface IsrChangeRequest {
  topic: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: number[];
}

export type IsrChangeResult =
  | { ok: true; assignment: PartitionAssignment }
  | { ok: false; error: ErrorCodeValue; current?: PartitionAssignment };

/** Implemented by the cluster layer (a CAS on the partition's epoch in the metadata store). */
export interface IsrChangeSink {
  alterPartition(request: IsrChangeRequest): Promise<IsrChangeResult>;
}

/** What the cluster layer drives; implemented by src/replication/replica-manager.ts. */
export interface ReplicaControl {
  /**
   * Makes local logs match the given states: creates missing partition logs, becomes leader (new
   * leader epoch recorded in the leader-epoch cache) or follower (truncate as needed, fetch from the
   * leader), stops replicas no longer assigned here. Idempotent; states with an unchanged
   * (leaderEpoch, partitionEpoch) are no-ops.
   */
  applyAssignments(assignments: PartitionAssignment[], endpoints: ReadonlyMap<number, ReplicaEndpoint>): Promise<void>;
  /** Stops every fetcher and pending acks=all wait (broker shutdown). */
  close(): Promise<void>;
}
