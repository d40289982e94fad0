/**
 * Client quota entities and keys as Kafka names them (org.apache.kafka.common.quota.ClientQuotaEntity,
 * QuotaConfig). An entity is a set of (type → name) pairs, types `user`, `client-id` and `ip`; a null
 * name is the type's default (`--entity-default`, `/config/users/<default>`). A quota value is a double
 * on the wire; its key decides which entity types may carry it and how it is validated.
 */

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';
export type EntityType = typeof USER | typeof CLIENT_ID | typeof IP;
export const ENTITY_TYPES: readonly EntityType[] = [USER, CLIENT_ID, IP];

/** An entity: at most one name per type; null = the default entity of that type. */
export type QuotaEntity = Partial<Record<EntityType, string | null>>;

export const PRODUCER_BYTE_RATE = 'producer_byte_rate';
export const CONSUMER_BYTE_RATE = 'consumer_byte_rate';
export const REQUEST_PERCENTAGE = 'request_percentage';
export const CONTROLLER_MUTATION_RATE = 'controller_mutation_rate';
export const CONNECTION_CREATION_RATE = 'connection_creation_rate';

/** ConfigDef types of the quota keys: integral ones refuse fractions and values past their range. */
type QuotaKeyType = 'LONG' | 'DOUBLE' | 'INT';

/** QuotaConfig.userAndClientQuotaConfigs(): the keys a user and/or client-id entity may carry. */
export const USER_CLIENT_QUOTA_KEYS: ReadonlyMap<string, QuotaKeyType> = new Map([
  [PRODUCER_BYTE_RATE, 'LONG'],
  [CONSUMER_BYTE_RATE, 'LONG'],
  [REQUEST_PERCENTAGE, 'DOUBLE'],
  [CONTROLLER_MUTATION_RATE, 'DOUBLE'],
]);

/** QuotaConfig.ipConfigs(): the keys an ip entity may carry. */
export const IP_QUOTA_KEYS: ReadonlyMap<string, QuotaKeyType> = new Map([[CONNECTION_CREATION_RATE, 'INT']]);

/** A stable map key for an entity (types in a fixed order; default names distinct from any real name). */
export function entityKey(e: QuotaEntity): string {
  return ENTITY_TYPES.filter((t) => t in e)
    .map((t) => `${t}=${e[t] === null ? '\u0000default' : e[t]}`)
    .join('\u0001');
}

/** `user alice, client-id <default>` — for messages and logs, as Kafka's ClientQuotaEntity.toString lists it. */
export function describeEntity(e: QuotaEntity): string {
  const parts = ENTITY_TYPES.filter((t) => t in e).map((t) => `${t} ${e[t] === null ? '<default>' : e[t]}`);
  return parts.length > 0 ? parts.join(', ') : '(empty entity)';
}

/** Kafka's messages for a value a key does not accept (ClientQuotaControlManager.validateQuotaKeyValue). */
export function validateQuotaValue(keys: ReadonlyMap<string, QuotaKeyType>, key: string, value: number): string | null {
  const type = keys.get(key);
  if (type === undefined) return `Invalid configuration key ${key}`;
  if (!(value > 0)) return `Quota ${key} must be greater than 0`;
  if (type === 'DOUBLE') return Number.isFinite(value) ? null : `Quota ${key} must be a finite number`;
  if (type === 'INT' && value > 2147483647) return `Proposed value for ${key} is too large for an INT.`;
  if (type === 'LONG' && value > 9223372036854775807) return `Proposed value for ${key} is too large for a LONG.`;
  if (Math.abs(value % 1) > 1e-6) return `${key} cannot be a fractional value.`;
  return null;
}
