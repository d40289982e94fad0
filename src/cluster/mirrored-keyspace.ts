/**
 * One keyspace of the metadata store (ACLs, SCRAM credentials, client quotas) mirrored in this
 * broker's memory: listed once, then watched from the revision after the listing, so every put and
 * delete any broker makes reaches the mirror in revision order. Kafka's brokers do the same by
 * replaying the metadata log; etcd gives us list + watch instead.
 *
 * A watch can break (etcd compacted past it, a connection dropped, a key the store cannot decode). The
 * mirror then lists and watches again, after a delay that doubles on every failure in a row, so a
 * store that is down is not hammered and one that comes back is caught up with at once.
 *
 * A stored record this broker cannot use: at open it fails the start, naming its key (nothing is
 * served from a half-read keyspace); once serving, it is skipped with a warning so one bad record
 * never freezes the rest of the mirror.
 */
import type { ClusterLogger } from './controller.ts';
import type { AclRecord, ClientQuotaRecord, ScramRecord } from '../protocol/metadata-records.ts';
import type { KeyspaceEvent, MetadataStore, MetadataWatch } from './metadata-store.ts';

/** A keyspace of the store: every record at one revision, and the changes after it. */
export interface Keyspace<R> {
  list(): Promise<{ records: R[]; revision: number }>;
  /** Every change from `fromRevision` on, in order; `onError`: the watch broke (list and watch again). */
  watch(fromRevision: number, onEvents: (events: KeyspaceEvent<R>[]) => void, onError: (err: Error) => void): Promise<MetadataWatch>;
}

/** The cluster's ACLs as a keyspace. */
export function aclKeyspace(store: MetadataStore): Keyspace<AclRecord> {
  return {
    list: async () => {
      const { acls, revision } = await store.listAcls();
      return { records: acls, revision };
    },
    watch: (from, onEvents, onError) => store.watchAcls(from, onEvents, onError),
  };
}

/** The cluster's SCRAM credentials as a keyspace. */
export function scramKeyspace(store: MetadataStore): Keyspace<ScramRecord> {
  return { list: () => store.listScramCredentials(), watch: (from, onEvents, onError) => store.watchScramCredentials(from, onEvents, onError) };
}

/** The cluster's client quotas as a keyspace. */
export function clientQuotaKeyspace(store: MetadataStore): Keyspace<ClientQuotaRecord> {
  return { list: () => store.listClientQuotas(), watch: (from, onEvents, onError) => store.watchClientQuotas(from, onEvents, onError) };
}

/** What the mirror saw change: everything (a listing), or some keys (one watched batch). */
export type MirrorChange<R, V> =
  | { kind: 'reset'; values: readonly V[] }
  | { kind: 'events'; events: readonly MirrorEvent<R, V>[] };

/**
 * One watched change as the mirror applied it. A delete carries the store's record of it (what its key
 * names) and the value it removed, if the mirror had one.
 */
export type MirrorEvent<R, V> =
  | { type: 'put'; key: string; value: V; revision: number }
  | { type: 'delete'; key: string; record: R; previous: V | undefined; revision: number };

export interface MirrorOptions<R, V> {
  /** Names the keyspace in log lines ("cluster ACLs"). */
  what: string;
  keyspace: Keyspace<R>;
  /** The mirror's key for a record; undefined = not for this broker (skipped silently); throws = unusable. */
  keyOf(record: R): string | undefined;
  /** The value a put carries; throws = unusable. */
  valueOf(record: R): V;
  logger: ClusterLogger;
  /** Runs after every change to the mirror, once per listing or watched batch (also the first listing). */
  onChange?: (change: MirrorChange<R, V>) => void;
  /** Delay before the first relist after a broken watch; doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

const DEFAULT_RETRY_DELAY_MS = 1000;
const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;

export class MirroredKeyspace<R, V> {
  readonly #opts: MirrorOptions<R, V>;
  readonly #entries = new Map<string, V>();
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  #watch: MetadataWatch | null = null;
  #retry: NodeJS.Timeout | undefined;
  #failures = 0;
  /** Bumped by every listing: callbacks of an older watch are ignored. */
  #generation = 0;
  #closed = false;

  private constructor(opts: MirrorOptions<R, V>) {
    this.#opts = opts;
    this.#retryDelayMs = opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.#maxRetryDelayMs = Math.max(this.#retryDelayMs, opts.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS);
  }

  /** Lists the keyspace and starts watching it. An unusable stored record rejects, naming it. */
  static async open<R, V>(opts: MirrorOptions<R, V>): Promise<MirroredKeyspace<R, V>> {
    const m = new MirroredKeyspace(opts);
    await m.#listAndWatch(true);
    return m;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  values(): V[] {
    return [...this.#entries.values()];
  }

  /**
   * A change this broker has just written to the store, applied here at once so the broker that
   * answered acts on it before its response leaves (the watch delivers the same put/delete later,
   * which is then a no-op). Does not call `onChange`: the writer knows what it changed.
   */
  setLocal(key: string, value: V | null): void {
    if (value === null) this.#entries.delete(key);
    else this.#entries.set(key, value);
  }

  close(): void {
    this.#closed = true;
    this.#generation++;
    clearTimeout(this.#retry);
    this.#watch?.close();
    this.#watch = null;
  }

  async #listAndWatch(strict: boolean): Promise<void> {
    const generation = ++this.#generation;
    const { records, revision } = await this.#opts.keyspace.list();
    if (generation !== this.#generation) return;
    const next = new Map<string, V>();
    for (const r of records) {
      let decoded: [string, V] | undefined;
      try {
        const key = this.#opts.keyOf(r);
        if (key !== undefined) decoded = [key, this.#opts.valueOf(r)];
      } catch (err) {
        if (strict) throw new Error(`${this.#opts.what}: a stored record cannot be used: ${(err as Error).message}`);
        this.#opts.logger.warn(`${this.#opts.what}: ignoring a stored record this broker cannot use (${(err as Error).message})`);
      }
      if (decoded) next.set(decoded[0], decoded[1]);
    }
    this.#entries.clear();
    for (const [k, v] of next) this.#entries.set(k, v);
    this.#opts.onChange?.({ kind: 'reset', values: [...next.values()] });
    const watch = await this.#opts.keyspace.watch(
      revision + 1,
      (events) => {
        if (generation === this.#generation) this.#onEvents(events);
      },
      (err) => {
        if (generation === this.#generation) this.#onWatchError(err);
      },
    );
    if (generation !== this.#generation) {
      // Closed (or relisted) while the watch was being set up: it must not outlive us.
      watch.close();
      return;
    }
    this.#watch = watch;
    this.#failures = 0;
  }

  #onEvents(events: KeyspaceEvent<R>[]): void {
    const applied: MirrorEvent<R, V>[] = [];
    for (const e of events) {
      try {
        const key = this.#opts.keyOf(e.record);
        if (key === undefined) continue;
        if (e.type === 'put') {
          const value = this.#opts.valueOf(e.record);
          this.#entries.set(key, value);
          applied.push({ type: 'put', key, value, revision: e.revision });
        } else {
          const previous = this.#entries.get(key);
          this.#entries.delete(key);
          applied.push({ type: 'delete', key, record: e.record, previous, revision: e.revision });
        }
      } catch (err) {
        this.#opts.logger.warn(`${this.#opts.what}: ignoring a stored record this broker cannot use (${(err as Error).message})`);
      }
    }
    if (applied.length > 0) this.#opts.onChange?.({ kind: 'events', events: applied });
  }

  #onWatchError(err: Error): void {
    if (this.#closed) return;
    // Whatever the old watch still delivers is stale from here on.
    this.#generation++;
    this.#watch?.close();
    this.#watch = null;
    const delay = Math.min(this.#maxRetryDelayMs, this.#retryDelayMs * 2 ** this.#failures);
    this.#failures++;
    this.#opts.logger.warn(`${this.#opts.what}: watch broke (${err.message}); listing and watching again in ${delay} ms`);
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      if (this.#closed) return;
      this.#listAndWatch(false).catch((e: unknown) => this.#onWatchError(e instanceof Error ? e : new Error(String(e))));
    }, delay);
    this.#retry.unref();
  }
}
