import { ErrorCode } from '../../protocol/error-codes.ts';
import { errorForVersion } from '../../coordinator/transaction-coordinator.ts';
import type { TopicPartition } from '../../coordinator/transaction-metadata.ts';
import {
  AddPartitionsToTxnApi,
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput,
} from '../../protocol/messages/add-partitions-to-txn.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { allowed, allowedOnCluster, allowedTopics, Op, Res } from '../authorize.ts';

/**
 * AddPartitionsToTxn (24) v0–5. v0–3: one transaction from a producer (the v3AndBelow* fields); v4+: a
 * batch of transactions from a broker (KIP-890), each either verify-only or an add. As KafkaApis does,
 * partitions that do not exist fail with UNKNOWN_TOPIC_OR_PARTITION and the rest of the same request
 * with OPERATION_NOT_ATTEMPTED, without asking the coordinator; otherwise the coordinator's single
 * error code answers every partition (PRODUCER_FENCED rewritten for v0–1).
 */
export const addPartitionsToTxn: ApiHandler<typeof AddPartitionsToTxnApi> = {
  api: AddPartitionsToTxnApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    if (v <= 3) {
      // From a producer: WRITE on the transactional id (every partition refused), then WRITE on each
      // topic — refused ones TOPIC_AUTHORIZATION_FAILED, the rest OPERATION_NOT_ATTEMPTED (KafkaApis).
      if (!allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.v3AndBelowTransactionalId)) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: uniform(req.v3AndBelowTopics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) };
      }
      const writable = allowedTopics(ctx, Op.WRITE, req.v3AndBelowTopics.map((t) => t.name));
      if (req.v3AndBelowTopics.some((t) => !writable.has(t.name))) {
        const code = (tp: TopicPartition) =>
          !writable.has(tp.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : !ctx.broker.logs.partition(tp.topic, tp.partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            : ErrorCode.OPERATION_NOT_ATTEMPTED;
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: uniform(req.v3AndBelowTopics, code) };
      }
      const topicResults = await one(ctx, req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, req.v3AndBelowTopics, false);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: topicResults };
    }
    // v4+ come from brokers: CLUSTER_ACTION on the cluster.
    if (!allowedOnCluster(ctx, Op.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
    const resultsByTransaction = [];
    for (const t of req.transactions) {
      resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: await one(ctx, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly) });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
  },
  errorResponse(req, errorCode, ctx) {
    if (ctx.apiVersion <= 3) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: uniform(req.v3AndBelowTopics, () => errorCode) };
    }
    return { throttleTimeMs: 0, errorCode, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
  },
};

function uniform(
  topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[],
  code: (tp: TopicPartition) => number,
): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[] {
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code({ topic: t.name, partition: p }) })),
  }));
}

async function one(
  ctx: RequestContext,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[],
  verifyOnly: boolean,
): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[]> {
  const txn = await ctx.broker.transactionCoordinator?.();
  if (!txn) return uniform(topics, () => ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const missing = new Set<string>();
  const partitions: TopicPartition[] = [];
  for (const t of topics) {
    for (const p of t.partitions) {
      if (!ctx.broker.logs.partition(t.name, p)) missing.add(`${t.name}\u0000${p}`);
      else partitions.push({ topic: t.name, partition: p });
    }
  }
  if (missing.size > 0) {
    return uniform(topics, (tp) => (missing.has(`${tp.topic}\u0000${tp.partition}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  if (verifyOnly) {
    const errors = new Map(txn.verifyPartitionsInTxn({ transactionalId, producerId, producerEpoch, partitions }).map((e) => [`${e.topic}\u0000${e.partition}`, e.errorCode]));
    return uniform(topics, (tp) => errors.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.NONE);
  }
  const code = errorForVersion('AddPartitionsToTxn', ctx.apiVersion, await txn.addPartitionsToTxn({ transactionalId, producerId, producerEpoch, partitions }));
  return uniform(topics, () => code);
}
