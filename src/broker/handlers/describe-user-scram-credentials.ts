import type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponseInput } from '../../protocol/messages/describe-user-scram-credentials.ts';
import { describeScramCredentials } from '../../security/scram-admin.ts';
import type { ApiHandler } from '../handler.ts';

/** DescribeUserScramCredentials (50) v0: users with their SCRAM mechanisms and iterations (never the keys). */
export const describeUserScramCredentials: ApiHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponseInput> = {
  apiKey: 50,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    const store = ctx.broker.scramCredentials;
    if (!store) return { throttleTimeMs: 0, errorCode: -1, errorMessage: 'SCRAM credentials are not available', results: [] };
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results: describeScramCredentials(store, req.users?.map((u) => u.name) ?? null) };
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, results: [] }),
};
