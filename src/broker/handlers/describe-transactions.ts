import { ErrorCode } from '../../protocol/error-codes.ts';
import { DescribeTransactionsApi } from '../../protocol/messages/describe-transactions.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';

/** DescribeTransactions (65) v0: state, timeout, start time, producer and partitions of transactional ids. */
export const describeTransactions: ApiHandler<typeof DescribeTransactionsApi> = {
  api: DescribeTransactionsApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const txn = await ctx.broker.transactionCoordinator?.();
    if (!txn) return this.errorResponse!(req, ErrorCode.COORDINATOR_NOT_AVAILABLE, ctx);
    return {
      throttleTimeMs: 0,
      // DESCRIBE on each transactional id; only topics the principal may DESCRIBE are shown (KafkaApis).
      transactionStates: req.transactionalIds.map((id) => {
        if (!allowed(ctx, Op.DESCRIBE, Res.TRANSACTIONAL_ID, id)) {
          return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
        }
        const d = txn.describeTransactions([id])[0]!;
        return { ...d, transactionStartTimeMs: BigInt(d.transactionStartTimeMs), topics: d.topics.filter((t) => allowed(ctx, Op.DESCRIBE, Res.TOPIC, t.topic)) };
      }),
    };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((transactionalId) => ({
        errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [],
      })),
    };
  },
};
