/**
 * Kafka's ACL model (org.apache.kafka.common.acl / .resource): resource types, pattern types,
 * operations and permission types with Kafka's wire codes, bindings (a resource pattern plus an access
 * control entry) and binding filters as DescribeAcls/DeleteAcls carry them. Pure data and matching; the
 * authorizer and its store are beside it.
 */

/** ResourceType codes (org.apache.kafka.common.resource.ResourceType). */
export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceTypeName = keyof typeof ResourceType;

/** PatternType codes. MATCH and ANY exist only in filters. */
export const PatternType = {
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;
export type PatternTypeName = keyof typeof PatternType;

/** AclOperation codes. ANY exists only in filters. */
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperationName = keyof typeof AclOperation;

/** AclPermissionType codes. ANY exists only in filters. */
export const AclPermissionType = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;
export type AclPermissionTypeName = keyof typeof AclPermissionType;

/** The one name a CLUSTER resource has (Kafka's CLUSTER_NAME). */
export const CLUSTER_NAME = 'kafka-cluster';
/** A LITERAL resource name matching every resource of its type, and the host matching every host. */
export const WILDCARD = '*';
/** The principal matching every user. */
export const WILDCARD_PRINCIPAL = 'User:*';

/** A grant or denial: what Kafka's AclBinding holds, with the enums as their wire codes. */
export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/** A selection of bindings (DescribeAcls, DeleteAcls): null strings and ANY codes match everything. */
export interface AclBindingFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

/** The filter matching every binding. */
export const ANY_ACL: AclBindingFilter = {
  resourceType: ResourceType.ANY,
  resourceName: null,
  patternType: PatternType.ANY,
  principal: null,
  host: null,
  operation: AclOperation.ANY,
  permissionType: AclPermissionType.ANY,
};

/** Names of a code, e.g. `codeName(AclOperation, 3)` is `READ`; unknown codes are `UNKNOWN`. */
export function codeName<T extends Record<string, number>>(table: T, code: number): keyof T & string {
  for (const [name, c] of Object.entries(table)) if (c === code) return name as keyof T & string;
  return 'UNKNOWN' as keyof T & string;
}

/** A code from a name as Kafka's tools accept it (case-insensitive, `-` or `_`), or null. */
export function parseCode<T extends Record<string, number>>(table: T, name: string): number | null {
  const key = name.trim().toUpperCase().replace(/-/g, '_');
  return Object.hasOwn(table, key) ? table[key as keyof T]! : null;
}

/** Thrown for a binding or filter Kafka answers with INVALID_REQUEST; the message is Kafka's. */
export class InvalidAclError extends Error {}

/**
 * Kafka's checks of a new ACL (AclControlManager.validateNewAcl, AclApis, KafkaPrincipal parsing):
 * a concrete resource type, LITERAL or PREFIXED, a concrete operation and permission, a non-empty
 * name, `kafka-cluster` as the only CLUSTER name, a `Type:name` principal.
 */
export function validateNewAcl(b: AclBinding): void {
  if (b.resourceType === ResourceType.UNKNOWN || b.resourceType === ResourceType.ANY || codeName(ResourceType, b.resourceType) === 'UNKNOWN') {
    throw new InvalidAclError(`Invalid resourceType ${codeName(ResourceType, b.resourceType)}`);
  }
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) {
    throw new InvalidAclError(`Invalid patternType ${codeName(PatternType, b.patternType)}`);
  }
  if (b.operation === AclOperation.UNKNOWN || b.operation === AclOperation.ANY || codeName(AclOperation, b.operation) === 'UNKNOWN') {
    throw new InvalidAclError(`Invalid operation ${codeName(AclOperation, b.operation)}`);
  }
  if (b.permissionType !== AclPermissionType.ALLOW && b.permissionType !== AclPermissionType.DENY) {
    throw new InvalidAclError(`Invalid permissionType ${codeName(AclPermissionType, b.permissionType)}`);
  }
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) {
    throw new InvalidAclError(`The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`);
  }
  if (b.resourceName === '') throw new InvalidAclError('Invalid empty resource name');
  const colon = b.principal.indexOf(':');
  if (colon <= 0) throw new InvalidAclError(`Could not parse principal from \`${b.principal}\` (no colon is found separating principal type from principal name)`);
  if (b.host === '') throw new InvalidAclError('Invalid empty host');
}

/** Kafka rejects filters with an UNKNOWN field (AclControlManager.validateFilter). */
export function validateFilter(f: AclBindingFilter): void {
  const unknownPattern = codeName(ResourceType, f.resourceType) === 'UNKNOWN' || codeName(PatternType, f.patternType) === 'UNKNOWN';
  if (unknownPattern) throw new InvalidAclError('Unknown patternFilter.');
  if (codeName(AclOperation, f.operation) === 'UNKNOWN' || codeName(AclPermissionType, f.permissionType) === 'UNKNOWN') {
    throw new InvalidAclError('Unknown entryFilter.');
  }
}

/**
 * Kafka's AclBindingFilter.matches: the resource part (ResourcePatternFilter.matches, where MATCH
 * selects every pattern that would apply to the named resource: the literal name, the `*` wildcard
 * and prefixes of it) and the entry part (null / ANY match anything).
 */
export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  return resourceFilterMatches(f, b) && entryFilterMatches(f, b);
}

function resourceFilterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType === PatternType.ANY || f.patternType === b.patternType) return f.resourceName === b.resourceName;
  // MATCH
  if (b.patternType === PatternType.LITERAL) return f.resourceName === b.resourceName || b.resourceName === WILDCARD;
  return f.resourceName.startsWith(b.resourceName);
}

function entryFilterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  return f.permissionType === AclPermissionType.ANY || f.permissionType === b.permissionType;
}

/** A stable identity of a binding (duplicates are one ACL, as in Kafka). */
export function bindingKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permissionType]);
}

/** `(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)` on `TOPIC:LITERAL:orders`, for logs and the CLI. */
export function describeBinding(b: AclBinding): string {
  return `${codeName(ResourceType, b.resourceType)}:${codeName(PatternType, b.patternType)}:${b.resourceName} ` +
    `(principal=${b.principal}, host=${b.host}, operation=${codeName(AclOperation, b.operation)}, permissionType=${codeName(AclPermissionType, b.permissionType)})`;
}

/** Kafka prints IPv4 clients as dotted quads; Node reports them as `::ffff:1.2.3.4` on dual-stack sockets. */
export function hostAddress(remoteAddress: string): string {
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}
