import { ErrorCode } from '../../protocol/error-codes.ts';
import { DeleteAclsApi } from '../../protocol/messages/delete-acls.ts';
import { describeBinding } from '../../security/authorizer/acl.ts';
import { allowedOnCluster, Op } from '../authorize.ts';
import type { ApiHandler } from '../handler.ts';

/**
 * DeleteAcls (31) v0–3, as Kafka's AclApis: ALTER on the cluster (else CLUSTER_AUTHORIZATION_FAILED
 * per filter), SECURITY_DISABLED without an authorizer; each filter removes (durably) and lists the
 * ACLs it matches.
 */
export const deleteAcls: ApiHandler<typeof DeleteAclsApi> = {
  api: DeleteAclsApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const fail = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!allowedOnCluster(ctx, Op.ALTER)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const authorizer = ctx.broker.authorizer;
    if (!authorizer) return fail(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    const results = await authorizer.deleteAcls(req.filters.map((f) => ({
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    })));
    for (const r of results) for (const b of r.deleted) ctx.broker.logger.info(`ACL removed by ${ctx.connection.principal}: ${describeBinding(b)}`);
    return {
      throttleTimeMs: 0,
      filterResults: results.map((r) => ({
        errorCode: r.error === null ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST,
        errorMessage: r.error,
        matchingAcls: r.deleted.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...b })),
      })),
    };
  },
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage: null, matchingAcls: [] })) }),
};
