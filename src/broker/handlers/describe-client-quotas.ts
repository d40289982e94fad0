import { ErrorCode } from '../../protocol/error-codes.ts';
import { DescribeClientQuotasApi } from '../../protocol/messages/describe-client-quotas.ts';
import { describeClientQuotas as describe, QuotaRequestError } from '../quotas/client-quota-admin.ts';
import type { ApiHandler } from '../handler.ts';
import { allowedOnCluster, Op } from '../authorize.ts';

/**
 * DescribeClientQuotas (48) v0–1: the quota entities matching a filter (exact name, default, any),
 * with their values, from the broker's quota store. A bad filter fails the whole request with Kafka's
 * code and message (INVALID_REQUEST; UNSUPPORTED_VERSION for an unknown entity type) and null entries.
 */
export const describeClientQuotas: ApiHandler<typeof DescribeClientQuotasApi> = {
  api: DescribeClientQuotasApi,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    // DESCRIBE_CONFIGS on the cluster (KafkaApis).
    if (!allowedOnCluster(ctx, Op.DESCRIBE_CONFIGS)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', entries: null };
    const store = ctx.broker.quotaStore;
    if (!store) return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'client quotas are not available', entries: null };
    try {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries: describe(store, req) };
    } catch (err) {
      if (err instanceof QuotaRequestError) return { throttleTimeMs: 0, errorCode: err.errorCode, errorMessage: err.message, entries: null };
      throw err;
    }
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, entries: null }),
};
