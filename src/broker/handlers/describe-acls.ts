import { ErrorCode } from '../../protocol/error-codes.ts';
import { DescribeAclsApi, type DescribeAclsResponseResourcesInput } from '../../protocol/messages/describe-acls.ts';
import { InvalidAclError } from '../../security/authorizer/acl.ts';
import { allowedOnCluster, Op } from '../authorize.ts';
import type { ApiHandler } from '../handler.ts';

/**
 * DescribeAcls (29) v0–3, as Kafka's AclApis: DESCRIBE on the cluster (else
 * CLUSTER_AUTHORIZATION_FAILED), SECURITY_DISABLED without an authorizer; the matching ACLs grouped
 * by resource pattern.
 */
export const describeAcls: ApiHandler<typeof DescribeAclsApi> = {
  api: DescribeAclsApi,
  minVersion: 0,
  maxVersion: 3,
  handle(req, ctx) {
    const fail = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
    if (!allowedOnCluster(ctx, Op.DESCRIBE)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const authorizer = ctx.broker.authorizer;
    if (!authorizer) return fail(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured on the broker');
    let acls;
    try {
      acls = authorizer.acls({
        resourceType: req.resourceTypeFilter,
        resourceName: req.resourceNameFilter,
        patternType: req.patternTypeFilter,
        principal: req.principalFilter,
        host: req.hostFilter,
        operation: req.operation,
        permissionType: req.permissionType,
      });
    } catch (err) {
      if (err instanceof InvalidAclError) return fail(ErrorCode.INVALID_REQUEST, err.message);
      throw err;
    }
    const resources = new Map<string, DescribeAclsResponseResourcesInput & { acls: DescribeAclsResponseResourcesInput['acls'] }>();
    for (const b of acls) {
      const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
      let r = resources.get(key);
      if (!r) resources.set(key, (r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
      r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...resources.values()] };
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, resources: [] }),
};
