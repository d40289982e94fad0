import { ErrorCode } from '../../protocol/error-codes.ts';
import { DeleteTopicsApi, type DeleteTopicsRequest, type DeleteTopicsResponseInput, type DeleteTopicsResponseResponsesInput } from '../../protocol/messages/delete-topics.ts';
import { toErrorCode, ZERO_UUID } from '../errors.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';

/**
 * DeleteTopics (20), v0–6: by name (v0–5 TopicNames, v6 Topics[].Name) or by id (v6). Deleting
 * removes the partition directories; fetches waiting on them end at their MaxWaitMs.
 * delete.topic.enable=false answers TOPIC_DELETION_DISABLED.
 */
export const deleteTopics: ApiHandler<typeof DeleteTopicsApi> = {
  api: DeleteTopicsApi,
  minVersion: 0,
  maxVersion: 6,
  async handle(req: DeleteTopicsRequest, ctx: RequestContext): Promise<DeleteTopicsResponseInput> {
    const broker = ctx.broker;
    const v = ctx.apiVersion;
    const wanted = v >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeleteTopicsResponseResponsesInput[] = [];
    for (const w of wanted) {
      const out: DeleteTopicsResponseResponsesInput = { name: w.name, topicId: w.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
      responses.push(out);
      let name = w.name;
      if (broker.cluster) {
        const cluster = broker.cluster;
        const t = name === null ? cluster.topicById(w.topicId) : cluster.topic(name);
        if (!t) {
          out.errorCode = w.name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          out.errorMessage = v >= 5 ? `unknown topic ${name ?? w.topicId}` : null;
          continue;
        }
        out.name = t.name;
        if (!broker.config.boolean('delete.topic.enable')) {
          out.errorCode = ErrorCode.TOPIC_DELETION_DISABLED;
          out.errorMessage = v >= 5 ? 'Topic deletion is disabled (delete.topic.enable=false)' : null;
          continue;
        }
        if (t.name === '__consumer_offsets' || name === '__transaction_state') {
          out.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
          out.errorMessage = v >= 5 ? `Cannot delete internal topic ${t.name}` : null;
          continue;
        }
        try {
          await cluster.deleteTopic(t.name);
          await broker.coordinator.onTopicsDeleted([t.name]);
          if (v >= 6) out.topicId = t.topicId;
        } catch (err) {
          const e = toErrorCode(err, broker.logger, `deleting topic ${t.name}`);
          out.errorCode = e.errorCode;
          out.errorMessage = v >= 5 ? e.message : null;
        }
        continue;
      }
      if (name === null) {
        const t = w.topicId !== ZERO_UUID ? broker.logs.getTopicById(w.topicId) : undefined;
        if (!t) {
          out.errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
          out.errorMessage = v >= 5 ? `unknown topic id ${w.topicId}` : null;
          continue;
        }
        // DESCRIBE is needed to learn the name behind an id (KafkaApis); the id itself is not secret.
        if (!allowed(ctx, Op.DESCRIBE, Res.TOPIC, t.name)) {
          out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          out.errorMessage = v >= 5 ? 'Topic authorization failed.' : null;
          continue;
        }
        name = out.name = t.name;
      }
      // DELETE on the topic, checked before existence so a refused principal cannot tell.
      if (!allowed(ctx, Op.DELETE, Res.TOPIC, name)) {
        out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        out.errorMessage = v >= 5 ? 'Topic authorization failed.' : null;
        continue;
      }
      if (!broker.config.boolean('delete.topic.enable')) {
        out.errorCode = ErrorCode.TOPIC_DELETION_DISABLED;
        out.errorMessage = v >= 5 ? 'Topic deletion is disabled (delete.topic.enable=false)' : null;
        continue;
      }
      const info = broker.logs.getTopic(name);
      if (info?.internal) {
        // The coordinator's committed offsets live there; deleting it would lose every group's offsets.
        out.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
        out.errorMessage = v >= 5 ? `Cannot delete internal topic ${name}` : null;
        continue;
      }
      const topicId = info?.topicId;
      try {
        await broker.logs.deleteTopic(name);
        await broker.coordinator.onTopicsDeleted([name]);
        if (v >= 6) out.topicId = topicId ?? w.topicId;
      } catch (err) {
        const e = toErrorCode(err, broker.logger, `deleting topic ${name}`);
        out.errorCode = e.errorCode;
        out.errorMessage = v >= 5 ? e.message : null;
      }
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req: DeleteTopicsRequest, errorCode: number, ctx: RequestContext) {
    const wanted = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    return { throttleTimeMs: 0, responses: wanted.map((t) => ({ name: t.name, topicId: t.topicId, errorCode })) };
  },
};
