import { ErrorCode } from '../../protocol/error-codes.ts';
import type { CommitPartition } from '../../coordinator/group-coordinator.ts';
import { OffsetCommitApi, type OffsetCommitRequest, type OffsetCommitResponseInput } from '../../protocol/messages/offset-commit.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, allowedTopics, Op, Res } from '../authorize.ts';


/**
 * OffsetCommit (8) v0–9. v0 has no generation/member (a standalone commit), v1 a per-partition
 * commit timestamp, v2–4 a retention time, v6+ leader epochs, v7+ static members. Partitions of
 * unknown topics get ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, the rest are stored; the response goes out once the
 * commit is durable in the offset log.
 */
export const offsetCommit: ApiHandler<typeof OffsetCommitApi> = {
  api: OffsetCommitApi,
  minVersion: 0,
  maxVersion: 9,
  async handle(req, ctx) {
    // READ on the group, then READ on each topic (checked before existence), as KafkaApis.
    if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return allWith(req, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const readable = allowedTopics(ctx, Op.READ, req.topics.map((t) => t.name));
    const gc = ctx.broker.coordinator;
    const v = ctx.apiVersion;
    const logs = ctx.broker.logs;
    const exists = (topic: string, p: number) => logs.partition(topic, p) !== undefined;
    const known: { name: string; partitions: CommitPartition[] }[] = [];
    const unknown = new Map<string, Set<number>>();
    for (const t of req.topics) {
      if (!readable.has(t.name)) continue;
      const parts: CommitPartition[] = [];
      for (const p of t.partitions) {
        if (!exists(t.name, p.partitionIndex)) {
          let s = unknown.get(t.name);
          if (!s) unknown.set(t.name, (s = new Set()));
          s.add(p.partitionIndex);
          continue;
        }
        parts.push({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
          committedMetadata: p.committedMetadata,
          commitTimestamp: v === 1 ? Number(p.commitTimestamp) : -1,
        });
      }
      if (parts.length > 0) known.push({ name: t.name, partitions: parts });
    }
    const stored = known.length === 0 ? [] : await gc.commitOffsets({
      groupId: req.groupId,
      generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
      memberId: v >= 1 ? req.memberId : '',
      groupInstanceId: v >= 7 ? req.groupInstanceId : null,
      retentionTimeMs: v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1,
      topics: known,
    });
    const codes = new Map<string, number>();
    for (const t of stored) for (const p of t.partitions) codes.set(`${p.partitionIndex}\u0000${t.name}`, p.errorCode);
    // Answer in request order.
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: !readable.has(t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : unknown.get(t.name)?.has(p.partitionIndex) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : (codes.get(`${p.partitionIndex}\u0000${t.name}`) ?? 0),
        })),
      })),
    };
  },
  errorResponse(req, errorCode) {
    return allWith(req, errorCode);
  },
};

function allWith(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponseInput {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  };
}
