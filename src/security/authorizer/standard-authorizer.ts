import {
  AclOperation,
  AclPermissionType,
  type AclBinding,
  type AclBindingFilter,
  filterMatches,
  InvalidAclError,
  PatternType,
  validateFilter,
  validateNewAcl,
  WILDCARD,
} from './acl.ts';
import type { AclStorage } from './acl-store.ts';

/** Who is asking, as the authorizer sees a request: its principal and the client's IP address. */
export interface Requester {
  /** `User:alice`, `User:ANONYMOUS`, … */
  readonly principal: string;
  /** The client's address as Kafka's `getHostAddress()` prints it (IPv4-mapped IPv6 unwrapped). */
  readonly host: string;
}

export interface AuthorizerSettings {
  /** `super.users`: principals allowed everything, whatever the ACLs say. */
  readonly superUsers: readonly string[];
  /** `allow.everyone.if.no.acl.found`: the answer for a resource no ACL applies to. */
  readonly allowEveryoneIfNoAclFound: boolean;
}

/** One ACL creation's outcome: null or why Kafka refuses it (INVALID_REQUEST with this message). */
export type CreateResult = { error: string | null };
/** One DeleteAcls filter's outcome: the bindings it removed, or why it was refused. */
export type DeleteResult = { error: string | null; deleted: AclBinding[] };

// ACLs for these operations imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS (ALLOW only).
const IMPLIES_DESCRIBE: ReadonlySet<number> = new Set([AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]);
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<number> = new Set([AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]);

/**
 * Kafka's StandardAuthorizer semantics (metadata/…/authorizer/StandardAuthorizerData): super users
 * are allowed everything; otherwise the ACLs whose pattern applies to the resource (the literal name,
 * the literal `*`, and every PREFIXED pattern the name starts with) decide — a matching DENY wins over
 * any ALLOW; with no ALLOW the answer is no; and when no ACL at all applies to the resource (for any
 * principal) `allow.everyone.if.no.acl.found` decides. An ACL entry matches the principal or `User:*`,
 * the client's host or `*`, and the operation, ALL, or — for an ALLOW — an operation implying it.
 */
export class StandardAuthorizer {
  private readonly store: AclStorage;
  private readonly superUsers: ReadonlySet<string>;
  private readonly allowEveryoneIfNoAclFound: boolean;
  /** ACLs by resource type, rebuilt on every change (reads are far more frequent than changes). */
  private byType = new Map<number, AclBinding[]>();

  constructor(store: AclStorage, settings: AuthorizerSettings) {
    this.store = store;
    this.superUsers = new Set(settings.superUsers);
    this.allowEveryoneIfNoAclFound = settings.allowEveryoneIfNoAclFound;
    this.reindex();
    // Cluster mode: another broker's CreateAcls/DeleteAcls reach us through the store's watch.
    store.onChange?.(() => this.reindex());
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  /** May `who` perform `operation` on the resource `resourceType`/`name`? */
  authorize(who: Requester, operation: number, resourceType: number, name: string): boolean {
    if (this.superUsers.has(who.principal)) return true;
    let hasResourceAcls = false;
    let allowed = false;
    for (const acl of this.byType.get(resourceType) ?? []) {
      if (!patternApplies(acl, name)) continue;
      hasResourceAcls = true;
      const result = entryResult(acl, who, operation);
      if (result === 'DENIED') return false;
      if (result === 'ALLOWED') allowed = true;
    }
    if (allowed) return true;
    return hasResourceAcls ? false : this.allowEveryoneIfNoAclFound;
  }

  /**
   * May `who` perform `operation` on at least one resource of the type (Kafka's
   * Authorizer.authorizeByResourceType, used by InitProducerId for WRITE on any topic): yes for a super
   * user or where the default answer allows it; else an ALLOW (literal or prefix) not shadowed by a
   * DENY of the same literal or of a prefix of it; a DENY on `*` refuses.
   */
  authorizeByResourceType(who: Requester, operation: number, resourceType: number): boolean {
    // Kafka checks a hard-coded name first, so super users (and the no-ACL default) pass.
    if (this.authorize(who, operation, resourceType, 'hardcode')) return true;
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const allowLiteral = new Set<string>();
    const allowPrefixed = new Set<string>();
    for (const acl of this.byType.get(resourceType) ?? []) {
      if (acl.host !== WILDCARD && acl.host !== who.host) continue;
      if (acl.principal !== who.principal && acl.principal !== wildcardOf(who.principal)) continue;
      if (acl.operation !== operation && acl.operation !== AclOperation.ALL) continue;
      const literal = acl.patternType === PatternType.LITERAL;
      if (acl.permissionType === AclPermissionType.DENY) {
        if (literal && acl.resourceName === WILDCARD) return false;
        (literal ? denyLiteral : denyPrefixed).add(acl.resourceName);
      } else if (acl.permissionType === AclPermissionType.ALLOW) {
        if (literal && acl.resourceName === WILDCARD) return true;
        (literal ? allowLiteral : allowPrefixed).add(acl.resourceName);
      }
    }
    const dominatedByPrefixDeny = (name: string) => {
      for (let i = 1; i <= name.length; i++) if (denyPrefixed.has(name.slice(0, i))) return true;
      return false;
    };
    for (const name of allowLiteral) if (!denyLiteral.has(name) && !dominatedByPrefixDeny(name)) return true;
    for (const name of allowPrefixed) if (!dominatedByPrefixDeny(name)) return true;
    return false;
  }

  /** The ACLs a filter selects (DescribeAcls). Throws InvalidAclError for a filter Kafka refuses. */
  acls(filter: AclBindingFilter): AclBinding[] {
    validateFilter(filter);
    return this.store.all().filter((b) => filterMatches(filter, b));
  }

  /** CreateAcls: validates each binding, stores the valid ones (durably), one result per binding in order. */
  async createAcls(bindings: readonly AclBinding[]): Promise<CreateResult[]> {
    const results: CreateResult[] = [];
    const valid: AclBinding[] = [];
    for (const b of bindings) {
      try {
        validateNewAcl(b);
        valid.push(b);
        results.push({ error: null });
      } catch (err) {
        if (!(err instanceof InvalidAclError)) throw err;
        results.push({ error: err.message });
      }
    }
    if (valid.length > 0) {
      await this.store.apply({ add: valid });
      this.reindex();
    }
    return results;
  }

  /** DeleteAcls: each filter removes what it matches; one result per filter, in order. */
  async deleteAcls(filters: readonly AclBindingFilter[]): Promise<DeleteResult[]> {
    const current = this.store.all();
    const results: DeleteResult[] = [];
    const removed = new Set<AclBinding>();
    for (const f of filters) {
      try {
        validateFilter(f);
      } catch (err) {
        if (!(err instanceof InvalidAclError)) throw err;
        results.push({ error: err.message, deleted: [] });
        continue;
      }
      const deleted = current.filter((b) => filterMatches(f, b));
      for (const b of deleted) removed.add(b);
      results.push({ error: null, deleted });
    }
    if (removed.size > 0) {
      await this.store.apply({ remove: [...removed] });
      this.reindex();
    }
    return results;
  }

  private reindex(): void {
    const byType = new Map<number, AclBinding[]>();
    for (const b of this.store.all()) {
      let list = byType.get(b.resourceType);
      if (!list) byType.set(b.resourceType, (list = []));
      list.push(b);
    }
    this.byType = byType;
  }
}

/** Does the ACL's resource pattern apply to the resource called `name` (same type assumed)? */
function patternApplies(acl: AclBinding, name: string): boolean {
  if (acl.patternType === PatternType.LITERAL) return acl.resourceName === name || acl.resourceName === WILDCARD;
  return acl.patternType === PatternType.PREFIXED && name.startsWith(acl.resourceName);
}

/** Kafka's StandardAuthorizerData.findResult: what one applicable ACL says about this request, if anything. */
function entryResult(acl: AclBinding, who: Requester, operation: number): 'ALLOWED' | 'DENIED' | null {
  if (acl.principal !== who.principal && acl.principal !== wildcardOf(who.principal)) return null;
  if (acl.host !== WILDCARD && acl.host !== who.host) return null;
  if (acl.operation !== AclOperation.ALL) {
    if (acl.permissionType === AclPermissionType.ALLOW) {
      if (operation === AclOperation.DESCRIBE) {
        if (!IMPLIES_DESCRIBE.has(acl.operation)) return null;
      } else if (operation === AclOperation.DESCRIBE_CONFIGS) {
        if (!IMPLIES_DESCRIBE_CONFIGS.has(acl.operation)) return null;
      } else if (operation !== acl.operation) {
        return null;
      }
    } else if (operation !== acl.operation) {
      return null;
    }
  }
  if (acl.permissionType === AclPermissionType.ALLOW) return 'ALLOWED';
  return acl.permissionType === AclPermissionType.DENY ? 'DENIED' : null;
}

/** `User:*` for `User:alice`: the wildcard of the principal's type. */
function wildcardOf(principal: string): string {
  const colon = principal.indexOf(':');
  return `${colon < 0 ? 'User' : principal.slice(0, colon)}:*`;
}

// In acl.ts, which the broker's every request path imports anyway; the authorizer itself is imported
// only when `authorizer.class.name` enables one.
export { hostAddress } from './acl.ts';
