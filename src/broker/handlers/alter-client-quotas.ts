import { ErrorCode } from '../../protocol/error-codes.ts';
import { AlterClientQuotasApi } from '../../protocol/messages/alter-client-quotas.ts';
import { alterClientQuotas as alter } from '../quotas/client-quota-admin.ts';
import type { ApiHandler } from '../handler.ts';
import { allowedOnCluster, Op } from '../authorize.ts';

/**
 * AlterClientQuotas (49) v0–1: set or remove quota values of user / client-id / ip entities (null name
 * = the default entity). Validated as Kafka's controller does (INVALID_REQUEST with its messages for
 * unknown keys, bad values, bad entities), each entry on its own; unless validate_only, the valid
 * ones are persisted in the data dir before the answer and throttle the next request.
 */
export const alterClientQuotas: ApiHandler<typeof AlterClientQuotasApi> = {
  api: AlterClientQuotasApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    // ALTER_CONFIGS on the cluster (KafkaApis), else every entry CLUSTER_AUTHORIZATION_FAILED.
    if (!allowedOnCluster(ctx, Op.ALTER_CONFIGS)) return errorEntries(req.entries, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const store = ctx.broker.quotaStore;
    if (!store) return errorEntries(req.entries, ErrorCode.UNKNOWN_SERVER_ERROR, 'client quotas are not available');
    // The managers first: they subscribe to the store, so the values set below throttle the next request.
    await ctx.broker.clientQuotas?.();
    const entries = await alter(store, req);
    return { throttleTimeMs: 0, entries };
  },
  errorResponse: (req, errorCode) => errorEntries(req.entries, errorCode, null),
};

function errorEntries(entries: { entity: { entityType: string; entityName: string | null }[] }[], errorCode: number, errorMessage: string | null) {
  return {
    throttleTimeMs: 0,
    entries: entries.map((e) => ({ errorCode, errorMessage, entity: e.entity.map((x) => ({ entityType: x.entityType, entityName: x.entityName })) })),
  };
}
