import { ErrorCode } from '../protocol/error-codes.ts';
import { AlterClientQuotasApi } from '../protocol/messages/alter-client-quotas.ts';
import { DescribeClientQuotasApi } from '../protocol/messages/describe-client-quotas.ts';
import type { Cluster } from './cluster.ts';
import { KafkaError, UnsupportedApiError, check } from './errors.ts';

/**
 * Client quotas over DescribeClientQuotas / AlterClientQuotas, as Kafka's Admin.describeClientQuotas and
 * alterClientQuotas (and kafka-configs.sh --entity-type users/clients/ips) use them. Sent to the
 * controller, as Kafka's admin client routes them.
 *
 *   await alterClientQuotas(cluster, [{ entity: { user: 'alice' }, set: { producer_byte_rate: 1024 } }]);
 *   await describeClientQuotas(cluster, { components: [{ entityType: 'user', match: 'alice' }] });
 */

/** Kafka's entity type names. */
export type QuotaEntityType = 'user' | 'client-id' | 'ip';

/** An entity: one name per type; null is the type's default entity (`--user-default`). */
export type QuotaEntity = Partial<Record<QuotaEntityType, string | null>>;

export interface QuotaFilterComponent {
  entityType: QuotaEntityType;
  /** A name (exact match), null (the default entity), or undefined (any entity of the type). */
  match: string | null | undefined;
}

export interface QuotaFilter {
  components: QuotaFilterComponent[];
  /** Only entities with exactly the filter's types (Kafka's ClientQuotaFilter.containsOnly). */
  strict?: boolean;
}

export interface ClientQuotaEntry {
  entity: QuotaEntity;
  /** Quota key → value, e.g. producer_byte_rate → 1048576. */
  values: Record<string, number>;
}

export interface QuotaAlteration {
  entity: QuotaEntity;
  set?: Record<string, number>;
  remove?: string[];
}

export interface QuotaAlterationResult {
  entity: QuotaEntity;
  errorCode: number;
  errorMessage: string | null;
}

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_ANY = 2;

const ENTITY_ORDER: QuotaEntityType[] = ['user', 'client-id', 'ip'];

/** `user=alice, client-id=<default>`, for messages. */
export function describeQuotaEntity(e: QuotaEntity): string {
  return ENTITY_ORDER.filter((t) => t in e)
    .map((t) => `${t}=${e[t] === null ? '<default>' : e[t]}`)
    .join(', ');
}

async function controller(cluster: Cluster, api: typeof DescribeClientQuotasApi | typeof AlterClientQuotasApi) {
  const conn = await cluster.controllerConnection();
  if (conn.negotiated(api) < 0) throw new UnsupportedApiError(`broker ${conn.address} does not support ${api.name} (Kafka 2.6+)`);
  return conn;
}

/** The entities matching the filter, with their quota values. Throws KafkaError for a filter the broker refuses. */
export async function describeClientQuotas(cluster: Cluster, filter: QuotaFilter): Promise<ClientQuotaEntry[]> {
  const conn = await controller(cluster, DescribeClientQuotasApi);
  const res = await conn.request(DescribeClientQuotasApi, {
    components: filter.components.map((c) => ({
      entityType: c.entityType,
      matchType: c.match === undefined ? MATCH_ANY : c.match === null ? MATCH_DEFAULT : MATCH_EXACT,
      match: c.match ?? null,
    })),
    strict: filter.strict ?? false,
  });
  check(res.errorCode, 'describe client quotas', res.errorMessage);
  return (res.entries ?? [])
    .map((e) => {
      const entity: QuotaEntity = {};
      for (const x of e.entity) entity[x.entityType as QuotaEntityType] = x.entityName;
      return { entity, values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) };
    })
    .sort((a, b) => describeQuotaEntity(a.entity).localeCompare(describeQuotaEntity(b.entity)));
}

/**
 * Sets and removes quota values; each entity succeeds or fails on its own (the results say which).
 * `validateOnly` checks without changing anything.
 */
export async function alterClientQuotas(cluster: Cluster, alterations: QuotaAlteration[], opts: { validateOnly?: boolean } = {}): Promise<QuotaAlterationResult[]> {
  const conn = await controller(cluster, AlterClientQuotasApi);
  const res = await conn.request(AlterClientQuotasApi, {
    entries: alterations.map((a) => ({
      entity: ENTITY_ORDER.filter((t) => t in a.entity).map((t) => ({ entityType: t, entityName: a.entity[t] ?? null })),
      ops: [
        ...Object.entries(a.set ?? {}).map(([key, value]) => ({ key, value, remove: false })),
        ...(a.remove ?? []).map((key) => ({ key, value: 0, remove: true })),
      ],
    })),
    validateOnly: opts.validateOnly ?? false,
  });
  return res.entries.map((e) => {
    const entity: QuotaEntity = {};
    for (const x of e.entity) entity[x.entityType as QuotaEntityType] = x.entityName;
    return { entity, errorCode: e.errorCode, errorMessage: e.errorMessage };
  });
}

/** alterClientQuotas, throwing the first entity's error (for one-entity callers such as the CLI). */
export async function alterClientQuotasOrThrow(cluster: Cluster, alterations: QuotaAlteration[], opts: { validateOnly?: boolean } = {}): Promise<void> {
  for (const r of await alterClientQuotas(cluster, alterations, opts)) {
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, `alter quotas of ${describeQuotaEntity(r.entity)}`, r.errorMessage);
  }
}
