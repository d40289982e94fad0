import { ErrorCode } from '../../protocol/error-codes.ts';
import { ListTransactionsApi } from '../../protocol/messages/list-transactions.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';

/** ListTransactions (66) v0–1: transactional ids by state / producer id / (v1) minimum running time. */
export const listTransactions: ApiHandler<typeof ListTransactionsApi> = {
  api: ListTransactionsApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const txn = await ctx.broker.transactionCoordinator?.();
    if (!txn) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
    const r = txn.listTransactions({
      stateFilters: req.stateFilters,
      producerIdFilters: req.producerIdFilters,
      durationFilterMs: ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1,
    });
    // Only transactional ids the principal may DESCRIBE (KafkaApis).
    return { throttleTimeMs: 0, ...r, transactionStates: r.transactionStates.filter((s) => allowed(ctx, Op.DESCRIBE, Res.TRANSACTIONAL_ID, s.transactionalId)) };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
  },
};
