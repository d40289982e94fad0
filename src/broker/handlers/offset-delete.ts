import { ErrorCode } from '../../protocol/error-codes.ts';
import { OffsetDeleteApi } from '../../protocol/messages/offset-delete.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, allowedTopics, Op, Res } from '../authorize.ts';


/**
 * OffsetDelete (47) v0: removes committed offsets of a group. 69 GROUP_ID_NOT_FOUND for an unknown
 * group; per partition 86 GROUP_SUBSCRIBED_TO_TOPIC while an active member subscribes to the topic.
 */
export const offsetDelete: ApiHandler<typeof OffsetDeleteApi> = {
  api: OffsetDeleteApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    // DELETE on the group; READ on each topic (TOPIC_AUTHORIZATION_FAILED per partition), as KafkaApis.
    if (!allowed(ctx, Op.DELETE, Res.GROUP, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const readable = allowedTopics(ctx, Op.READ, req.topics.map((t) => t.name));
    const gc = ctx.broker.coordinator;
    const r = await gc.deleteOffsets(
      req.groupId,
      req.topics.filter((t) => readable.has(t.name)).map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partitionIndex) })),
    );
    const refused = req.topics.filter((t) => !readable.has(t.name)).map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
    }));
    return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [...r.topics, ...refused] };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
};
