import { ErrorCode } from '../../protocol/error-codes.ts';
import { ListOffsetsApi, type ListOffsetsRequest, type ListOffsetsResponseInput, type ListOffsetsResponsePartitionsInput } from '../../protocol/messages/list-offsets.ts';
import { toErrorCode } from '../errors.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { checkLeaderEpoch } from '../topics.ts';
import { legacyOffsetsBefore } from './legacy-offsets.ts';
import { allowedTopics, Op } from '../authorize.ts';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

/**
 * ListOffsets (2), v0–9. v0 answers a list of up to MaxNumOffsets offsets (legacy-offsets.ts, as
 * Kafka's handleListOffsetRequestV0); v1+ one offset: -2 earliest (log start offset), -1 latest (high watermark, or the last
 * stable offset for isolation_level read_committed, v2+), -3 the record with the largest timestamp (v7+), and
 * any other value the first offset whose timestamp is >= it (time index), or -1/-1 when none is.
 * No tiered storage: -4 earliest-local (v8+) is the log start offset and -5 latest-tiered (v9+) is
 * -1, as Kafka answers with remote storage off.
 */
export const listOffsets: ApiHandler<typeof ListOffsetsApi> = {
  api: ListOffsetsApi,
  minVersion: 0,
  maxVersion: 9,
  async handle(req: ListOffsetsRequest, ctx: RequestContext): Promise<ListOffsetsResponseInput> {
    const broker = ctx.broker;
    const topics = [];
    // DESCRIBE on each topic (KafkaApis), checked before existence.
    const describable = allowedTopics(ctx, Op.DESCRIBE, req.topics.map((t) => t.name));
    for (const rt of req.topics) {
      const partitions: ListOffsetsResponsePartitionsInput[] = [];
      topics.push({ name: rt.name, partitions });
      for (const rp of rt.partitions) {
        const out: ListOffsetsResponsePartitionsInput = { partitionIndex: rp.partitionIndex, errorCode: ErrorCode.NONE, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
        partitions.push(out);
        if (!describable.has(rt.name)) {
          out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          continue;
        }
        // Partitions the replica manager took on are checked below (it knows followers from leaders).
        const notLeader = broker.cluster && !broker.replicas?.partitionState(rt.name, rp.partitionIndex) ? broker.cluster.leaderCheck(rt.name, rp.partitionIndex) : ErrorCode.NONE;
        if (notLeader !== ErrorCode.NONE) {
          out.errorCode = notLeader;
          continue;
        }
        const log = broker.logs.partition(rt.name, rp.partitionIndex);
        if (!log) {
          out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        // A replicated partition answers on its leader only (a debugging replica id -2 may ask any replica).
        const replica = broker.replicas?.partitionState(rt.name, rp.partitionIndex);
        if (replica && replica.role !== 'leader' && req.replicaId !== -2) {
          out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
          continue;
        }
        // LeaderEpoch exists from v4; older versions must leave it at its default.
        const epoch = ctx.apiVersion >= 4 ? log.leaderEpoch : -1;
        out.errorCode = checkLeaderEpoch(rp.currentLeaderEpoch, log.leaderEpoch);
        if (out.errorCode !== ErrorCode.NONE) continue;
        if (ctx.apiVersion === 0) {
          out.oldStyleOffsets = legacyOffsetsBefore(log, Number(rp.timestamp), rp.maxNumOffsets, broker.now());
          continue;
        }
        try {
          const ts = rp.timestamp;
          if (ts === EARLIEST || (ts === EARLIEST_LOCAL && ctx.apiVersion >= 8)) {
            out.offset = BigInt(log.logStartOffset);
            out.leaderEpoch = epoch;
          } else if (ts === LATEST) {
            // A follower broker asking (replica id >= 0) gets the log end, as Kafka (no isolation level).
            out.offset = BigInt(replica && req.replicaId >= 0 ? log.logEndOffset : ctx.apiVersion >= 2 && req.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark);
            out.leaderEpoch = epoch;
          } else if (ts === MAX_TIMESTAMP && ctx.apiVersion >= 7) {
            const hit = await log.maxTimestampOffset();
            if (hit) {
              out.offset = BigInt(hit.offset);
              out.timestamp = BigInt(hit.timestamp);
              out.leaderEpoch = epoch;
            }
          } else if (ts === LATEST_TIERED && ctx.apiVersion >= 9) {
            // Nothing is tiered: offset and timestamp stay -1.
          } else if (ts < 0n) {
            out.errorCode = ErrorCode.INVALID_REQUEST;
          } else {
            const hit = await log.offsetForTimestamp(Number(ts));
            if (hit) {
              out.offset = BigInt(hit.offset);
              out.timestamp = BigInt(hit.timestamp);
              out.leaderEpoch = epoch;
            }
          }
        } catch (err) {
          out.errorCode = toErrorCode(err, broker.logger, `list offsets of ${log.name}`).errorCode;
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req: ListOffsetsRequest, errorCode: number) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    };
  },
};
