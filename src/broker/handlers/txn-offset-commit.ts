import { ErrorCode } from '../../protocol/error-codes.ts';
import type { TxnOffsetCommitPartition } from '../../coordinator/transactional-offsets.ts';
import { TxnOffsetCommitApi, type TxnOffsetCommitRequest, type TxnOffsetCommitResponseInput } from '../../protocol/messages/txn-offset-commit.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, allowedTopics, Op, Res } from '../authorize.ts';

/**
 * TxnOffsetCommit (28) v0–4: offsets committed inside a transaction (sendOffsetsToTransaction). The group
 * coordinator writes them as the producer's transactional batch in `__consumer_offsets`; they become the
 * group's committed offsets when the COMMIT marker lands there. v3+ carries the consumer's member id,
 * generation and instance id (KIP-447) so a zombie from an older generation is fenced. Unknown partitions
 * answer UNKNOWN_TOPIC_OR_PARTITION; COORDINATOR_LOAD_IN_PROGRESS becomes COORDINATOR_NOT_AVAILABLE below v2.
 */
export const txnOffsetCommit: ApiHandler<typeof TxnOffsetCommitApi> = {
  api: TxnOffsetCommitApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    // WRITE on the transactional id, READ on the group (whole request), READ on each topic (KafkaApis).
    if (!allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return respond(req, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return respond(req, () => ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const readable = allowedTopics(ctx, Op.READ, req.topics.map((t) => t.name));
    const v = ctx.apiVersion;
    const gc = ctx.broker.coordinator;
    const codes = new Map<string, number>();
    const offsets: TxnOffsetCommitPartition[] = [];
    for (const t of req.topics) {
      for (const p of t.partitions) {
        if (!readable.has(t.name)) codes.set(`${t.name}\u0000${p.partitionIndex}`, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!ctx.broker.logs.partition(t.name, p.partitionIndex)) codes.set(`${t.name}\u0000${p.partitionIndex}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else offsets.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata });
      }
    }
    if (offsets.length > 0) {
      const results = await gc.commitTransactionalOffsets({
        transactionalId: req.transactionalId,
        groupId: req.groupId,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        memberId: v >= 3 ? req.memberId : '',
        generationId: v >= 3 ? req.generationId : -1,
        groupInstanceId: v >= 3 ? req.groupInstanceId : null,
        offsets,
      });
      for (const r of results) codes.set(`${r.topic}\u0000${r.partition}`, r.errorCode);
    }
    return respond(req, (topic, p) => {
      const c = codes.get(`${topic}\u0000${p}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      return c === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && v < 2 ? ErrorCode.COORDINATOR_NOT_AVAILABLE : c;
    });
  },
  errorResponse(req, errorCode) {
    return respond(req, () => errorCode);
  },
};

function respond(req: TxnOffsetCommitRequest, code: (topic: string, partition: number) => number): TxnOffsetCommitResponseInput {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p.partitionIndex) })) })),
  };
}
