import { ErrorCode } from '../../protocol/error-codes.ts';
import type { GroupCoordinator, OffsetFetchResult } from '../../coordinator/group-coordinator.ts';
import { OffsetFetchApi, type OffsetFetchResponseInput } from '../../protocol/messages/offset-fetch.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { allowed, allowedTopics, Op, Res } from '../authorize.ts';


/**
 * OffsetFetch (9) v0–9. v0–7: one group, Topics (null = all committed, v2+), top-level error v2+,
 * leader epoch v5+. v8+: a Groups[] batch. No commit → offset -1 with metadata "". RequireStable
 * (v7+): a partition with a transactional commit still pending answers UNSTABLE_OFFSET_COMMIT (offset -1),
 * so a read_committed consumer waits for the transaction instead of starting from a stale offset.
 */
export const offsetFetch: ApiHandler<typeof OffsetFetchApi> = {
  api: OffsetFetchApi,
  minVersion: 0,
  maxVersion: 9,
  handle(req, ctx) {
    const gc = ctx.broker.coordinator as GroupCoordinator | undefined;
    let fetch = (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): OffsetFetchResult =>
      gc ? gc.fetchOffsets(groupId, topics) : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE })) })) };
    const v = ctx.apiVersion;
    if (v >= 7 && req.requireStable && gc) {
      const plain = fetch;
      fetch = (groupId, topics) => markUnstable(gc, groupId, plain(groupId, topics));
    }
    const unauthorized = fetch;
    fetch = (groupId, topics) => authorizedFetch(ctx, groupId, topics, unauthorized);
    if (v >= 8) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((g) => {
          const r = fetch(g.groupId, g.topics);
          return { groupId: g.groupId, errorCode: r.errorCode, topics: shapeTopics(r, v) };
        }),
      };
    }
    const r = fetch(req.groupId, v >= 2 ? req.topics : (req.topics ?? []));
    return single(r, ctx);
  },
  errorResponse(req, errorCode, ctx) {
    const v = ctx.apiVersion;
    if (v >= 8) return { throttleTimeMs: 0, groups: req.groups.map((g) => ({ groupId: g.groupId, errorCode, topics: [] })) };
    const topics = (req.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode })),
    }));
    return single({ errorCode, topics }, ctx);
  },
};

/**
 * Kafka's checks: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED; before v2 on every requested
 * partition, from v2 at the top with no topics); a named topic the principal may not DESCRIBE answers
 * TOPIC_AUTHORIZATION_FAILED (offset -1), and "all topics" leaves such topics out.
 */
function authorizedFetch(
  ctx: RequestContext,
  groupId: string,
  topics: { name: string; partitionIndexes: number[] }[] | null,
  fetch: (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) => OffsetFetchResult,
): OffsetFetchResult {
  if (!allowed(ctx, Op.DESCRIBE, Res.GROUP, groupId)) {
    const errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
    return {
      errorCode,
      topics: ctx.apiVersion >= 2 ? [] : (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode })),
      })),
    };
  }
  const r = fetch(groupId, topics);
  const describable = allowedTopics(ctx, Op.DESCRIBE, r.topics.map((t) => t.name));
  if (topics === null) return { ...r, topics: r.topics.filter((t) => describable.has(t.name)) };
  for (const t of r.topics) {
    if (describable.has(t.name)) continue;
    for (const p of t.partitions) Object.assign(p, { committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
  }
  return r;
}

function markUnstable(gc: GroupCoordinator, groupId: string, r: OffsetFetchResult): OffsetFetchResult {
  for (const t of r.topics) {
    for (const p of t.partitions) {
      if (p.errorCode === ErrorCode.NONE && gc.hasPendingTransactionalOffsets(groupId, t.name, p.partitionIndex)) {
        p.errorCode = ErrorCode.UNSTABLE_OFFSET_COMMIT;
        p.committedOffset = -1n;
      }
    }
  }
  return r;
}

function shapeTopics(r: OffsetFetchResult, v: number) {
  return r.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      const out: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch?: number; metadata: string; errorCode: number } = {
        partitionIndex: p.partitionIndex,
        committedOffset: p.committedOffset,
        metadata: p.metadata,
        errorCode: p.errorCode,
      };
      if (v >= 5) out.committedLeaderEpoch = p.committedLeaderEpoch;
      return out;
    }),
  }));
}

function single(r: OffsetFetchResult, ctx: RequestContext): OffsetFetchResponseInput {
  const v = ctx.apiVersion;
  // v0–1 have no top-level error: a group-level failure is reported on every partition.
  if (v <= 1 && r.errorCode !== ErrorCode.NONE) {
    for (const t of r.topics) for (const p of t.partitions) p.errorCode = r.errorCode;
  }
  const out: OffsetFetchResponseInput = { throttleTimeMs: 0, topics: shapeTopics(r, v) };
  if (v >= 2) out.errorCode = r.errorCode;
  return out;
}
