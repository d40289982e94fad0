import { ErrorCode } from '../../protocol/error-codes.ts';
import { DescribeUserScramCredentialsApi } from '../../protocol/messages/describe-user-scram-credentials.ts';
import { describeScramCredentials } from '../../security/scram-admin.ts';
import type { ApiHandler } from '../handler.ts';
import { allowedOnCluster, Op } from '../authorize.ts';

/** DescribeUserScramCredentials (50) v0: users with their SCRAM mechanisms and iterations (never the keys). */
export const describeUserScramCredentials: ApiHandler<typeof DescribeUserScramCredentialsApi> = {
  api: DescribeUserScramCredentialsApi,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    if (!allowedOnCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: [] };
    const store = ctx.broker.scramCredentials;
    if (!store) return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'SCRAM credentials are not available', results: [] };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results: describeScramCredentials(store, req.users?.map((u) => u.name) ?? null) };
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, results: [] }),
};
