import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  OffsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponseInput,
  type OffsetForLeaderEpochResponsePartitionsInput,
} from '../../protocol/messages/offset-for-leader-epoch.ts';
import { allowedOnCluster, allowedTopics, Op } from '../authorize.ts';
import type { ApiHandler } from '../handler.ts';
import { checkLeaderEpoch } from '../topics.ts';

/** ListOffsets' debugging replica id: may ask any replica, not only the leader. */
const DEBUGGING_REPLICA_ID = -2;

/**
 * OffsetForLeaderEpoch (23) v0–4 (KIP-101/279/320): for each partition, the largest epoch <= the
 * requested one this leader knows and where it ends (the next epoch's start, or the log end for the
 * current epoch) — Kafka's Partition.lastOffsetForLeaderEpoch over the leader-epoch cache. An epoch
 * newer than any known answers epoch -1 / end offset -1 with no error; one older than all known
 * answers the requested epoch and the first known start offset.
 *
 * Checked as Kafka does: the current leader epoch first (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH),
 * then leadership (NOT_LEADER_OR_FOLLOWER on a follower); unknown partitions UNKNOWN_TOPIC_OR_PARTITION.
 * A partition that is not replicated is led by this broker at the log's epoch (0 on a single node).
 *
 * Authorized as KafkaApis (KIP-320 made it a consumer API too): CLUSTER_ACTION on the cluster allows
 * every topic (a follower), else each topic needs DESCRIBE, refused ones TOPIC_AUTHORIZATION_FAILED
 * on every partition. Kafka checks CLUSTER_ACTION whatever the replica id says, without logging it.
 */
export const offsetForLeaderEpoch: ApiHandler<typeof OffsetForLeaderEpochApi> = {
  api: OffsetForLeaderEpochApi,
  minVersion: 0,
  maxVersion: 4,
  handle(req: OffsetForLeaderEpochRequest, ctx): OffsetForLeaderEpochResponseInput {
    const broker = ctx.broker;
    const authorized = allowedOnCluster(ctx, Op.CLUSTER_ACTION, false) ? null : allowedTopics(ctx, Op.DESCRIBE, req.topics.map((t) => t.topic));
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((rp): OffsetForLeaderEpochResponsePartitionsInput => {
          const answer = (errorCode: number, leaderEpoch = -1, endOffset = -1): OffsetForLeaderEpochResponsePartitionsInput => ({
            errorCode,
            partition: rp.partition,
            leaderEpoch,
            endOffset: BigInt(endOffset),
          });
          if (authorized !== null && !authorized.has(t.topic)) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const log = broker.logs.partition(t.topic, rp.partition);
          if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const epochError = checkLeaderEpoch(rp.currentLeaderEpoch, log.leaderEpoch);
          if (epochError !== ErrorCode.NONE) return answer(epochError);
          const state = broker.replicas?.partitionState(t.topic, rp.partition);
          if (state && state.role !== 'leader' && (req.replicaId !== DEBUGGING_REPLICA_ID || state.role === 'none')) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          const r = log.endOffsetForEpoch(rp.leaderEpoch);
          return answer(ErrorCode.NONE, r.epoch, r.endOffset);
        }),
      })),
    };
  },
  errorResponse(req: OffsetForLeaderEpochRequest, errorCode: number) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n })) })),
    };
  },
};
