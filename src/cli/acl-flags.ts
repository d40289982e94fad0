import { Flags } from '@oclif/core';
import {
  AclOperation,
  AclPermissionType,
  type AclBinding,
  type AclBindingFilter,
  CLUSTER_NAME,
  codeName,
  parseCode,
  PatternType,
  ResourceType,
} from '../security/authorizer/acl.ts';
import { UsageError } from './parse.ts';

/**
 * kafka-acls.sh's flags and how they become ACL bindings (create) and filters (list, delete):
 * resources from --topic/--group/--cluster/--transactional-id with --resource-pattern-type, entries
 * from --allow-principal/--deny-principal × --allow-host/--deny-host × --operation, and the
 * --producer/--consumer shortcuts. Shared by the three `kstream acls` commands.
 */
export const resourceFlags = {
  topic: Flags.string({ summary: 'Topic name (or * for every topic); repeatable.', multiple: true }),
  group: Flags.string({ summary: 'Consumer group id (or *); repeatable.', multiple: true }),
  cluster: Flags.boolean({ summary: 'The cluster resource (kafka-cluster).', default: false }),
  'transactional-id': Flags.string({ summary: 'Transactional id (or *); repeatable.', multiple: true }),
  'resource-pattern-type': Flags.string({
    summary: 'LITERAL or PREFIXED (create); also ANY or MATCH for list/delete. Default LITERAL, as kafka-acls.',
    default: 'LITERAL',
  }),
};

export const entryFlags = {
  'allow-principal': Flags.string({ summary: 'Principal to allow, e.g. User:alice or User:* (repeatable).', multiple: true }),
  'deny-principal': Flags.string({ summary: 'Principal to deny (repeatable).', multiple: true }),
  'allow-host': Flags.string({ summary: 'Host (IP address) the allow principals may connect from; default * when principals are given.', multiple: true }),
  'deny-host': Flags.string({ summary: 'Host the deny principals are denied from; default *.', multiple: true }),
  operation: Flags.string({
    summary: 'Operation: All, Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite (repeatable; default All).',
    multiple: true,
  }),
  producer: Flags.boolean({ summary: 'Shortcut: WRITE, DESCRIBE and CREATE on the topics (WRITE, DESCRIBE on the transactional ids).', default: false }),
  consumer: Flags.boolean({ summary: 'Shortcut: READ and DESCRIBE on the topics, READ on the groups (needs --group).', default: false }),
};

export interface AclFlagValues {
  topic?: string[];
  group?: string[];
  cluster: boolean;
  'transactional-id'?: string[];
  'resource-pattern-type': string;
  'allow-principal'?: string[];
  'deny-principal'?: string[];
  'allow-host'?: string[];
  'deny-host'?: string[];
  operation?: string[];
  producer?: boolean;
  consumer?: boolean;
}

interface Resource {
  resourceType: number;
  resourceName: string;
}

/** The operations each resource type supports (kafka-acls refuses others). */
const SUPPORTED: Record<number, readonly number[]> = {
  [ResourceType.TOPIC]: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.ALL],
  [ResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALL],
  [ResourceType.CLUSTER]: [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.ALL],
  [ResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE, AclOperation.ALL],
};

/** `ClusterAction`, `cluster-action`, `CLUSTER_ACTION`, `describeconfigs` all name the same operation. */
export function parseOperation(name: string): number {
  const compact = name.replace(/[-_\s]/g, '').toUpperCase();
  for (const [n, code] of Object.entries(AclOperation)) {
    if (n.replace(/_/g, '') === compact && code !== AclOperation.UNKNOWN && code !== AclOperation.ANY) return code;
  }
  throw new UsageError(`unknown operation "${name}": use All, Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs or IdempotentWrite`);
}

export function parsePatternType(name: string, forFilter: boolean): number {
  const code = parseCode(PatternType, name);
  const ok = forFilter ? [PatternType.LITERAL, PatternType.PREFIXED, PatternType.ANY, PatternType.MATCH] : [PatternType.LITERAL, PatternType.PREFIXED];
  if (code === null || !(ok as number[]).includes(code)) {
    throw new UsageError(`--resource-pattern-type must be ${forFilter ? 'LITERAL, PREFIXED, ANY or MATCH' : 'LITERAL or PREFIXED when creating ACLs'} (got "${name}")`);
  }
  return code;
}

function principal(p: string): string {
  if (p.indexOf(':') <= 0) throw new UsageError(`principal "${p}" must be Type:name, e.g. User:alice`);
  return p;
}

function resources(f: AclFlagValues): Resource[] {
  return [
    ...(f.topic ?? []).map((resourceName) => ({ resourceType: ResourceType.TOPIC, resourceName })),
    ...(f.group ?? []).map((resourceName) => ({ resourceType: ResourceType.GROUP, resourceName })),
    ...(f.cluster ? [{ resourceType: ResourceType.CLUSTER, resourceName: CLUSTER_NAME }] : []),
    ...(f['transactional-id'] ?? []).map((resourceName) => ({ resourceType: ResourceType.TRANSACTIONAL_ID, resourceName })),
  ];
}

/** Operations per resource: the --producer/--consumer shortcuts, else --operation (default All). */
function operationsFor(f: AclFlagValues, r: Resource): number[] {
  if (f.producer || f.consumer) {
    const ops = new Set<number>();
    if (f.producer && r.resourceType === ResourceType.TOPIC) [AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE].forEach((o) => ops.add(o));
    if (f.producer && r.resourceType === ResourceType.TRANSACTIONAL_ID) [AclOperation.WRITE, AclOperation.DESCRIBE].forEach((o) => ops.add(o));
    if (f.consumer && r.resourceType === ResourceType.TOPIC) [AclOperation.READ, AclOperation.DESCRIBE].forEach((o) => ops.add(o));
    if (f.consumer && r.resourceType === ResourceType.GROUP) ops.add(AclOperation.READ);
    return [...ops];
  }
  const ops = (f.operation?.length ? f.operation : ['All']).map(parseOperation);
  for (const op of ops) {
    if (!SUPPORTED[r.resourceType]!.includes(op)) {
      const names = SUPPORTED[r.resourceType]!.map((o) => codeName(AclOperation, o)).join(', ');
      throw new UsageError(`${codeName(ResourceType, r.resourceType)} ${r.resourceName} does not support operation ${codeName(AclOperation, op)} (supported: ${names})`);
    }
  }
  return ops;
}

/** Principal × host pairs with their permission; hosts default to * as in kafka-acls. */
function entries(f: AclFlagValues): { principal: string; host: string; permissionType: number }[] {
  const out: { principal: string; host: string; permissionType: number }[] = [];
  const add = (principals: string[] | undefined, hosts: string[] | undefined, permissionType: number) => {
    for (const p of principals ?? []) for (const host of hosts?.length ? hosts : ['*']) out.push({ principal: principal(p), host, permissionType });
  };
  add(f['allow-principal'], f['allow-host'], AclPermissionType.ALLOW);
  add(f['deny-principal'], f['deny-host'], AclPermissionType.DENY);
  return out;
}

function checkShortcuts(f: AclFlagValues): void {
  if (f.consumer && !(f.group?.length)) throw new UsageError('--consumer needs --group');
  if ((f.producer || f.consumer) && f.operation?.length) throw new UsageError('--producer/--consumer cannot be combined with --operation');
}

/** `kstream acls create`: every resource × entry × operation. */
export function bindingsFromFlags(f: AclFlagValues): AclBinding[] {
  checkShortcuts(f);
  const patternType = parsePatternType(f['resource-pattern-type'], false);
  const rs = resources(f);
  if (rs.length === 0) throw new UsageError('name a resource: --topic, --group, --cluster or --transactional-id');
  const es = entries(f);
  if (es.length === 0) throw new UsageError('name a principal: --allow-principal or --deny-principal');
  const out: AclBinding[] = [];
  for (const r of rs) {
    for (const op of operationsFor(f, r)) for (const e of es) out.push({ ...r, patternType, ...e, operation: op });
  }
  return out;
}

/**
 * `kstream acls delete`: with principals, filters for exactly those bindings; without, every ACL of
 * each named resource (what kafka-acls --remove does, after asking).
 */
export function deleteFiltersFromFlags(f: AclFlagValues): { filters: AclBindingFilter[]; everything: boolean } {
  checkShortcuts(f);
  const patternType = parsePatternType(f['resource-pattern-type'], true);
  const rs = resources(f);
  if (rs.length === 0) throw new UsageError('name a resource: --topic, --group, --cluster or --transactional-id');
  const es = entries(f);
  if (es.length === 0) {
    return { filters: rs.map((r) => ({ ...r, patternType, principal: null, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY })), everything: true };
  }
  const filters: AclBindingFilter[] = [];
  for (const r of rs) for (const op of operationsFor(f, r)) for (const e of es) filters.push({ ...r, patternType, ...e, operation: op });
  return { filters, everything: false };
}

/** `kstream acls list`: the named resources (all when none) and optionally one principal. */
export function listFiltersFromFlags(f: AclFlagValues, principalFilter: string | undefined): AclBindingFilter[] {
  const rs = resources(f);
  const p = principalFilter === undefined ? null : principal(principalFilter);
  const any = { principal: p, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY };
  if (rs.length === 0) return [{ resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, ...any }];
  const patternType = parsePatternType(f['resource-pattern-type'], true);
  return rs.map((r) => ({ ...r, patternType, ...any }));
}

/** A binding as a row/JSON object with names, not codes. */
export function bindingView(b: AclBinding): { resourceType: string; patternType: string; resourceName: string; principal: string; host: string; operation: string; permissionType: string } {
  return {
    resourceType: codeName(ResourceType, b.resourceType),
    patternType: codeName(PatternType, b.patternType),
    resourceName: b.resourceName,
    principal: b.principal,
    host: b.host,
    operation: codeName(AclOperation, b.operation),
    permissionType: codeName(AclPermissionType, b.permissionType),
  };
}
