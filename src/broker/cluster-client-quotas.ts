/**
 * Cluster mode: client quotas live in the metadata store (etcd `client-quotas/<entity>/<key>`), one
 * quota set for the whole cluster, as Kafka keeps ClientQuotaRecords in the cluster metadata every
 * broker replays. This broker's quota store (what its quota managers are fed from, and what
 * DescribeClientQuotas reads) mirrors them (src/cluster/mirrored-keyspace.ts): listed before the
 * broker serves, then watched; AlterClientQuotas answered here writes to the store first. So a quota
 * set through any broker throttles on every broker and is described by every broker.
 *
 * As in Kafka, each broker enforces the quota on its own traffic: a producer_byte_rate of 1 MB/s lets
 * a client send 1 MB/s to each broker it talks to.
 *
 * Arrows: broker → cluster (the store) and broker → quotas (the quota store).
 */
import type { MetadataStore } from '../cluster/metadata-store.ts';
import type { ClientQuotaRecord } from '../protocol/metadata-records.ts';
import { clientQuotaKeyspace, MirroredKeyspace } from '../cluster/mirrored-keyspace.ts';
import type { Logger } from './logger.ts';
import type { ClientQuotaStore } from './quotas/client-quota-store.ts';
import { ENTITY_TYPES, entityKey, type EntityType, type QuotaEntity } from './quotas/quota-entity.ts';

/** A stored quota value this broker can use: known entity types and a positive finite value. */
type UsableQuota = { entity: QuotaEntity; key: string; value: number };

/**
 * Makes `quotas` mirror the cluster's and write through the store; resolves once listed. The result
 * stops the mirroring (close it before the store).
 */
export async function attachClusterClientQuotas(store: MetadataStore, quotas: ClientQuotaStore, logger: Logger): Promise<{ close(): void }> {
  const local = quotas.all().reduce((n, e) => n + e.values.size, 0);
  quotas.attachRemote((changes) => store.alterClientQuotas(changes));
  const mirror = await MirroredKeyspace.open<ClientQuotaRecord, UsableQuota>({
    what: 'cluster client quotas',
    keyspace: clientQuotaKeyspace(store),
    keyOf: (r) => `${entityKey(entityOf(r))}\u0002${r.key}`,
    valueOf: (r) => {
      if (!(r.value > 0) || !Number.isFinite(r.value)) throw new Error(`quota ${r.key} of ${JSON.stringify(r.entity)}: ${r.value} is not a positive number`);
      return { entity: entityOf(r), key: r.key, value: r.value };
    },
    logger,
    onChange: (change) => {
      if (change.kind === 'reset') {
        quotas.replaceAll(change.values);
        return;
      }
      for (const e of change.events) {
        if (e.type === 'put') quotas.applyRemote(e.value);
        else quotas.applyRemote({ entity: entityOf(e.record), key: e.record.key, value: null });
      }
    },
  });
  if (local > 0) logger.warn(`cluster mode: client quotas come from the metadata store; the ${local} quota values in this data dir are not used`);
  logger.info(`client quotas: ${mirror.size} values loaded from the metadata store, shared by the cluster`);
  return mirror;
}

/** The record's entity as the quota layer types it; an entity type this broker does not know throws. */
function entityOf(r: ClientQuotaRecord): QuotaEntity {
  const entity: QuotaEntity = {};
  for (const [type, name] of Object.entries(r.entity)) {
    if (!(ENTITY_TYPES as readonly string[]).includes(type)) throw new Error(`quota ${r.key}: unknown entity type ${type}`);
    entity[type as EntityType] = name;
  }
  return entity;
}
