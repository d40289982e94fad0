import { ErrorCode } from '../../protocol/error-codes.ts';
import { DescribeTransactionsApi } from '../../protocol/messages/describe-transactions.ts';
import type { ApiHandler } from '../handler.ts';

/** DescribeTransactions (65) v0: state, timeout, start time, producer and partitions of transactional ids. */
export const describeTransactions: ApiHandler<typeof DescribeTransactionsApi> = {
  api: DescribeTransactionsApi,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    const txn = ctx.broker.transactions;
    if (!txn) return this.errorResponse!(req, ErrorCode.COORDINATOR_NOT_AVAILABLE, ctx);
    return {
      throttleTimeMs: 0,
      transactionStates: txn.describeTransactions(req.transactionalIds).map((d) => ({ ...d, transactionStartTimeMs: BigInt(d.transactionStartTimeMs) })),
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
