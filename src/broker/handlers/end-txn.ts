import { ErrorCode } from '../../protocol/error-codes.ts';
import { errorForVersion } from '../../coordinator/transaction-coordinator.ts';
import { EndTxnApi } from '../../protocol/messages/end-txn.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';

/**
 * EndTxn (26) v0–4: commit or abort. Answers once PrepareCommit/PrepareAbort is durable in
 * `__transaction_state`; the markers are written after (the producer's next call gets
 * CONCURRENT_TRANSACTIONS until they are, and retries).
 */
export const endTxn: ApiHandler<typeof EndTxnApi> = {
  api: EndTxnApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    if (!allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const txn = await ctx.broker.transactionCoordinator?.();
    if (!txn) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const code = await txn.endTxn({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, committed: req.committed });
    return { throttleTimeMs: 0, errorCode: errorForVersion('EndTxn', ctx.apiVersion, code) };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
};
