import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { AlterClientQuotasRequest, AlterClientQuotasResponseEntriesInput } from '../../protocol/messages/alter-client-quotas.ts';
import type { DescribeClientQuotasRequest, DescribeClientQuotasResponseEntriesInput } from '../../protocol/messages/describe-client-quotas.ts';
import type { ClientQuotaStore, QuotaChange } from './client-quota-store.ts';
import { CLIENT_ID, IP, IP_QUOTA_KEYS, USER, USER_CLIENT_QUOTA_KEYS, validateQuotaValue, type EntityType, type QuotaEntity } from './quota-entity.ts';

/**
 * AlterClientQuotas and DescribeClientQuotas as a KRaft Kafka answers them: validation and messages of
 * ClientQuotaControlManager (alter) and ClientQuotasImage.describe (describe), over the quota store.
 */

/** DescribeClientQuotas match types. */
export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_ANY = 2;

/** A request error with Kafka's code and message (the whole Describe request fails with it). */
export class QuotaRequestError extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

interface EntryResult {
  entity: { entityType: string; entityName: string | null }[];
  errorCode: number;
  errorMessage: string | null;
}

/**
 * Validates every entry; with `validateOnly` false applies the valid ones together. As in Kafka an
 * entry fails alone (its error, the others applied), the same entity twice in one request answers
 * once ("Ignoring duplicate entity"), removing a key that is not set is no error, and setting a value
 * equal to the current one changes nothing.
 */
export async function alterClientQuotas(store: ClientQuotaStore, req: AlterClientQuotasRequest): Promise<AlterClientQuotasResponseEntriesInput[]> {
  const results = new Map<string, EntryResult>();
  const changes: QuotaChange[] = [];
  for (const entry of req.entries) {
    // Kafka reads the entity into a map first: a repeated type keeps its last name.
    const raw = new Map<string, string | null>();
    for (const e of entry.entity) raw.set(e.entityType, e.entityName);
    const rawKey = [...raw].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([t, n]) => `${t}=${n === null ? '\u0000' : n}`).join('\u0001');
    const echo = [...raw].map(([entityType, entityName]) => ({ entityType, entityName }));
    const fail = (message: string) => results.set(rawKey, { entity: echo, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message });

    const ops = new Map<string, number | null>();
    let duplicateKey = false;
    for (const op of entry.ops) {
      if (ops.has(op.key)) duplicateKey = true;
      else ops.set(op.key, op.remove ? null : op.value);
    }
    // Kafka's controller overwrites a duplicate-key error with this message too.
    if (duplicateKey || results.has(rawKey)) {
      fail(`Ignoring duplicate entity ${describeRaw(raw)}`);
      continue;
    }
    const checked = await validateEntity(raw);
    if (typeof checked === 'string') {
      fail(checked);
      continue;
    }
    const keys = IP in checked ? IP_QUOTA_KEYS : USER_CLIENT_QUOTA_KEYS;
    const current = store.get(checked);
    const mine: QuotaChange[] = [];
    let error: string | null = null;
    for (const [key, value] of ops) {
      if (value === null) {
        if (current?.has(key)) mine.push({ entity: checked, key, value: null });
        continue;
      }
      error = validateQuotaValue(keys, key, value);
      if (error !== null) break;
      if (current?.get(key) !== value) mine.push({ entity: checked, key, value });
    }
    if (error !== null) {
      fail(error);
      continue;
    }
    changes.push(...mine);
    results.set(rawKey, { entity: echo, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  if (!req.validateOnly) await store.apply(changes);
  return [...results.values()];
}

/** ClientQuotaControlManager.validateEntity + configKeysForEntityType. */
async function validateEntity(raw: Map<string, string | null>): Promise<QuotaEntity | string> {
  if (raw.size === 0) return 'Invalid empty client quota entity';
  const entity: QuotaEntity = {};
  for (const [type, name] of raw) {
    if (type !== USER && type !== CLIENT_ID && type !== IP) return `Unhandled client quota entity type: ${type}`;
    if (name !== null && name === '') return `Empty ${type} not supported`;
    entity[type as EntityType] = name;
  }
  if (IP in entity) {
    if (USER in entity || CLIENT_ID in entity) return 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId';
    const ip = entity[IP];
    if (ip !== null && ip !== undefined && !(await resolvable(ip))) return `${ip} is not a valid IP or resolvable host.`;
  }
  return entity;
}

/** InetAddress.getByName: an address literal, or a name that resolves. */
async function resolvable(host: string): Promise<boolean> {
  if (isIP(host)) return true;
  try {
    await lookup(host);
    return true;
  } catch {
    return false;
  }
}

function describeRaw(raw: Map<string, string | null>): string {
  return `ClientQuotaEntity(entries={${[...raw].map(([t, n]) => `${t}=${n}`).join(', ')}})`;
}

/**
 * The entities matching the filter, with their values. Components: exact (that name), default (the
 * default entity of the type) or any (any entity having the type); strict excludes entities with types
 * the filter does not name. Throws QuotaRequestError with Kafka's code and message for a bad filter.
 */
export function describeClientQuotas(store: ClientQuotaStore, req: DescribeClientQuotasRequest): DescribeClientQuotasResponseEntriesInput[] {
  const exact = new Map<string, string | null>();
  const any = new Set<string>();
  for (const c of req.components) {
    if (c.entityType === '') throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.');
    if (exact.has(c.entityType) || any.has(c.entityType)) {
      throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Entity type ${c.entityType} cannot appear more than once in the filter.`);
    }
    if (c.entityType !== IP && c.entityType !== USER && c.entityType !== CLIENT_ID) {
      throw new QuotaRequestError(ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${c.entityType}`);
    }
    if (c.matchType === MATCH_EXACT) {
      if (c.match === null) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.');
      exact.set(c.entityType, c.match);
    } else if (c.matchType === MATCH_DEFAULT) {
      if (c.match !== null) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
      exact.set(c.entityType, null);
    } else if (c.matchType === MATCH_ANY) {
      if (c.match !== null) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
      any.add(c.entityType);
    } else {
      throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
    }
  }
  const has = (t: string) => exact.has(t) || any.has(t);
  if (has(IP) && (has(USER) || has(CLIENT_ID))) {
    throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
  }
  const out: DescribeClientQuotasResponseEntriesInput[] = [];
  for (const { entity, values } of store.all()) {
    const types = Object.keys(entity) as EntityType[];
    if (req.strict && types.length !== exact.size + any.size) continue;
    if (![...exact].every(([t, name]) => t in entity && entity[t as EntityType] === name)) continue;
    if (![...any].every((t) => t in entity)) continue;
    out.push({
      entity: types.map((t) => ({ entityType: t, entityName: entity[t] ?? null })),
      values: [...values].map(([key, value]) => ({ key, value })),
    });
  }
  return out;
}
