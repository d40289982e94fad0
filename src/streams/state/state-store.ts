/**
 * Store interfaces shared by the DSL, the Processor API, the test driver and (later) the broker runtime.
 * Stores hold bytes underneath (Kafka's layering: bytes store ← typed wrapper) so a changelogging layer
 * can sit between them without knowing the types.
 */
import type { Serde } from "../serdes.ts";
import type { Windowed } from "../windows.ts";
import type { Headers } from "../processor.ts";
import type { ThreadCache } from "./thread-cache.ts";

/** What a store needs from its task when it opens: default serdes and a name for errors. */
export interface StateStoreContext {
  applicationId(): string;
  keySerde(): Serde<unknown> | undefined;
  valueSerde(): Serde<unknown> | undefined;
  /** Where persistent stores keep their files (state.dir); undefined = only in-memory stores allowed. */
  stateDir?(): string | undefined;
  /** The directory of this task's persistent stores (the broker runtime: <state.dir>/<app>/<task id>). */
  taskDir?(): string | undefined;
  /** The instance's record cache (the broker runtime with statestore.cache.max.bytes > 0); absent = no caching. */
  cache?(): ThreadCache | undefined;
  /** Timestamp and headers of the record being processed (what a cached write remembers). */
  recordContext?(): { timestamp: number; headers: Headers };
}

export interface StateStore {
  name(): string;
  init(context: StateStoreContext): void;
  persistent(): boolean;
  isOpen(): boolean;
  flush(): void;
  close(): void;
}

export interface KeyValue<K, V> {
  key: K;
  value: V;
}

export interface ReadOnlyKeyValueStore<K, V> {
  get(key: K): V | null;
  /** Keys from..to inclusive in serialized-byte order (as Kafka); undefined bound = open. */
  range(from: K | undefined, to: K | undefined): Array<KeyValue<K, V>>;
  all(): Array<KeyValue<K, V>>;
  approximateNumEntries(): number;
}
export interface KeyValueStore<K, V> extends StateStore, ReadOnlyKeyValueStore<K, V> {
  put(key: K, value: V | null): void;
  putIfAbsent(key: K, value: V): V | null;
  putAll(entries: Array<KeyValue<K, V>>): void;
  delete(key: K): V | null;
}

export interface ValueAndTimestamp<V> {
  value: V;
  timestamp: number;
}
export type TimestampedKeyValueStore<K, V> = KeyValueStore<K, ValueAndTimestamp<V>>;

/** Window store entries: key = window start timestamp (Kafka's WindowStoreIterator). */
export interface ReadOnlyWindowStore<K, V> {
  fetch(key: K, windowStartMs: number): V | null;
  fetchRange(key: K, timeFrom: number, timeTo: number): Array<KeyValue<number, V>>;
  fetchAll(timeFrom: number, timeTo: number): Array<KeyValue<Windowed<K>, V>>;
  all(): Array<KeyValue<Windowed<K>, V>>;
}
export interface WindowStore<K, V> extends StateStore, ReadOnlyWindowStore<K, V> {
  put(key: K, value: V | null, windowStartMs: number): void;
}

export interface ReadOnlySessionStore<K, V> {
  /** Sessions of `key` with end >= earliestSessionEndTime and start <= latestSessionStartTime. */
  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): Array<KeyValue<Windowed<K>, V>>;
  fetchSession(key: K, sessionStartTime: number, sessionEndTime: number): V | null;
  fetch(key: K): Array<KeyValue<Windowed<K>, V>>;
}
export interface SessionStore<K, V> extends StateStore, ReadOnlySessionStore<K, V> {
  put(sessionKey: Windowed<K>, aggregate: V | null): void;
  remove(sessionKey: Windowed<K>): void;
}

/**
 * The changelogging seam (Kafka's ChangeLogging* layer): a task hands a logger to each logged store;
 * every write goes to the store and, as (key bytes, value bytes | null, timestamp?), to the logger.
 * `restoreRecord` applies one changelog record back (Kafka's StateRestoreCallback), bypassing the logger.
 */
export interface ChangeLogger {
  log(key: Buffer, value: Buffer | null, timestamp?: number): void;
}
export interface LoggableStore {
  setChangeLogger(logger: ChangeLogger | undefined): void;
  restoreRecord(key: Buffer, value: Buffer | null, timestamp: number): void;
}
export function isLoggable(s: StateStore): s is StateStore & LoggableStore {
  return typeof (s as Partial<LoggableStore>).setChangeLogger === "function" && typeof (s as Partial<LoggableStore>).restoreRecord === "function";
}

/**
 * Kafka's CacheFlushListener: a cached store calls it for each entry it flushes (commit or eviction)
 * with the new and the previous stored value, in the write's record context.
 */
export type CacheFlushListener<K, V> = (key: K, newValue: V | null, oldValue: V | null, timestamp: number, headers: Headers) => void;
export interface CachedStore<K, V> {
  /** Registers the listener; true when the store is cached, i.e. the listener (not the processor) forwards. */
  setFlushListener(listener: CacheFlushListener<K, V>): boolean;
}
/** Kafka's TimestampedTupleForwarder setup: true when the store forwards on flush (caching on). */
export function setFlushListener<K, V>(store: unknown, listener: CacheFlushListener<K, V>): boolean {
  const s = store as Partial<CachedStore<K, V>>;
  return typeof s.setFlushListener === "function" ? s.setFlushListener(listener) : false;
}

/** Builds a fresh store per task; the runtime adds logging around what it builds. */
export interface StoreBuilder<S extends StateStore> {
  name(): string;
  build(): S;
  loggingEnabled(): boolean;
  logConfig(): { [key: string]: string };
  withLoggingEnabled(config: { [key: string]: string }): StoreBuilder<S>;
  withLoggingDisabled(): StoreBuilder<S>;
  withCachingEnabled(): StoreBuilder<S>;
  withCachingDisabled(): StoreBuilder<S>;
}
