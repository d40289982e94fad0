/**
 * KafkaStreams: runs a Topology against a Kafka cluster (Kafka's names, states and handlers). start()
 * checks the topology against the cluster (source topics exist, co-partitioning), creates the internal
 * topics with Kafka's configs and starts the processing thread; close() commits and leaves the group.
 */
import { Admin } from "../client/admin.ts";
import { Cluster } from "../client/cluster.ts";
import type { BrokerAddress } from "../client/cluster.ts";
import { KafkaError } from "../client/errors.ts";
import { Producer } from "../client/producer.ts";
import { TransactionalProducer } from "../client/transactional-producer.ts";
import { eosTransactionalId, stableProcessId } from "./runtime/process-id.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { ReadOnlyKeyValueStore, ReadOnlyWindowStore, StateStore } from "./state/state-store.ts";
import { appRegistry } from "./runtime/app-registry.ts";
import { compositeKeyValueView, compositeWindowView } from "./runtime/composite-stores.ts";
import { parseStreamsConfig } from "./runtime/streams-config.ts";
import type { StreamsConfig, StreamsConfigInput } from "./runtime/streams-config.ts";
import { ApplicationShutdownRequested, StreamThread } from "./runtime/stream-thread.ts";
import { GlobalStreamThread } from "./runtime/global-stream-thread.ts";
import type { StateRestoreListener } from "./runtime/stream-task.ts";
import { analyzeTopology, CHANGELOG_TOPIC_CONFIG, REPARTITION_TOPIC_CONFIG, resolvePartitions } from "./runtime/topology-metadata.ts";
import type { TopologyMetadata } from "./runtime/topology-metadata.ts";
import type { Topology } from "./topology.ts";

/** Kafka's KafkaStreams.State. */
export type KafkaStreamsState = "CREATED" | "REBALANCING" | "RUNNING" | "PENDING_SHUTDOWN" | "NOT_RUNNING" | "PENDING_ERROR" | "ERROR";
export type StateListener = (newState: KafkaStreamsState, oldState: KafkaStreamsState) => void;

/** Kafka's StreamsUncaughtExceptionHandler responses. */
export const StreamThreadExceptionResponse = {
  REPLACE_THREAD: "REPLACE_THREAD",
  SHUTDOWN_CLIENT: "SHUTDOWN_CLIENT",
  SHUTDOWN_APPLICATION: "SHUTDOWN_APPLICATION",
} as const;
export type StreamThreadExceptionResponse = (typeof StreamThreadExceptionResponse)[keyof typeof StreamThreadExceptionResponse];
export type StreamsUncaughtExceptionHandler = (exception: Error) => StreamThreadExceptionResponse;

/** Kafka's QueryableStoreTypes, for `store(StoreQueryParameters.fromNameAndType(name, type))`. */
export const QueryableStoreTypes = {
  keyValueStore: () => "keyValue" as const,
  windowStore: () => "window" as const,
};
export const StoreQueryParameters = {
  fromNameAndType<T extends "keyValue" | "window">(storeName: string, queryableStoreType: T): { storeName: string; type: T } {
    return { storeName, type: queryableStoreType };
  },
};

export class IllegalStateException extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IllegalStateException";
  }
}
export class InvalidStateStoreException extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidStateStoreException";
  }
}

/** Kafka's valid transitions (KafkaStreams.State.isValidTransition). */
const TRANSITIONS: { [from in KafkaStreamsState]: KafkaStreamsState[] } = {
  CREATED: ["REBALANCING", "PENDING_SHUTDOWN", "PENDING_ERROR"],
  REBALANCING: ["RUNNING", "PENDING_SHUTDOWN", "PENDING_ERROR", "REBALANCING"],
  RUNNING: ["REBALANCING", "PENDING_SHUTDOWN", "PENDING_ERROR"],
  PENDING_SHUTDOWN: ["NOT_RUNNING"],
  NOT_RUNNING: [],
  PENDING_ERROR: ["ERROR"],
  ERROR: [],
};

function parseAddress(s: string): BrokerAddress {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
  if (!m) throw new Error(`Invalid url in bootstrap.servers: ${s} (expected host:port)`);
  return { host: m[1]!, port: Number(m[2]) };
}

export class KafkaStreams {
  private readonly topology: Topology;
  private readonly config: StreamsConfig;
  private current: KafkaStreamsState = "CREATED";
  private listener: StateListener | undefined;
  private exceptionHandler: StreamsUncaughtExceptionHandler | undefined;
  private restoreListener: StateRestoreListener | undefined;
  private cluster: Cluster | undefined;
  private thread: StreamThread | undefined;
  /** Owns the global stores (GlobalKTable, addGlobalStore); absent when the topology has none. */
  private globalThread: GlobalStreamThread | undefined;
  private globalCluster: Cluster | undefined;
  private meta: TopologyMetadata | undefined;
  private threadCount = 0;
  private closing: Promise<void> | undefined;

  constructor(topology: Topology, props: StreamsConfigInput) {
    this.topology = topology;
    const reg = appRegistry();
    // `kstream streams run --config k=v` wins over what the app wrote, as a properties file would.
    this.config = parseStreamsConfig({ ...props, ...reg.overrides });
    reg.created.push(this.registered);
  }

  private readonly registered = {
    state: () => this.current,
    close: () => this.close(),
    describeTopology: () => this.topology.describe().toString(),
  };

  state(): KafkaStreamsState {
    return this.current;
  }

  private setState(next: KafkaStreamsState): void {
    const old = this.current;
    if (old === next) return; // REBALANCING → REBALANCING (a rebalance during a rebalance) is not news
    if (!TRANSITIONS[old].includes(next)) return;
    this.current = next;
    this.listener?.(next, old);
  }

  setStateListener(listener: StateListener): void {
    if (this.current !== "CREATED") throw new IllegalStateException("Can only set StateListener before calling start(). Current state is: " + this.current);
    this.listener = listener;
  }
  setUncaughtExceptionHandler(handler: StreamsUncaughtExceptionHandler): void {
    if (this.current !== "CREATED") throw new IllegalStateException("Can only set UncaughtExceptionHandler before calling start(). Current state is: " + this.current);
    this.exceptionHandler = handler;
  }
  setGlobalStateRestoreListener(listener: StateRestoreListener): void {
    if (this.current !== "CREATED") throw new IllegalStateException("Can only set GlobalStateRestoreListener before calling start(). Current state is: " + this.current);
    this.restoreListener = listener;
  }

  /** Checks the topology against the cluster, creates internal topics and starts processing. */
  async start(): Promise<void> {
    if (this.current !== "CREATED") throw new IllegalStateException("The client is either already started or already stopped, cannot re-start");
    const reg = appRegistry();
    if (reg.describeOnly) return; // `kstream streams describe`: the topology is all that is wanted
    this.setState("REBALANCING");
    reg.started.add(this.registered);
    try {
      const meta = analyzeTopology(this.topology, this.config.applicationId);
      this.meta = meta;
      this.cluster = new Cluster({ bootstrap: this.config.bootstrapServers.map(parseAddress), clientId: `${this.config.applicationId}-StreamThread-1`, security: this.config.security });
      await this.createInternalTopics(this.cluster, meta);
      // Global stores are restored before any task processes (Kafka starts the global thread first).
      if (meta.global.stores.length > 0 && !this.closing) await this.startGlobalThread(meta);
      if (this.closing) {
        // close() was called meanwhile (it may have run before the global thread existed): stop what started.
        await this.closeGlobal();
        return;
      }
      if (meta.subtopologies.length > 0) this.startThread();
      else this.setState("RUNNING"); // a topology of global stores only: no group, no tasks
    } catch (e) {
      if (this.closing) return; // close() stopped the restore: not an error, close() owns the state
      this.setState("PENDING_ERROR");
      await this.closeGlobal();
      await this.cluster?.close().catch(() => undefined);
      this.setState("ERROR");
      throw e;
    }
  }

  private async createInternalTopics(cluster: Cluster, meta: TopologyMetadata): Promise<void> {
    const external = [...new Set(meta.subtopologies.flatMap((s) => s.sourceTopics).filter((t) => !meta.repartitionTopics.has(t)))];
    const counts = new Map<string, number>();
    const missing: string[] = [];
    for (const t of external) {
      try {
        const [info] = await cluster.topicMetadata([t]);
        counts.set(t, info!.partitions.length);
      } catch (e) {
        if (e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) missing.push(t);
        else throw e;
      }
    }
    const missingGlobal: string[] = [];
    for (const [t, store] of meta.global.topicToStore) {
      try {
        await cluster.topicMetadata([t]);
      } catch (e) {
        if (e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) missingGlobal.push(`${t} (global store ${store})`);
        else throw e;
      }
    }
    if (missingGlobal.length > 0) throw new Error(`Missing source topics of global stores: [${missingGlobal.join(", ")}] (create them before starting application ${this.config.applicationId})`);
    if (missing.length > 0) throw new Error(`Missing source topics: [${missing.join(", ")}] (create them before starting application ${this.config.applicationId})`);
    const { topicPartitions, tasksPerSubtopology } = resolvePartitions(this.topology, meta, counts, this.config.applicationId);
    const admin = new Admin(cluster);
    const create = async (name: string, partitions: number, configs: { [key: string]: string }): Promise<void> => {
      try {
        await admin.createTopic(name, { partitions, configs });
      } catch (e) {
        if (!(e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw e;
      }
    };
    for (const t of meta.repartitionTopics.keys()) await create(t, topicPartitions.get(t)!, REPARTITION_TOPIC_CONFIG);
    for (const sub of meta.subtopologies) {
      for (const s of sub.stores) {
        if (s.changelog) await create(s.changelog, tasksPerSubtopology.get(sub.id)!, { ...CHANGELOG_TOPIC_CONFIG, ...s.logConfig });
      }
    }
  }

  private async startGlobalThread(meta: TopologyMetadata): Promise<void> {
    // Kafka's client.id defaults to `<application.id>-<process id>`; the global consumer is `<client.id>-global-consumer`.
    const clientId = typeof this.config.raw["client.id"] === "string" && this.config.raw["client.id"] !== ""
      ? this.config.raw["client.id"]
      : `${this.config.applicationId}-${stableProcessId(this.config.stateDir, this.config.applicationId)}`;
    this.globalCluster = new Cluster({ bootstrap: this.config.bootstrapServers.map(parseAddress), clientId: `${clientId}-global-consumer`, security: this.config.security });
    const global = new GlobalStreamThread(`${clientId}-GlobalStreamThread`, this.topology, meta.global, this.config, this.globalCluster, {
      onError: (e) => void this.handleGlobalThreadError(e),
      restoreListener: () => this.restoreListener,
    });
    this.globalThread = global;
    await global.start();
  }

  private async closeGlobal(): Promise<void> {
    const global = this.globalThread;
    this.globalThread = undefined;
    await global?.close().catch((e: unknown) => process.stderr.write(`[kstream-streams] closing the global thread: ${(e as Error).message}\n`));
    await this.globalCluster?.close().catch(() => undefined);
    this.globalCluster = undefined;
  }

  /**
   * The global thread died: Kafka's client cannot run without its global stores, so it shuts down
   * (the handler is told; REPLACE_THREAD is not possible for the global thread and counts as SHUTDOWN_CLIENT).
   */
  private async handleGlobalThreadError(e: Error): Promise<void> {
    if (this.closing) return;
    let response: StreamThreadExceptionResponse = "SHUTDOWN_CLIENT";
    if (this.exceptionHandler) {
      try {
        response = this.exceptionHandler(e);
      } catch (inner) {
        process.stderr.write(`[kstream-streams] the uncaught exception handler threw: ${(inner as Error).message}\n`);
      }
    } else {
      process.stderr.write(`[kstream-streams] the global thread failed: ${e.stack ?? e.message}\n`);
    }
    const thread = this.thread;
    this.thread = undefined;
    if (thread) {
      if (response === "SHUTDOWN_APPLICATION") await thread.requestApplicationShutdown().catch(() => undefined);
      await thread.close(false).catch(() => undefined);
    }
    this.setState("PENDING_ERROR");
    await this.closeGlobal();
    await this.cluster?.close().catch(() => undefined);
    this.setState("ERROR");
  }

  private startThread(): void {
    const name = `${this.config.applicationId}-StreamThread-${++this.threadCount}`;
    const index = this.threadCount;
    let txn: TransactionalProducer | null = null;
    if (this.config.processingGuarantee === "exactly_once_v2") {
      const processId = stableProcessId(this.config.stateDir, this.config.applicationId);
      // Kafka Streams' EOS default: 10 s, so a killed instance's transaction cannot hold back read_committed readers long.
      txn = new TransactionalProducer(this.cluster!, { transactionalId: eosTransactionalId(this.config.applicationId, processId, index), transactionTimeoutMs: 10_000, lingerMs: 5 });
    }
    const producer = txn ?? new Producer(this.cluster!, { acks: -1, lingerMs: 5 });
    const thread = new StreamThread(name, this.topology, this.meta!, this.config, this.cluster!, producer, {
      onRebalancing: () => this.setState("REBALANCING"),
      onRunning: () => this.setState("RUNNING"),
      onError: (e) => void this.handleThreadError(thread, e),
      restoreListener: () => this.restoreListener,
      globalStore: (name) => this.globalThread?.store(name),
    }, txn);
    this.thread = thread;
    thread.start();
  }

  private async handleThreadError(thread: StreamThread, e: Error): Promise<void> {
    if (this.closing || thread !== this.thread) return;
    let response: StreamThreadExceptionResponse = "SHUTDOWN_CLIENT";
    if (e instanceof ApplicationShutdownRequested) {
      process.stderr.write(`[kstream-streams] ${thread.name}: ${e.message}; shutting down\n`);
    } else if (this.exceptionHandler) {
      try {
        response = this.exceptionHandler(e);
      } catch (inner) {
        process.stderr.write(`[kstream-streams] the uncaught exception handler threw: ${(inner as Error).message}\n`);
      }
    } else {
      process.stderr.write(`[kstream-streams] ${thread.name} failed: ${e.stack ?? e.message}\n`);
    }
    if (response === "SHUTDOWN_APPLICATION") await thread.requestApplicationShutdown().catch(() => undefined);
    await thread.close(false).catch(() => undefined);
    if (response === "REPLACE_THREAD" && !this.closing) {
      this.setState("REBALANCING");
      this.startThread();
      return;
    }
    // SHUTDOWN_CLIENT, or SHUTDOWN_APPLICATION (requested by us or by another instance).
    this.thread = undefined;
    this.setState("PENDING_ERROR");
    await this.closeGlobal();
    await this.cluster?.close().catch(() => undefined);
    this.setState("ERROR");
  }

  /** Stops processing: commits, writes checkpoints, leaves the group. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.current === "ERROR" || this.current === "NOT_RUNNING") return;
      this.setState("PENDING_SHUTDOWN");
      try {
        await this.thread?.close(true);
      } finally {
        this.thread = undefined;
        // After the stream threads, as Kafka: the global thread stops and checkpoints its stores.
        await this.closeGlobal();
        await this.cluster?.close().catch(() => undefined);
        this.setState("NOT_RUNNING");
      }
    })();
    return this.closing;
  }

  /** Deletes this application's local state directory (Kafka's cleanUp; only when not running). */
  cleanUp(): void {
    if (this.current !== "CREATED" && this.current !== "NOT_RUNNING" && this.current !== "ERROR") {
      throw new IllegalStateException("Cannot clean up while running.");
    }
    rmSync(join(this.config.stateDir, this.config.applicationId), { recursive: true, force: true });
  }

  /** Active task ids on this instance (Kafka's `0_1` form). */
  activeTasks(): string[] {
    return this.thread?.activeTaskIds() ?? [];
  }

  /** Standby task ids on this instance (num.standby.replicas; Kafka's ThreadMetadata.standbyTasks()). */
  standbyTasks(): string[] {
    return this.thread?.standbyTaskIds() ?? [];
  }

  /**
   * Interactive queries: a read-only view over every local task's instance of the store.
   * `store(name)` picks the view from the store's kind; `store(StoreQueryParameters.fromNameAndType(…))` as Kafka.
   */
  store<K, V>(name: string): ReadOnlyKeyValueStore<K, V> | ReadOnlyWindowStore<K, V>;
  store<K, V>(params: { storeName: string; type: "keyValue" }): ReadOnlyKeyValueStore<K, V>;
  store<K, V>(params: { storeName: string; type: "window" }): ReadOnlyWindowStore<K, V>;
  store<K, V>(p: string | { storeName: string; type: "keyValue" | "window" }): ReadOnlyKeyValueStore<K, V> | ReadOnlyWindowStore<K, V> {
    const name = typeof p === "string" ? p : p.storeName;
    if (this.current !== "RUNNING" && this.current !== "REBALANCING") {
      throw new InvalidStateStoreException(`KafkaStreams is not running. State is ${this.current}.`);
    }
    if (!this.topology.storeBuilders.has(name)) throw new InvalidStateStoreException(`Cannot get state store ${name} because no such store is registered in the topology.`);
    const global = this.topology.globalStoreNames.has(name);
    // A global store is complete on every instance (Kafka's GlobalStateStoreProvider): one store, not one per task.
    const stores = (): StateStore[] => {
      if (!global) return this.thread?.storesNamed(name) ?? [];
      const s = this.globalThread?.store(name);
      return s ? [s] : [];
    };
    const kind = typeof p === "string" ? undefined : p.type;
    const sample = stores()[0];
    const isWindow = kind === "window" || (kind === undefined && sample !== undefined && "fetchRange" in sample);
    return isWindow ? compositeWindowView<K, V>(name, stores) : compositeKeyValueView<K, V>(name, stores);
  }
}
