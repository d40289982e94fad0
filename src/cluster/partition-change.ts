/**
 * Pure partition-state transitions, ported from Kafka's PartitionChangeBuilder and
 * ReplicationControlManager (3.9, metadata version ≥ 3.6, ELR off):
 *
 * - `buildPartitionChange`: given the current state, a target ISR and which brokers may lead, elect
 *   a leader (PREFERRED / ONLINE / UNCLEAN exactly as Kafka's electPreferredLeader/electAnyLeader) and
 *   produce the new state, or null when nothing changes. A leader change bumps the leader epoch; every
 *   change bumps the partition epoch (done by the store's CAS). An unclean election forces ISR = [leader]
 *   and marks the leader RECOVERING. The ISR is never set empty (without ELR Kafka keeps the last member).
 * - `validateAlterPartition`: the controller-side checks of an AlterPartition request, with Kafka's
 *   error codes in Kafka's order.
 */
import { ErrorCode } from '../protocol/error-codes.ts';
import { LeaderRecoveryState, NO_LEADER, type LeaderRecoveryStateValue, type PartitionChange, type PartitionState } from './metadata-store.ts';

export type Election = 'PREFERRED' | 'ONLINE' | 'UNCLEAN';

export interface ChangeRequest {
  /** The ISR to move to (e.g. the current ISR without a fenced broker). */
  targetIsr: number[];
  /** May this replica lead? (registered, not fenced, not in controlled shutdown) */
  isAcceptableLeader: (replica: number) => boolean;
  election: Election;
}

export interface ChangeResult {
  change: PartitionChange;
  /** True when the new leader was chosen outside the ISR: acknowledged data may be lost. */
  unclean: boolean;
}

const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const containsAll = (a: readonly number[], b: readonly number[]): boolean => b.every((x) => a.includes(x));

interface Elected {
  node: number;
  unclean: boolean;
}

function electLeader(p: PartitionState, targetIsr: number[], req: ChangeRequest): Elected {
  const valid = (r: number): boolean => targetIsr.includes(r) && req.isAcceptableLeader(r);
  if (req.election === 'PREFERRED') {
    const preferred = p.replicas[0]!;
    if (valid(preferred)) return { node: preferred, unclean: false };
    if (valid(p.leader)) return { node: p.leader, unclean: false };
    const online = p.replicas.slice(1).find(valid);
    return online !== undefined ? { node: online, unclean: false } : { node: NO_LEADER, unclean: false };
  }
  // Don't move a leader that still meets every constraint.
  if (valid(p.leader)) return { node: p.leader, unclean: false };
  const online = p.replicas.find(valid);
  if (online !== undefined) return { node: online, unclean: false };
  if (req.election === 'UNCLEAN') {
    const unclean = p.replicas.find((r) => req.isAcceptableLeader(r));
    if (unclean !== undefined) return { node: unclean, unclean: true };
  }
  return { node: NO_LEADER, unclean: false };
}

export function buildPartitionChange(p: PartitionState, req: ChangeRequest): ChangeResult | null {
  const targetIsr = req.targetIsr.filter((r) => p.replicas.includes(r));
  let leader = p.leader;
  let leaderChanged = false;
  let isr: number[] | null = null;
  let recovery: LeaderRecoveryStateValue = p.leaderRecoveryState;
  let unclean = false;

  const elected = electLeader(p, targetIsr, req);
  if (elected.node !== p.leader) {
    leader = elected.node;
    leaderChanged = true;
    if (elected.unclean) {
      unclean = true;
      // Forcibly ISR = the new leader alone. This can lose data; RECOVERING until it has recovered.
      isr = [elected.node];
      recovery = LeaderRecoveryState.RECOVERING;
    }
  }
  // Without ELR an empty target ISR is not written: the last member stays so it can come back clean.
  if (isr === null && targetIsr.length > 0 && !sameList(targetIsr, p.isr)) isr = targetIsr;
  if (!leaderChanged && isr === null && recovery === p.leaderRecoveryState) return null;
  return {
    change: {
      replicas: p.replicas,
      isr: isr ?? p.isr,
      leader,
      leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
      leaderRecoveryState: recovery,
      ...(p.targetReplicas ? { targetReplicas: p.targetReplicas } : {}),
    },
    unclean,
  };
}

/** Is `leader` not the preferred replica although the preferred one could lead? (auto rebalance) */
export function isImbalanced(p: PartitionState): boolean {
  return p.leader !== p.replicas[0];
}

export interface AlterPartitionRequest {
  brokerId: number;
  brokerEpoch: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: number[];
  leaderRecoveryState: LeaderRecoveryStateValue;
}

export interface AlterPartitionContext {
  /** Current broker epoch of a registered broker, undefined when not registered (fenced). */
  brokerEpochOf: (brokerId: number) => number | undefined;
  /** May this replica join an ISR? (registered and not in controlled shutdown) */
  isEligibleForIsr: (brokerId: number) => boolean;
}

/**
 * Kafka's AlterPartition validation (ReplicationControlManager.alterPartition/validateAlterPartitionData),
 * with `partition` undefined for an unknown partition. Returns ErrorCode.NONE when the change may be applied.
 */
export function validateAlterPartition(partition: PartitionState | undefined, req: AlterPartitionRequest, ctx: AlterPartitionContext): number {
  const registeredEpoch = ctx.brokerEpochOf(req.brokerId);
  if (req.brokerEpoch !== -1 && registeredEpoch !== req.brokerEpoch) return ErrorCode.STALE_BROKER_EPOCH;
  if (!partition) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  // A request from the future means this controller is behind: let the leader find the new one.
  if (req.leaderEpoch > partition.leaderEpoch) return ErrorCode.NOT_CONTROLLER;
  if (req.partitionEpoch > partition.partitionEpoch) return ErrorCode.NOT_CONTROLLER;
  if (req.leaderEpoch < partition.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (req.brokerId !== partition.leader) return ErrorCode.INVALID_REQUEST;
  if (req.partitionEpoch < partition.partitionEpoch) return ErrorCode.INVALID_UPDATE_VERSION;
  if (!validIsr(partition.replicas, req.newIsr)) return ErrorCode.INVALID_REQUEST;
  if (!req.newIsr.includes(partition.leader)) return ErrorCode.INVALID_REQUEST;
  if (req.leaderRecoveryState === LeaderRecoveryState.RECOVERING && req.newIsr.length > 1) return ErrorCode.INVALID_REQUEST;
  if (partition.leaderRecoveryState === LeaderRecoveryState.RECOVERED && req.leaderRecoveryState === LeaderRecoveryState.RECOVERING) {
    return ErrorCode.INVALID_REQUEST;
  }
  // Every member must be alive and not shutting down (Kafka's ineligibleReplicasForIsr).
  if (req.newIsr.some((r) => !ctx.isEligibleForIsr(r))) return ErrorCode.INELIGIBLE_REPLICA;
  return ErrorCode.NONE;
}

/** Kafka's Replicas.validateIsr: non-empty, no duplicates, every member a replica. */
function validIsr(replicas: number[], isr: number[]): boolean {
  return isr.length > 0 && new Set(isr).size === isr.length && containsAll(replicas, isr);
}
