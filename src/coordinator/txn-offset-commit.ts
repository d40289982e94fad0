import { ErrorCode } from '../protocol/error-codes.ts';
import { GroupState } from './group.ts';
import type { AcceptedCommit, GroupMetadataManager } from './group-metadata-manager.ts';
import type { TxnOffsetCommitParams, TxnOffsetCommitPartitionResult } from './transactional-offsets.ts';

/** What the TxnOffsetCommit decision needs of the group coordinator. */
export interface TxnOffsetCommitDeps {
  groups: GroupMetadataManager;
  now: number;
  closed: boolean;
  offsetMetadataMaxBytes: number;
}

/**
 * Kafka's handleTxnCommitOffsets/doTxnCommitOffsets: KIP-447 checks (a member id or generation given
 * must match; '' / -1 skip them, and generation -1 on an Empty group is an admin-style commit), no
 * REBALANCE_IN_PROGRESS (a transaction may commit mid-rebalance), then the offsets are written as the
 * producer's transactional batch and held pending until the transaction's marker.
 */
export async function commitTransactionalOffsets(d: TxnOffsetCommitDeps, p: TxnOffsetCommitParams): Promise<TxnOffsetCommitPartitionResult[]> {
  const all = (errorCode: number) => p.offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode }));
  if (d.closed) return all(ErrorCode.NOT_COORDINATOR);
  const group = d.groups.getOrCreate(p.groupId);
  let error: number = ErrorCode.NONE;
  if (group.is(GroupState.Dead)) error = ErrorCode.COORDINATOR_NOT_AVAILABLE;
  else if (p.generationId < 0 && group.is(GroupState.Empty)) error = ErrorCode.NONE;
  else if (group.isStaticMemberFenced(p.groupInstanceId, p.memberId)) error = ErrorCode.FENCED_INSTANCE_ID;
  else if (p.memberId !== '' && !group.members.has(p.memberId)) error = ErrorCode.UNKNOWN_MEMBER_ID;
  else if (p.generationId >= 0 && p.generationId !== group.generationId) error = ErrorCode.ILLEGAL_GENERATION;
  if (error !== ErrorCode.NONE) return all(error);
  const out: TxnOffsetCommitPartitionResult[] = [];
  const accepted: AcceptedCommit[] = [];
  for (const o of p.offsets) {
    const metadata = o.metadata ?? '';
    if (Buffer.byteLength(metadata, 'utf8') > d.offsetMetadataMaxBytes) {
      out.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
      continue;
    }
    accepted.push({ topic: o.topic, partition: o.partition, entry: { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp: d.now, expireTimestamp: null } });
    out.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NONE });
  }
  if (accepted.length === 0) return out;
  try {
    await d.groups.storeTxnOffsets(p.groupId, p.producerId, p.producerEpoch, accepted);
  } catch (e) {
    // The offsets partition refused the batch: a stale epoch is the producer's fault, the rest retriable.
    const code = (e as { errorCode?: number }).errorCode === ErrorCode.INVALID_PRODUCER_EPOCH ? ErrorCode.INVALID_PRODUCER_EPOCH : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    for (const r of out) if (r.errorCode === ErrorCode.NONE) r.errorCode = code;
  }
  return out;
}
