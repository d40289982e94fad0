import { ErrorCode } from '../../protocol/error-codes.ts';
import { CreatePartitionsApi, type CreatePartitionsRequest, type CreatePartitionsResponseInput, type CreatePartitionsResponseResultsInput } from '../../protocol/messages/create-partitions.ts';
import { toErrorCode } from '../errors.ts';
import { ClusterTopicError } from '../cluster-mode.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';

/**
 * CreatePartitions (37), v0–3: grows a topic to `count` partitions (INVALID_PARTITIONS when not
 * larger). Single node: assignments, when given, must name only this broker. Cluster mode: the new
 * partitions' replicas are placed as Kafka's (or as the assignments say) and written to the metadata
 * store; every broker holding one of them creates its log (ClusterMode.createPartitions).
 */
export const createPartitions: ApiHandler<typeof CreatePartitionsApi> = {
  api: CreatePartitionsApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(req: CreatePartitionsRequest, ctx: RequestContext): Promise<CreatePartitionsResponseInput> {
    const broker = ctx.broker;
    const results: CreatePartitionsResponseResultsInput[] = [];
    const seen = new Set<string>();
    for (const t of req.topics) {
      const out: CreatePartitionsResponseResultsInput = { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
      results.push(out);
      if (seen.has(t.name)) {
        out.errorCode = ErrorCode.INVALID_REQUEST;
        out.errorMessage = `Duplicate topic in request: ${t.name}`;
        continue;
      }
      seen.add(t.name);
      // ALTER on the topic (KafkaApis), before existence.
      if (!allowed(ctx, Op.ALTER, Res.TOPIC, t.name)) {
        out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        out.errorMessage = 'The topic authorization is failed.';
        continue;
      }
      if (broker.cluster) {
        try {
          await broker.cluster.createPartitions(t.name, t.count, t.assignments?.map((a) => a.brokerIds) ?? null, req.validateOnly);
        } catch (err) {
          if (err instanceof ClusterTopicError) {
            out.errorCode = err.errorCode;
            out.errorMessage = err.message;
          } else {
            const e = toErrorCode(err, broker.logger, `creating partitions of ${t.name}`);
            out.errorCode = e.errorCode;
            out.errorMessage = e.message;
          }
        }
        continue;
      }
      if (t.assignments?.some((a) => a.brokerIds.length === 0 || a.brokerIds.some((id) => id !== broker.nodeId))) {
        out.errorCode = ErrorCode.INVALID_REPLICA_ASSIGNMENT;
        out.errorMessage = `assignments may only name broker ${broker.nodeId} (single-node broker)`;
        continue;
      }
      try {
        await broker.logs.createPartitions(t.name, t.count, { validateOnly: req.validateOnly });
      } catch (err) {
        const e = toErrorCode(err, broker.logger, `creating partitions of ${t.name}`);
        out.errorCode = e.errorCode;
        out.errorMessage = e.message;
      }
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req: CreatePartitionsRequest, errorCode: number) {
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  },
};
