import { ErrorCode } from '../../protocol/error-codes.ts';
import type { GroupCoordinator, OffsetFetchResult } from '../../coordinator/group-coordinator.ts';
import { OffsetFetchApi, type OffsetFetchRequest, type OffsetFetchResponseInput } from '../../protocol/messages/offset-fetch.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';


/**
 * OffsetFetch (9) v0–9. v0–7: one group, Topics (null = all committed, v2+), top-level error v2+,
 * leader epoch v5+. v8+: a Groups[] batch. No commit → offset -1 with metadata "". RequireStable
 * (v7+) needs nothing: without transactions no offset is ever pending.
 */
export const offsetFetch: ApiHandler<typeof OffsetFetchApi> = {
  api: OffsetFetchApi,
  minVersion: 0,
  maxVersion: 9,
  handle(req, ctx) {
    const gc = ctx.broker.coordinator as GroupCoordinator | undefined;
    const fetch = (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): OffsetFetchResult =>
      gc ? gc.fetchOffsets(groupId, topics) : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE })) })) };
    const v = ctx.apiVersion;
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
