/**
 * Where the replicas of a new topic or of added partitions go, as CreateTopics and CreatePartitions
 * decide it in cluster mode: given replica lists are checked as Kafka's validateReplicaAssignment does
 * (its messages, in its order); otherwise Kafka's rack-aware placement over the live brokers
 * (src/cluster/replica-assignment.ts). Pure: ClusterMode (cluster-mode.ts) writes the result to the
 * metadata store. Every refusal is a ClusterTopicError carrying the error code the client gets.
 */
import { NO_LEADER, type PartitionState } from '../cluster/metadata-store.ts';
import { assignNewPartitions, assignReplicas, ReplicaAssignmentError, type AssignableBroker } from '../cluster/replica-assignment.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { ClusterTopicError } from './cluster-topic-error.ts';

/** The brokers placement may use and a check for whether an id names a registered broker. */
export interface PlacementBrokers {
  /** Live brokers not in controlled shutdown (new replicas go only there). */
  readonly live: readonly AssignableBroker[];
  isRegistered(nodeId: number): boolean;
}

/** A new topic's replica lists: `assignments` as given (checked), else `replicationFactor` placed over the live brokers. */
export function newTopicReplicas(brokers: PlacementBrokers, partitions: number, replicationFactor: number, assignments: number[][] | null | undefined): number[][] {
  if (assignments) {
    const unknown = assignments.flat().filter((r) => !brokers.isRegistered(r));
    if (unknown.length > 0) throw new ClusterTopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker(s) in replica assignment: ${[...new Set(unknown)].join(', ')}.`);
    if (assignments.some((r) => r.length === 0 || new Set(r).size !== r.length)) {
      throw new ClusterTopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Each partition needs at least one replica and no broker twice.');
    }
    return assignments;
  }
  return placed(() => assignReplicas(brokers.live, partitions, replicationFactor));
}

/**
 * The replica lists of `toAdd` partitions added after `existing` ones: `assignments` as given (Kafka's
 * validateReplicaAssignment for CreatePartitions), else Kafka's createNewPartitionsAssignment
 * (partition 0's replication factor, the topic's layout continued).
 */
export function addedPartitionReplicas(
  brokers: PlacementBrokers,
  partition0Replicas: readonly number[],
  existing: number,
  toAdd: number,
  assignments: number[][] | null,
): number[][] {
  if (!assignments) return placed(() => assignNewPartitions(brokers.live, partition0Replicas, existing, toAdd));
  if (assignments.length !== toAdd) throw new ClusterTopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${toAdd} but ${assignments.length} assignments provided.`);
  assignments.forEach((r, i) => {
    if (r.length === 0) throw new ClusterTopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Cannot have replication factor of 0 for partition id ${existing + i}.`);
    if (new Set(r).size !== r.length) throw new ClusterTopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate brokers not allowed in replica assignment: ${r.join(', ')} for partition id ${existing + i}.`);
    const unknown = r.filter((b) => !brokers.isRegistered(b));
    if (unknown.length > 0) throw new ClusterTopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker(s) in replica assignment: ${unknown.join(', ')}.`);
    if (r.length !== partition0Replicas.length) {
      throw new ClusterTopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Inconsistent replication factor between partitions, partition 0 has ${partition0Replicas.length} while partition ${existing + i} has ${r.length}.`);
    }
  });
  return assignments;
}

/** New partitions' first states: every registered replica in the ISR, the first of them leading at epoch 0. */
export function initialPartitionStates(brokers: PlacementBrokers, replicaLists: readonly number[][]): PartitionState[] {
  return replicaLists.map((replicas) => ({
    replicas,
    isr: replicas.filter((r) => brokers.isRegistered(r)),
    leader: replicas.find((r) => brokers.isRegistered(r)) ?? NO_LEADER,
    leaderEpoch: 0,
    partitionEpoch: 0,
    leaderRecoveryState: 0,
  }));
}

/** Placement's own refusals (too few brokers for the replication factor) as INVALID_REPLICATION_FACTOR. */
function placed(assign: () => number[][]): number[][] {
  try {
    return assign();
  } catch (err) {
    if (err instanceof ReplicaAssignmentError) throw new ClusterTopicError(ErrorCode.INVALID_REPLICATION_FACTOR, err.message);
    throw err;
  }
}
