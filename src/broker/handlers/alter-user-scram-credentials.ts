import { ErrorCode } from '../../protocol/error-codes.ts';
import { AlterUserScramCredentialsApi } from '../../protocol/messages/alter-user-scram-credentials.ts';
import { alterScramCredentials } from '../../security/scram-admin.ts';
import type { ApiHandler } from '../handler.ts';
import { allowedOnCluster, Op } from '../authorize.ts';

/**
 * AlterUserScramCredentials (51) v0: upsert (salt + salted password, from which the broker derives
 * StoredKey/ServerKey) or delete SCRAM credentials; persisted in the data dir before the answer.
 */
export const alterUserScramCredentials: ApiHandler<typeof AlterUserScramCredentialsApi> = {
  api: AlterUserScramCredentialsApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const store = ctx.broker.scramCredentials;
    const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
    // ALTER on the cluster (KafkaApis), else every user CLUSTER_AUTHORIZATION_FAILED.
    if (!allowedOnCluster(ctx, Op.ALTER)) return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
    if (!store) return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'SCRAM credentials are not available' })) };
    const results = await alterScramCredentials(store, req);
    for (const r of results) if (r.errorCode === ErrorCode.NONE) ctx.broker.logger.info(`SCRAM credentials of user ${r.user} changed by ${ctx.connection.principal}`);
    return { throttleTimeMs: 0, results };
  },
  errorResponse: (req, errorCode) => ({
    throttleTimeMs: 0,
    results: [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])].map((user) => ({ user, errorCode, errorMessage: null })),
  }),
};
