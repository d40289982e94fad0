import { ErrorCode } from '../../protocol/error-codes.ts';
import { errorForVersion } from '../../coordinator/transaction-coordinator.ts';
import { AddOffsetsToTxnApi } from '../../protocol/messages/add-offsets-to-txn.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';

/** AddOffsetsToTxn (25) v0–4: puts the group's `__consumer_offsets` partition into the transaction. */
export const addOffsetsToTxn: ApiHandler<typeof AddOffsetsToTxnApi> = {
  api: AddOffsetsToTxnApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    // WRITE on the transactional id, then READ on the group (KafkaApis).
    if (!allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const txn = await ctx.broker.transactionCoordinator?.();
    if (!txn) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const code = await txn.addOffsetsToTxn({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, groupId: req.groupId });
    return { throttleTimeMs: 0, errorCode: errorForVersion('AddOffsetsToTxn', ctx.apiVersion, code) };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
};
