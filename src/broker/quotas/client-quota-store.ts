import { join } from 'node:path';
import { JsonStateFile } from '../../storage/json-state-file.ts';
import { ENTITY_TYPES, entityKey, type QuotaEntity } from './quota-entity.ts';

/** One entity's quota values by key (producer_byte_rate → 1024). */
export interface EntityQuotas {
  readonly entity: QuotaEntity;
  readonly values: ReadonlyMap<string, number>;
}

/** A change to one key of one entity: a value to set, or null to remove it. */
export interface QuotaChange {
  readonly entity: QuotaEntity;
  readonly key: string;
  readonly value: number | null;
}

/**
 * The client quotas set with AlterClientQuotas, persisted in the data dir (Kafka keeps them in the
 * metadata log as ClientQuotaRecords, one per entity and key) and loaded at start. Every applied change
 * is handed to the listeners (the quota managers) at once, so a new quota throttles the next request.
 * Writes are atomic: a temp file, fsynced, renamed over the old one.
 */
export class ClientQuotaStore {
  private readonly entities = new Map<string, { entity: QuotaEntity; values: Map<string, number> }>();
  /** Null in memory only. */
  private readonly file: JsonStateFile | null;
  private readonly listeners: ((change: QuotaChange) => void)[] = [];
  /** Cluster mode: changes go to the cluster's metadata store instead of the file (attachRemote). */
  private remote: ((changes: readonly QuotaChange[]) => Promise<void>) | null = null;

  private constructor(file: JsonStateFile | null) {
    this.file = file;
  }

  /** In memory only (tests). */
  static inMemory(): ClientQuotaStore {
    return new ClientQuotaStore(null);
  }

  /** Loads `<dir>/client-quotas.json` (absent = no quotas). A corrupt file is an error naming it. */
  static async open(dir: string): Promise<ClientQuotaStore> {
    const store = new ClientQuotaStore(new JsonStateFile(join(dir, 'client-quotas.json')));
    await store.file!.load('client quotas', (data) => {
      const entries = (data as { entries?: { entity: Record<string, string | null>; values: Record<string, number> }[] }).entries ?? [];
      for (const e of entries) {
        const entity: QuotaEntity = {};
        for (const [t, name] of Object.entries(e.entity)) {
          if (!(ENTITY_TYPES as readonly string[]).includes(t)) throw new Error(`unknown entity type ${t}`);
          entity[t as keyof QuotaEntity] = name;
        }
        for (const [key, value] of Object.entries(e.values)) {
          if (typeof value !== 'number') throw new Error(`quota ${key} is not a number`);
          store.setInMemory(entity, key, value);
        }
      }
    });
    return store;
  }

  /** No quota value is set (nothing to measure or enforce). */
  get isEmpty(): boolean {
    return this.entities.size === 0;
  }

  /** Called for every value set or removed, including (from replay) those loaded at start. */
  onChange(listener: (change: QuotaChange) => void): void {
    this.listeners.push(listener);
  }

  /** Hands every stored value to the listeners (at start, after they are attached). */
  replay(): void {
    for (const { entity, values } of this.entities.values()) for (const [key, value] of values) this.emit({ entity, key, value });
  }

  get(entity: QuotaEntity): ReadonlyMap<string, number> | undefined {
    return this.entities.get(entityKey(entity))?.values;
  }

  all(): EntityQuotas[] {
    return [...this.entities.values()];
  }

  /**
   * Cluster mode: from now on this store mirrors the cluster's quotas (`replaceAll` with a listing,
   * `applyRemote` with watched changes) and `apply` writes through `write` (the metadata store) first
   * instead of the data dir's file, which is left as it is.
   */
  attachRemote(write: (changes: readonly QuotaChange[]) => Promise<void>): void {
    this.remote = write;
  }

  /** Applies the changes together (memory first, listeners at once), then persists them once. */
  async apply(changes: readonly QuotaChange[]): Promise<void> {
    if (changes.length === 0) return;
    // Cluster mode: durable in the metadata store first, then here (other brokers learn it by watch).
    if (this.remote) await this.remote(changes);
    for (const c of changes) this.applyInMemory(c);
    await this.persist();
  }

  /** One watched change of the cluster's quotas (another broker's, or this one's coming back). */
  applyRemote(change: QuotaChange): void {
    this.applyInMemory(change);
  }

  /** Replaces every value with a listing's; the listeners hear each value removed, added or changed. */
  replaceAll(values: readonly { entity: QuotaEntity; key: string; value: number }[]): void {
    const wanted = new Map(values.map((v) => [`${entityKey(v.entity)}\u0002${v.key}`, v]));
    for (const { entity, values: current } of [...this.entities.values()]) {
      for (const key of [...current.keys()]) if (!wanted.has(`${entityKey(entity)}\u0002${key}`)) this.applyInMemory({ entity, key, value: null });
    }
    for (const v of wanted.values()) this.applyInMemory(v);
  }

  /** Sets or removes one value and tells the listeners; no-op (and silent) when nothing changes. */
  private applyInMemory(c: QuotaChange): void {
    const k = entityKey(c.entity);
    const e = this.entities.get(k);
    if (c.value === null) {
      if (!e || !e.values.delete(c.key)) return;
      if (e.values.size === 0) this.entities.delete(k);
    } else {
      if (e?.values.get(c.key) === c.value) return;
      this.setInMemory(c.entity, c.key, c.value);
    }
    this.emit(c);
  }

  private emit(c: QuotaChange): void {
    for (const l of this.listeners) l(c);
  }

  private setInMemory(entity: QuotaEntity, key: string, value: number): void {
    const k = entityKey(entity);
    let e = this.entities.get(k);
    // Types in one order (user, client-id, ip), so every broker describes an entity alike however it was set.
    if (!e) this.entities.set(k, (e = { entity: Object.fromEntries(ENTITY_TYPES.filter((t) => t in entity).map((t) => [t, entity[t]])), values: new Map() }));
    e.values.set(key, value);
  }

  private persist(): Promise<void> {
    if (this.file === null || this.remote) return Promise.resolve();
    const entries = [...this.entities.values()].map(({ entity, values }) => ({ entity, values: Object.fromEntries(values) }));
    return this.file.write({ version: 1, entries });
  }
}
