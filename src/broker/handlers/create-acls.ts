import { ErrorCode } from '../../protocol/error-codes.ts';
import { CreateAclsApi } from '../../protocol/messages/create-acls.ts';
import { describeBinding } from '../../security/authorizer/acl.ts';
import { allowedOnCluster, Op } from '../authorize.ts';
import type { ApiHandler } from '../handler.ts';

/**
 * CreateAcls (30) v0–3, as Kafka's AclApis: ALTER on the cluster (else CLUSTER_AUTHORIZATION_FAILED
 * for every creation), SECURITY_DISABLED without an authorizer, INVALID_REQUEST with Kafka's message
 * for a binding it refuses; the valid ones are stored durably before the answer.
 */
export const createAcls: ApiHandler<typeof CreateAclsApi> = {
  api: CreateAclsApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const fail = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
    if (!allowedOnCluster(ctx, Op.ALTER)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const authorizer = ctx.broker.authorizer;
    if (!authorizer) return fail(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    const bindings = req.creations.map((c) => ({
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      patternType: c.resourcePatternType,
      principal: c.principal,
      host: c.host,
      operation: c.operation,
      permissionType: c.permissionType,
    }));
    const results = await authorizer.createAcls(bindings);
    results.forEach((r, i) => {
      if (r.error === null) ctx.broker.logger.info(`ACL added by ${ctx.connection.principal}: ${describeBinding(bindings[i]!)}`);
    });
    return {
      throttleTimeMs: 0,
      results: results.map((r) => (r.error === null ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: r.error })),
    };
  },
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage: null })) }),
};
