/**
 * The global thread of one instance (Kafka's GlobalStreamThread + GlobalStateManagerImpl +
 * GlobalStateUpdateTask): it owns every global store and keeps it a full copy of its source topic.
 * It reads with no group (every partition of every global topic, assigned), and its source topics are
 * the stores' changelogs: start() brings each store up to the topics' end offsets (from the global
 * `.checkpoint` when there is one, else from the beginning) before stream processing starts, then
 * the readers keep applying updates. Under exactly_once_v2 it reads read_committed, so the "end" is
 * the last stable offset and aborted records never reach a global store.
 *
 * The checkpoint is Kafka's: `<state.dir>/<application.id>/global/.checkpoint`, in the OffsetCheckpoint
 * format, holding per partition the *next* offset to read (the consumer's position; task checkpoints
 * hold the last applied offset instead, as in Kafka), for persistent stores only. It is written every
 * commit.interval.ms when something was applied, and at close.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Cluster } from "../../client/cluster.ts";
import { Consumer } from "../../client/consumer.ts";
import { EARLIEST, LATEST, listOffsets, tpKey } from "../../client/list-offsets.ts";
import type { StateStore } from "../state/state-store.ts";
import type { Topology } from "../topology.ts";
import { CHECKPOINT_FILE_NAME, readCheckpoint, writeCheckpoint } from "./checkpoint-file.ts";
import type { CheckpointEntry } from "./checkpoint-file.ts";
import type { StateRestoreListener } from "./stream-task.ts";
import type { StreamsConfig } from "./streams-config.ts";
import { TaskGraph } from "./task-graph.ts";
import type { GlobalTopologyInfo } from "./topology-metadata.ts";

/** Kafka's name for the global state directory under `<state.dir>/<application.id>`. */
export const GLOBAL_STATE_DIR = "global";

export interface GlobalThreadHooks {
  /** A fatal error after start() resolved (the thread has stopped applying updates). */
  onError(e: Error): void;
  restoreListener(): StateRestoreListener | undefined;
}

interface PartitionState {
  topic: string;
  partition: number;
  store: string;
  /** Next offset to apply. */
  position: number;
  /** The end offset at start (high watermark, or LSO under EOS): restore is done at it. */
  restoreEnd: number;
  restored: number;
  restoring: boolean;
}

export class GlobalStreamThread {
  readonly name: string;
  private readonly topology: Topology;
  private readonly info: GlobalTopologyInfo;
  private readonly config: StreamsConfig;
  private readonly cluster: Cluster;
  private readonly hooks: GlobalThreadHooks;
  private readonly dir: string;
  private readonly eos: boolean;
  private graph: TaskGraph | undefined;
  private readonly partitions = new Map<string, PartitionState>();
  private readers: Array<{ consumer: Consumer; done: Promise<void> }> = [];
  private running = false;
  private failure: Error | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Positions as of the last checkpoint (a checkpoint is written only when they moved). */
  private checkpointed = new Map<string, number>();
  private restoreWaiter: { resolve(): void; reject(e: Error): void } | undefined;
  private pendingRestores = 0;
  /** start() has resolved: a failure from here on goes to hooks.onError, before it rejects start(). */
  private started = false;
  private closing: Promise<void> | undefined;

  constructor(name: string, topology: Topology, info: GlobalTopologyInfo, config: StreamsConfig, cluster: Cluster, hooks: GlobalThreadHooks) {
    this.name = name;
    this.topology = topology;
    this.info = info;
    this.config = config;
    this.cluster = cluster;
    this.hooks = hooks;
    this.dir = join(config.stateDir, config.applicationId, GLOBAL_STATE_DIR);
    this.eos = config.processingGuarantee === "exactly_once_v2";
  }

  private get checkpointPath(): string {
    return join(this.dir, CHECKPOINT_FILE_NAME);
  }

  /**
   * Restores every global store to the current end of its topic, then keeps applying updates.
   * Resolves with the number of records restored (what the restore listener's onRestoreEnd summed).
   */
  async start(): Promise<number> {
    const tps: Array<{ topic: string; partition: number; store: string }> = [];
    for (const [topic, store] of this.info.topicToStore) {
      const [meta] = await this.cluster.topicMetadata([topic]);
      if (!meta || meta.partitions.length === 0) throw new Error(`There are no partitions available for topic ${topic} when initializing global store ${store}`);
      for (const p of meta.partitions) tps.push({ topic, partition: p.partition, store });
    }
    const ends = await listOffsets(this.cluster, tps.map((tp) => ({ topic: tp.topic, partition: tp.partition, timestamp: LATEST })), 5, this.eos ? 1 : 0);
    const starts = await listOffsets(this.cluster, tps.map((tp) => ({ topic: tp.topic, partition: tp.partition, timestamp: EARLIEST })));
    // close() during the look-ups above: start nothing it would not stop.
    if (this.closing) throw new Error(`${this.name} was closed while restoring the global stores`);
    const checkpoint = this.validCheckpoint(tps, ends, starts);
    mkdirSync(this.dir, { recursive: true });
    const graph = this.buildGraph();
    this.graph = graph;
    const listener = this.hooks.restoreListener();
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition);
      const persistent = graph.getStateStore(tp.store)?.persistent() === true;
      const earliest = Number(starts.get(key) ?? 0n);
      const position = persistent ? (checkpoint.get(key) ?? earliest) : earliest;
      const end = Number(ends.get(key) ?? 0n);
      const state: PartitionState = { ...tp, position, restoreEnd: end, restored: 0, restoring: true };
      this.partitions.set(key, state);
      listener?.onRestoreStart?.({ topic: tp.topic, partition: tp.partition }, tp.store, position, end);
      this.pendingRestores++;
    }
    this.checkpointed = new Map([...this.partitions].map(([k, p]) => [k, p.position]));
    const restored = new Promise<void>((resolve, reject) => (this.restoreWaiter = { resolve, reject }));
    this.running = true;
    for (const p of this.partitions.values()) {
      if (p.position >= p.restoreEnd) this.finishRestore(p);
    }
    if (this.pendingRestores === 0) this.restoreWaiter?.resolve();
    for (const p of this.partitions.values()) this.startReader(p);
    try {
      await restored;
      if (this.failure) throw this.failure;
    } catch (e) {
      await this.close();
      throw e;
    }
    this.restoreWaiter = undefined;
    this.started = true;
    // A restored store is checkpointed at once, so a crash right after start restores only the tail.
    this.maybeCheckpoint();
    this.timer = setInterval(() => {
      try {
        this.maybeCheckpoint();
      } catch (e) {
        this.fail(e);
      }
    }, Math.max(10, this.config.commitIntervalMs));
    this.timer.unref?.();
    return [...this.partitions.values()].reduce((n, p) => n + p.restored, 0);
  }

  /**
   * The checkpoint's offsets, or none (and the directory wiped) when the local state cannot be
   * trusted: no checkpoint (a crash, or never run), or an offset outside the topic's current log (the
   * topic was recreated or truncated; Kafka's global consumer, with auto.offset.reset=none, hits an
   * InvalidOffsetException there and wipes the global state too).
   */
  private validCheckpoint(tps: Array<{ topic: string; partition: number; store: string }>, ends: Map<string, bigint>, starts: Map<string, bigint>): Map<string, number> {
    const path = this.checkpointPath;
    if (!existsSync(path)) {
      rmSync(this.dir, { recursive: true, force: true });
      return new Map();
    }
    const entries = readCheckpoint(path);
    const known = new Set(tps.map((tp) => tpKey(tp.topic, tp.partition)));
    for (const e of entries) {
      if (!known.has(tpKey(e.topic, e.partition))) {
        throw new Error(
          `Encountered a topic-partition in the global checkpoint file not associated with any global state store, topic-partition: ${e.topic}-${e.partition}, checkpoint file: ${path}. ` +
            "If this topic-partition is no longer valid, an application reset and state store directory cleanup will be required.",
        );
      }
    }
    for (const e of entries) {
      const key = tpKey(e.topic, e.partition);
      const lo = Number(starts.get(key) ?? 0n);
      // Under EOS `ends` is the LSO; a checkpoint past it (but within the high watermark) cannot come
      // from a read_committed reader, so checking against the LSO is also right there.
      const hi = Number(ends.get(key) ?? 0n);
      if (e.offset < lo || e.offset > hi) {
        process.stderr.write(`[kstream-streams] ${this.name}: global checkpoint offset ${e.offset} of ${e.topic}-${e.partition} is outside the log [${lo}, ${hi}]: wiping the global state and restoring it from the beginning\n`);
        rmSync(this.dir, { recursive: true, force: true });
        return new Map();
      }
    }
    // The checkpoint describes the stores as they are now; once updates are applied it does not, until
    // the next one is written (a crash in between restores from here again: updates are idempotent puts).
    return new Map(entries.map((e) => [tpKey(e.topic, e.partition), e.offset]));
  }

  private buildGraph(): TaskGraph {
    const config = this.config;
    return new TaskGraph(
      this.topology,
      {
        applicationId: config.applicationId,
        defaultKeySerde: config.defaultKeySerde,
        defaultValueSerde: config.defaultValueSerde,
        appConfigs: config.raw,
        stateDir: config.stateDir,
        taskDir: this.dir,
        nodes: this.info.nodes,
        now: Date.now,
        global: true,
        onDeserializationError: (topic, raw, e) => {
          if (config.deserializationHandler === "logAndFail") return "fail";
          process.stderr.write(`[kstream-streams] ${this.name}: skipping record ${topic}-${raw.partition}@${raw.offset} that failed to deserialize: ${e.message}\n`);
          return "continue";
        },
      },
      {
        // A global processor updates its store; it has no sink to send to (Kafka's global task neither).
        send: (topic) => {
          throw new Error(`A global store's processor cannot send records (to topic ${topic})`);
        },
      },
      // Kafka's GlobalProcessorContextImpl task id.
      { subtopology: -1, partition: -1 },
    );
  }

  private startReader(p: PartitionState): void {
    const graph = this.graph!;
    const consumer = new Consumer(this.cluster, {
      start: { type: "offset", offset: p.position },
      maxWaitMs: Math.max(50, Math.min(this.config.pollMs * 2, 500)),
      isolationLevel: this.eos ? "read_committed" : "read_uncommitted",
    });
    consumer.assign([{ topic: p.topic, partitions: [p.partition] }]);
    const listener = this.hooks.restoreListener();
    const done = consumer
      .run((batch) => {
        if (!this.running || this.failure) {
          consumer.stop();
          return;
        }
        try {
          let n = 0;
          batch.forEach((r) => {
            graph.process(p.topic, { key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headerCount === 0 ? [] : r.headers, offset: r.offset, partition: p.partition });
            // Kafka's restore counts the records with a key (a keyless record cannot update a table).
            if (p.restoring && r.offset < p.restoreEnd && r.key !== null) n++;
          });
          p.position = batch.nextOffset;
          if (p.restoring) {
            p.restored += n;
            listener?.onBatchRestored?.({ topic: p.topic, partition: p.partition }, p.store, p.position, n);
            if (p.position >= p.restoreEnd) this.finishRestore(p);
          }
        } catch (e) {
          consumer.stop();
          this.fail(e);
        }
      })
      .catch((e: unknown) => this.fail(e));
    this.readers.push({ consumer, done });
  }

  private finishRestore(p: PartitionState): void {
    p.restoring = false;
    this.hooks.restoreListener()?.onRestoreEnd?.({ topic: p.topic, partition: p.partition }, p.store, p.restored);
    if (--this.pendingRestores === 0) this.restoreWaiter?.resolve();
  }

  private fail(e: unknown): void {
    if (this.failure || !this.running) return;
    this.failure = e instanceof Error ? e : new Error(String(e));
    if (this.started) this.hooks.onError(this.failure);
    else this.restoreWaiter?.reject(this.failure);
  }

  /** Flushes the stores and writes the checkpoint when an update was applied since the last one. */
  private maybeCheckpoint(force = false): void {
    const graph = this.graph;
    if (!graph) return;
    const moved = [...this.partitions].some(([k, p]) => this.checkpointed.get(k) !== p.position);
    if (!moved && !force && existsSync(this.checkpointPath)) return;
    for (const s of graph.stateStores().values()) s.flush();
    const entries: CheckpointEntry[] = [];
    for (const p of this.partitions.values()) {
      // Only persistent stores are checkpointed (Kafka): an in-memory store restores from the beginning.
      if (graph.getStateStore(p.store)?.persistent()) entries.push({ topic: p.topic, partition: p.partition, offset: p.position });
    }
    writeCheckpoint(this.checkpointPath, entries);
    this.checkpointed = new Map([...this.partitions].map(([k, p]) => [k, p.position]));
  }

  /** A global store owned by this thread (what stream tasks and interactive queries read). */
  store(name: string): StateStore | undefined {
    return this.graph?.getStateStore(name);
  }

  /** Each global partition's next offset to apply (diagnostics and tests). */
  positions(): Array<{ topic: string; partition: number; offset: number }> {
    return [...this.partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.position }));
  }

  /** Stops reading; after a clean run the stores are flushed and checkpointed, then closed. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    // Closed while restoring (KafkaStreams.close() during start()): start() stops waiting.
    if (!this.started) this.restoreWaiter?.reject(new Error(`${this.name} was closed while restoring the global stores`));
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const readers = this.readers;
    this.readers = [];
    for (const r of readers) r.consumer.stop();
    await Promise.all(readers.map((r) => r.done));
    await Promise.all(readers.map((r) => r.consumer.close().catch(() => undefined)));
    const graph = this.graph;
    this.graph = undefined;
    if (!graph) return;
    try {
      // After a failure the stores may be part-way through a batch: leave the old checkpoint (or
      // none), so the next start restores from a point known to be consistent.
      if (wasRunning && !this.failure && this.started) {
        this.graph = graph;
        this.maybeCheckpoint(true);
        this.graph = undefined;
      }
    } finally {
      graph.close();
    }
  }
}
