import { ErrorCode } from '../../protocol/error-codes.ts';
import { DeleteRecordsApi, type DeleteRecordsRequest, type DeleteRecordsResponseInput, type DeleteRecordsResponsePartitionsInput } from '../../protocol/messages/delete-records.ts';
import { toErrorCode } from '../errors.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { allowedTopics, Op } from '../authorize.ts';

/**
 * DeleteRecords (21), v0–2: moves a partition's log start offset up to the given offset (-1 = the
 * high watermark), deleting whole segments below it; answers the new low watermark. An offset past
 * the high watermark is OFFSET_OUT_OF_RANGE.
 */
export const deleteRecords: ApiHandler<typeof DeleteRecordsApi> = {
  api: DeleteRecordsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(req: DeleteRecordsRequest, ctx: RequestContext): Promise<DeleteRecordsResponseInput> {
    const broker = ctx.broker;
    const topics = [];
    // DELETE on each topic (KafkaApis), before existence.
    const deletable = allowedTopics(ctx, Op.DELETE, req.topics.map((t) => t.name));
    for (const t of req.topics) {
      const partitions: DeleteRecordsResponsePartitionsInput[] = [];
      topics.push({ name: t.name, partitions });
      for (const p of t.partitions) {
        const out: DeleteRecordsResponsePartitionsInput = { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.NONE };
        partitions.push(out);
        if (!deletable.has(t.name)) {
          out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          continue;
        }
        const log = broker.logs.partition(t.name, p.partitionIndex);
        if (!log) {
          out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        try {
          // Through the manager: it persists the new log start before we answer (a crash right after
          // the answer must not bring the deleted records back).
          out.lowWatermark = BigInt(await broker.logs.deleteRecords(t.name, p.partitionIndex, Number(p.offset)));
        } catch (err) {
          out.errorCode = toErrorCode(err, broker.logger, `deleting records of ${log.name}`).errorCode;
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req: DeleteRecordsRequest, errorCode: number) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })),
    };
  },
};
