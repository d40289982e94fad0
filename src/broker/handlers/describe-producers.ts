import { ErrorCode, errorInfo } from '../../protocol/error-codes.ts';
import { DescribeProducersApi, type DescribeProducersRequest, type DescribeProducersResponseInput } from '../../protocol/messages/describe-producers.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';

/**
 * DescribeProducers (61) v0: the producers a partition's log knows (id, epoch, last sequence and
 * timestamp, and the first offset of an open transaction — what pins the LSO), as `kafka-transactions.sh
 * describe-producers` and `find-hanging` read them, and the coordinator epoch of its last marker (what an
 * admin abort must at least send). Single node: this broker leads every partition.
 */
export const describeProducers: ApiHandler<typeof DescribeProducersApi> = {
  api: DescribeProducersApi,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => {
          // READ on the topic (KafkaApis), before existence.
          if (!allowed(ctx, Op.READ, Res.TOPIC, t.name)) return { partitionIndex: p, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: errorInfo(ErrorCode.TOPIC_AUTHORIZATION_FAILED).message, activeProducers: [] };
          const log = ctx.broker.logs.partition(t.name, p);
          if (!log) return { partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: errorInfo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).message, activeProducers: [] };
          return {
            partitionIndex: p,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            activeProducers: log.producerState.view().map((pv) => ({
              producerId: pv.producerId,
              producerEpoch: pv.epoch,
              lastSequence: pv.lastSequence,
              lastTimestamp: BigInt(pv.lastTimestamp),
              // As Kafka: the epoch of the coordinator that wrote this producer's last marker here.
              coordinatorEpoch: pv.coordinatorEpoch,
              currentTxnStartOffset: BigInt(pv.currentTxnStartOffset),
            })),
          };
        }),
      })),
    };
  },
  errorResponse(req: DescribeProducersRequest, errorCode): DescribeProducersResponseInput {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode, errorMessage: null, activeProducers: [] })) })),
    };
  },
};
