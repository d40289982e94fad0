import { ErrorCode } from '../../protocol/error-codes.ts';
import { OffsetDeleteApi, type OffsetDeleteRequest, type OffsetDeleteResponseInput } from '../../protocol/messages/offset-delete.ts';
import type { ApiHandler } from '../handler.ts';


/**
 * OffsetDelete (47) v0: removes committed offsets of a group. 69 GROUP_ID_NOT_FOUND for an unknown
 * group; per partition 86 GROUP_SUBSCRIBED_TO_TOPIC while an active member subscribes to the topic.
 */
export const offsetDelete: ApiHandler<typeof OffsetDeleteApi> = {
  api: OffsetDeleteApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const gc = ctx.broker.coordinator;
    const r = await gc.deleteOffsets(
      req.groupId,
      req.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partitionIndex) })),
    );
    return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
};
