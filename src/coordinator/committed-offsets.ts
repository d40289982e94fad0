import { ErrorCode } from '../protocol/error-codes.ts';
import type { OffsetCommitParams, PartitionErrors } from './coordinator-api.ts';
import { GroupState, type Group, type Member, type OffsetEntry } from './group.ts';
import type { AcceptedCommit } from './group-metadata-manager.ts';
import type { TxnOffsetCommitDeps } from './txn-offset-commit.ts';

/** What OffsetCommit needs of the group coordinator: TxnOffsetCommit's needs, and the member's liveness. */
export interface OffsetCommitDeps extends TxnOffsetCommitDeps {
  /** A commit from a group member counts as its heartbeat. */
  heartbeatOk(group: Group, member: Member): void;
}

/**
 * OffsetCommit (Kafka's GroupCoordinator.handleCommitOffsets): the member and generation checks, then
 * each partition's offset is accepted (or refused: OFFSET_METADATA_TOO_LARGE) and the accepted ones are
 * written to the offsets log. Resolves once the commit is durable (or failed: COORDINATOR_NOT_AVAILABLE).
 */
export async function commitOffsets(d: OffsetCommitDeps, p: OffsetCommitParams): Promise<PartitionErrors> {
  const allWith = (errorCode: number): PartitionErrors =>
    p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((q) => ({ partitionIndex: q.partitionIndex, errorCode })) }));
  if (d.closed) return allWith(ErrorCode.NOT_COORDINATOR);
  // Only a commit from outside group management (generation -1) may create a group.
  if (!d.groups.get(p.groupId) && p.generationId >= 0) return allWith(ErrorCode.ILLEGAL_GENERATION);
  const group = d.groups.getOrCreate(p.groupId);
  const error = validateCommit(group, p);
  if (error !== ErrorCode.NONE) return allWith(error);
  if (group.is(GroupState.CompletingRebalance)) return allWith(ErrorCode.REBALANCE_IN_PROGRESS);
  const member = group.members.get(p.memberId);
  if (member) d.heartbeatOk(group, member);

  const result: PartitionErrors = [];
  const accepted: AcceptedCommit[] = [];
  for (const t of p.topics) {
    const parts: { partitionIndex: number; errorCode: number }[] = [];
    result.push({ name: t.name, partitions: parts });
    for (const q of t.partitions) {
      const metadata = q.committedMetadata ?? '';
      if (Buffer.byteLength(metadata, 'utf8') > d.offsetMetadataMaxBytes) {
        parts.push({ partitionIndex: q.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
        continue;
      }
      const commitTimestamp = q.commitTimestamp !== undefined && q.commitTimestamp >= 0 ? q.commitTimestamp : d.now;
      const retention = p.retentionTimeMs ?? -1;
      const entry: OffsetEntry = {
        offset: q.committedOffset,
        leaderEpoch: q.committedLeaderEpoch,
        metadata,
        commitTimestamp,
        expireTimestamp: retention >= 0 ? commitTimestamp + retention : null,
      };
      accepted.push({ topic: t.name, partition: q.partitionIndex, entry });
      parts.push({ partitionIndex: q.partitionIndex, errorCode: ErrorCode.NONE });
    }
  }
  try {
    await d.groups.storeOffsets(p.groupId, accepted);
  } catch {
    for (const t of result) for (const q of t.partitions) if (q.errorCode === ErrorCode.NONE) q.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  return result;
}

function validateCommit(group: Group, p: OffsetCommitParams): number {
  if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
    if (group.isStaticMemberFenced(p.groupInstanceId, p.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (!group.members.has(p.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }
  // A standalone commit (no generation, no member) is only accepted while nobody is in the group.
  if (!group.is(GroupState.Empty)) return ErrorCode.UNKNOWN_MEMBER_ID;
  return ErrorCode.NONE;
}

/**
 * OffsetDelete (Kafka's GroupCoordinator.handleDeleteOffsets): not for topics an active member
 * subscribes to (GROUP_SUBSCRIBED_TO_TOPIC), nor for a non-consumer group with members
 * (NON_EMPTY_GROUP). The deletions are tombstones in the offsets log, durable before this resolves.
 */
export async function deleteOffsets(
  d: Pick<OffsetCommitDeps, 'groups' | 'closed'>,
  groupId: string,
  topics: { name: string; partitionIndexes: number[] }[],
): Promise<{ errorCode: number; topics: PartitionErrors }> {
  if (d.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
  const group = d.groups.get(groupId);
  if (!group || group.is(GroupState.Dead)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
  if (!group.is(GroupState.Empty) && group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
  const result: PartitionErrors = [];
  const toDelete: { topic: string; partition: number }[] = [];
  for (const t of topics) {
    const subscribed = !group.is(GroupState.Empty) && group.isSubscribedToTopic(t.name);
    result.push({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        if (subscribed) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        toDelete.push({ topic: t.name, partition: partitionIndex });
        return { partitionIndex, errorCode: ErrorCode.NONE };
      }),
    });
  }
  try {
    await d.groups.cleanupGroupMetadata([group], () => toDelete, true);
  } catch {
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
  }
  return { errorCode: ErrorCode.NONE, topics: result };
}
