import { CreateAclsApi } from '../protocol/messages/create-acls.ts';
import { DeleteAclsApi } from '../protocol/messages/delete-acls.ts';
import { DescribeAclsApi } from '../protocol/messages/describe-acls.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { type AclBinding, type AclBindingFilter, PatternType } from '../security/authorizer/acl.ts';
import type { Cluster } from './cluster.ts';
import { check, KafkaError } from './errors.ts';

/**
 * Kafka's Admin createAcls / describeAcls / deleteAcls (what `kafka-acls.sh` calls), typed with the
 * ACL model of src/security/authorizer/acl.ts. Works against any Kafka with an authorizer; a broker
 * without one answers SECURITY_DISABLED, which surfaces as a KafkaError naming it.
 */

/** Before v1 only LITERAL patterns exist on the wire: asking for anything else is refused here, as the Java client does. */
function requireLiteral(version: number, patternType: number, what: string): void {
  if (version < 1 && patternType !== PatternType.LITERAL && patternType !== PatternType.ANY) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, what, 'the broker supports only LITERAL resource patterns (CreateAcls/DescribeAcls/DeleteAcls v0)');
  }
}

/** CreateAcls: every binding is created or the first refusal is thrown (Kafka's message included); the valid ones stay created, as in Kafka. */
export async function createAcls(cluster: Cluster, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  const conn = await cluster.anyConnection();
  const v = conn.negotiated(CreateAclsApi);
  for (const b of bindings) requireLiteral(v, b.patternType, 'create ACLs');
  const r = await conn.request(CreateAclsApi, {
    creations: bindings.map((b) => ({
      resourceType: b.resourceType,
      resourceName: b.resourceName,
      resourcePatternType: b.patternType,
      principal: b.principal,
      host: b.host,
      operation: b.operation,
      permissionType: b.permissionType,
    })),
  });
  r.results.forEach((res) => check(res.errorCode, 'create ACLs', res.errorMessage));
}

/** DescribeAcls: the bindings the filter matches. */
export async function describeAcls(cluster: Cluster, filter: AclBindingFilter): Promise<AclBinding[]> {
  const conn = await cluster.anyConnection();
  const v = conn.negotiated(DescribeAclsApi);
  requireLiteral(v, filter.patternType, 'describe ACLs');
  const r = await conn.request(DescribeAclsApi, {
    resourceTypeFilter: filter.resourceType,
    resourceNameFilter: filter.resourceName,
    patternTypeFilter: v < 1 ? PatternType.LITERAL : filter.patternType,
    principalFilter: filter.principal,
    hostFilter: filter.host,
    operation: filter.operation,
    permissionType: filter.permissionType,
  });
  check(r.errorCode, 'describe ACLs', r.errorMessage);
  return r.resources.flatMap((res) =>
    res.acls.map((a) => ({
      resourceType: res.resourceType,
      resourceName: res.resourceName,
      patternType: v < 1 ? PatternType.LITERAL : res.patternType,
      principal: a.principal,
      host: a.host,
      operation: a.operation,
      permissionType: a.permissionType,
    })),
  );
}

/** DeleteAcls: removes what each filter matches and returns the removed bindings (all filters together). */
export async function deleteAcls(cluster: Cluster, filters: readonly AclBindingFilter[]): Promise<AclBinding[]> {
  if (filters.length === 0) return [];
  const conn = await cluster.anyConnection();
  const v = conn.negotiated(DeleteAclsApi);
  for (const f of filters) requireLiteral(v, f.patternType, 'delete ACLs');
  const r = await conn.request(DeleteAclsApi, {
    filters: filters.map((f) => ({
      resourceTypeFilter: f.resourceType,
      resourceNameFilter: f.resourceName,
      patternTypeFilter: v < 1 ? PatternType.LITERAL : f.patternType,
      principalFilter: f.principal,
      hostFilter: f.host,
      operation: f.operation,
      permissionType: f.permissionType,
    })),
  });
  const out: AclBinding[] = [];
  for (const fr of r.filterResults) {
    check(fr.errorCode, 'delete ACLs', fr.errorMessage);
    for (const m of fr.matchingAcls) {
      check(m.errorCode, 'delete ACLs', m.errorMessage);
      out.push({ resourceType: m.resourceType, resourceName: m.resourceName, patternType: v < 1 ? PatternType.LITERAL : m.patternType, principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType });
    }
  }
  return out;
}
