import { ErrorCode } from '../../protocol/error-codes.ts';
import { errorForVersion } from '../../coordinator/transaction-coordinator.ts';
import { InitProducerIdApi } from '../../protocol/messages/init-producer-id.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, allowedOnAnyOf, allowedOnCluster, Op, Res } from '../authorize.ts';

/**
 * InitProducerId (22) v0–5. A null transactional id is an idempotent producer: ProducerIdManager hands
 * out a fresh id at epoch 0, or (v3+, KIP-360) bumps the epoch of the id/epoch presented. A transactional
 * id goes to the TransactionCoordinator (id per transactional id, epoch bump fencing the previous
 * instance, abort of its open transaction); PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH below v4.
 */
export const initProducerId: ApiHandler<typeof InitProducerIdApi> = {
  api: InitProducerIdApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    const producerId = v >= 3 ? req.producerId : -1n;
    const producerEpoch = v >= 3 ? req.producerEpoch : -1;
    // WRITE on the transactional id; an idempotent producer needs IDEMPOTENT_WRITE on the cluster or
    // WRITE on some topic (KafkaApis).
    if (req.transactionalId !== null && !allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    if (req.transactionalId === null && !allowedOnCluster(ctx, Op.IDEMPOTENT_WRITE) && !allowedOnAnyOf(ctx, Op.WRITE, Res.TOPIC)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    if (req.transactionalId !== null) {
      const txn = await ctx.broker.transactionCoordinator?.();
      if (!txn) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
      const r = await txn.initProducerId({ transactionalId: req.transactionalId, transactionTimeoutMs: req.transactionTimeoutMs, producerId, producerEpoch });
      return { throttleTimeMs: 0, errorCode: errorForVersion('InitProducerId', v, r.errorCode), producerId: r.producerId, producerEpoch: r.producerEpoch };
    }
    const r = await ctx.broker.producerIds.initProducerId({ transactionalId: null, producerId, producerEpoch });
    return { throttleTimeMs: 0, errorCode: r.errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
};
