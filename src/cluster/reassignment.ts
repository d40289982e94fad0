/**
 * Partition changes an administrator asks for (Kafka's AlterPartitionReassignments and ElectLeaders),
 * each a compare-and-set on the partition epoch. They may be run by any broker: the partition-epoch
 * CAS keeps them consistent with the controller's own changes (a lost race re-reads and re-decides).
 *
 * Reassignment follows Kafka's ReplicationControlManager: while in progress, replicas = target +
 * the old replicas not in the target (adding / removing replicas), so the new replicas start
 * following; once every target replica is in the ISR, replicas = target, the ISR drops the removed
 * ones and a leader outside the target hands over to the first target replica in the ISR.
 */
import { ErrorCode } from '../protocol/error-codes.ts';
import { NO_LEADER, type MetadataStore, type PartitionChange, type TopicPartitionState } from './metadata-store.ts';
import { buildPartitionChange } from './partition-change.ts';

const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function changeOf(p: TopicPartitionState): PartitionChange {
  const { replicas, isr, leader, leaderEpoch, leaderRecoveryState, targetReplicas } = p;
  return { replicas, isr, leader, leaderEpoch, leaderRecoveryState, ...(targetReplicas ? { targetReplicas } : {}) };
}

/**
 * Completes `p`'s reassignment when all its target replicas are in the ISR. Returns the new state, null
 * when there is nothing to do yet, or 'not-controller' when a fenced write was refused.
 */
export async function completeReassignment(
  store: MetadataStore,
  p: TopicPartitionState,
  active: ReadonlySet<number>,
  fence?: { controllerEpoch: number },
): Promise<TopicPartitionState | null | 'not-controller'> {
  const target = p.targetReplicas;
  if (!target || !target.every((r) => p.isr.includes(r))) return null;
  const isr = p.isr.filter((r) => target.includes(r));
  let leader = p.leader;
  if (!target.includes(leader)) leader = target.find((r) => isr.includes(r) && active.has(r)) ?? NO_LEADER;
  const change: PartitionChange = {
    replicas: target,
    isr,
    leader,
    leaderEpoch: leader !== p.leader ? p.leaderEpoch + 1 : p.leaderEpoch,
    leaderRecoveryState: p.leaderRecoveryState,
  };
  const res = await store.alterPartition(p.topic, p.partition, p.partitionEpoch, change, fence);
  if (res.ok) return res.state;
  if (res.reason === 'not-controller') return 'not-controller';
  return null; // moved meanwhile: the next partition change event looks again
}

export interface ReassignmentOutcome {
  errorCode: number;
  message: string | null;
}

/**
 * Starts (target given) or cancels (target null) a reassignment of one partition. `liveBrokers` are
 * the registered node ids; Kafka refuses targets naming unknown brokers.
 */
export async function alterReassignment(
  store: MetadataStore,
  topic: string,
  partition: number,
  target: number[] | null,
  liveBrokers: ReadonlySet<number>,
): Promise<ReassignmentOutcome> {
  if (target !== null) {
    if (target.length === 0) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The partition assignment must contain at least one replica.' };
    if (new Set(target).size !== target.length) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The partition assignment [${target}] contains duplicate brokers.` };
    const unknown = target.filter((r) => !liveBrokers.has(r));
    if (unknown.length > 0) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The partition assignment names brokers that are not registered: ${unknown.join(', ')}` };
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const snap = await store.snapshot();
    const cur = snap.partitions.find((p) => p.topic === topic && p.partition === partition);
    if (!cur) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `${topic}-${partition} does not exist` };
    let change: PartitionChange;
    if (target === null) {
      if (!cur.targetReplicas) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: `no reassignment in progress for ${topic}-${partition}` };
      // Cancel: keep the replicas that were there before (the ones not only added for the target) plus
      // any added one that already caught up; the leader stays if it still is a replica.
      const replicas = cur.replicas.filter((r) => !cur.targetReplicas!.includes(r) || cur.isr.includes(r));
      const leader = replicas.includes(cur.leader) ? cur.leader : (replicas.find((r) => cur.isr.includes(r)) ?? NO_LEADER);
      change = { replicas, isr: cur.isr.filter((r) => replicas.includes(r)), leader, leaderEpoch: leader !== cur.leader ? cur.leaderEpoch + 1 : cur.leaderEpoch, leaderRecoveryState: cur.leaderRecoveryState };
    } else {
      if (sameList(target, cur.replicas) && !cur.targetReplicas) return { errorCode: ErrorCode.NONE, message: null };
      const replicas = [...target, ...cur.replicas.filter((r) => !target.includes(r))];
      change = { ...changeOf(cur), replicas, targetReplicas: target };
    }
    const res = await store.alterPartition(topic, partition, cur.partitionEpoch, change);
    if (res.ok) {
      if (target !== null) await completeReassignment(store, res.state, new Set(snap.brokers.filter((b) => !b.inControlledShutdown).map((b) => b.nodeId)));
      return { errorCode: ErrorCode.NONE, message: null };
    }
    if (res.reason === 'unknown-partition') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `${topic}-${partition} does not exist` };
  }
  return { errorCode: ErrorCode.REASSIGNMENT_IN_PROGRESS, message: `${topic}-${partition} kept changing; try again` };
}

/** ElectLeaders' election types (KIP-460). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

/** One partition of an ElectLeaders request, with Kafka's per-partition errors. */
export async function electLeader(
  store: MetadataStore,
  topic: string,
  partition: number,
  electionType: number,
): Promise<ReassignmentOutcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const snap = await store.snapshot();
    const cur = snap.partitions.find((p) => p.topic === topic && p.partition === partition);
    if (!cur) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'The topic or partition does not exist.' };
    const active = new Set(snap.brokers.filter((b) => !b.inControlledShutdown).map((b) => b.nodeId));
    const targetIsr = cur.isr.filter((r) => active.has(r));
    if (electionType === ElectionType.PREFERRED) {
      if (cur.leader === cur.replicas[0]) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
      if (!targetIsr.includes(cur.replicas[0]!) || !active.has(cur.replicas[0]!)) {
        return { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: `Failed to elect leader for partition ${topic}-${partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy` };
      }
    } else if (cur.leader !== NO_LEADER && active.has(cur.leader)) {
      return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
    }
    const built = buildPartitionChange(cur, {
      targetIsr: targetIsr.length > 0 ? targetIsr : cur.isr,
      isAcceptableLeader: (r) => active.has(r),
      election: electionType === ElectionType.PREFERRED ? 'PREFERRED' : 'UNCLEAN',
    });
    if (!built || built.change.leader === NO_LEADER) {
      return { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, message: `Failed to elect leader for partition ${topic}-${partition} under strategy UncleanLeaderElectionStrategy` };
    }
    const res = await store.alterPartition(topic, partition, cur.partitionEpoch, built.change);
    if (res.ok) return { errorCode: ErrorCode.NONE, message: null };
    if (res.reason === 'unknown-partition') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'The topic or partition does not exist.' };
  }
  return { errorCode: ErrorCode.NOT_CONTROLLER, message: 'the partition kept changing; try again' };
}
