/**
 * The processing loop of one instance (Kafka's StreamThread, one per KafkaStreams here): membership
 * in the `application.id` group with the task assignor, one task per assigned sub-topology × partition,
 * a fetch loop per input partition (an assign-mode Consumer started at the committed offset), and
 * the commit cycle. Processing is synchronous per fetched batch; a commit closes a gate that batch
 * handlers wait on, so what it records (output flushed → offsets committed → checkpoints written →
 * repartition records purged) is a consistent cut — the at-least-once guarantee.
 * Under exactly_once_v2 (KIP-447) the cut is a transaction instead: output and changelog writes go
 * through one transactional producer, and a commit is flush → sendOffsetsToTransaction (with the
 * group's member id and generation, so a zombie from an older generation is fenced) → commit. A
 * rebalance that catches a transaction open, or a failed commit, aborts it, wipes the tasks' state
 * and rejoins: the tasks restore from the committed changelog and resume from the committed offsets.
 */
import { ErrorCode } from "../../protocol/error-codes.ts";
import { DeleteRecordsApi } from "../../protocol/messages/delete-records.ts";
import { Cluster } from "../../client/cluster.ts";
import { Consumer } from "../../client/consumer.ts";
import type { StartPosition } from "../../client/consumer.ts";
import { KafkaError } from "../../client/errors.ts";
import { GroupMember } from "../../client/group-member.ts";
import { LATEST, listOffsets, tpKey } from "../../client/list-offsets.ts";
import { ProducerFencedError } from "../../client/transactional-producer.ts";
import type { TransactionalProducer } from "../../client/transactional-producer.ts";
import { existsSync, readdirSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import type { StateStore } from "../state/state-store.ts";
import { ThreadCache } from "../state/thread-cache.ts";
import type { Topology } from "../topology.ts";
import { CHECKPOINT_FILE_NAME } from "./checkpoint-file.ts";
import { ProducerCollector } from "./record-collector.ts";
import type { OutputProducer } from "./record-collector.ts";
import { encodeTaskUserData, SHUTDOWN_MARKER, standbyTasksOf, streamsAssignor } from "./streams-assignor.ts";
import type { StreamsConfig } from "./streams-config.ts";
import { StreamTask } from "./stream-task.ts";
import type { StateRestoreListener } from "./stream-task.ts";
import { parseTaskId, taskIdText } from "./topology-metadata.ts";
import type { TopologyMetadata } from "./topology-metadata.ts";

/** KSTREAM_TRACE=streams prints rebalances and commits to stderr (for diagnosing an app). */
const trace = process.env.KSTREAM_TRACE?.includes("streams") ? (m: string) => process.stderr.write(`[streams ${new Date().toISOString()}] ${m}\n`) : null;

export interface ThreadHooks {
  onRebalancing(): void;
  onRunning(): void;
  /** A fatal error: the thread has stopped processing (the caller closes it and decides what next). */
  onError(e: Error): void;
  restoreListener(): StateRestoreListener | undefined;
  /** The instance's global stores (owned by its GlobalStreamThread), read-only to the tasks. */
  globalStore?(name: string): StateStore | undefined;
}

/** Another instance answered an error with SHUTDOWN_APPLICATION: every instance stops. */
export class ApplicationShutdownRequested extends Error {
  constructor() {
    super("an instance of the application requested its shutdown (SHUTDOWN_APPLICATION)");
    this.name = "ApplicationShutdownRequested";
  }
}

interface Reader {
  consumer: Consumer;
  done: Promise<void>;
  /** The reader's own connections (see readerCluster). */
  cluster: Cluster;
}

/** Commit failures that mean "the group moved on": rejoin instead of dying (Kafka's TaskMigratedException). */
const MIGRATED = new Set<number>([ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.FENCED_INSTANCE_ID]);

export class StreamThread {
  readonly name: string;
  private readonly topology: Topology;
  private readonly meta: TopologyMetadata;
  private readonly config: StreamsConfig;
  private readonly cluster: Cluster;
  private readonly hooks: ThreadHooks;
  private readonly member: GroupMember;
  private readonly collector: ProducerCollector;
  private readonly tasks = new Map<string, StreamTask>();
  /** Standby tasks (num.standby.replicas): stores kept up from their changelogs, promoted on a move. */
  private readonly standbys = new Map<string, StreamTask>();
  private readers: Reader[] = [];
  private running = false;
  private needRejoin = true;
  private gate: Promise<void> | null = null;
  private lastCommit = Date.now();
  private failure: Error | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private shutdownRequested = false;
  /** The record cache shared by this thread's tasks (Kafka's ThreadCache); none when the budget is 0. */
  private readonly cache: ThreadCache | undefined;
  /** Connections for restoring and standby tasks (Kafka's restore consumer), opened on first use. */
  private restoreClusterValue: Cluster | null = null;

  constructor(name: string, topology: Topology, meta: TopologyMetadata, config: StreamsConfig, cluster: Cluster, producer: OutputProducer, hooks: ThreadHooks, txn: TransactionalProducer | null = null) {
    this.name = name;
    this.topology = topology;
    this.meta = meta;
    this.config = config;
    this.cluster = cluster;
    this.hooks = hooks;
    this.collector = new ProducerCollector(producer, txn);
    this.cache = config.cacheMaxBytes > 0 ? new ThreadCache(config.cacheMaxBytes) : undefined;
    this.member = new GroupMember(cluster, {
      groupId: config.applicationId,
      topics: [...meta.topicToSubtopology.keys()],
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      customAssignors: [streamsAssignor(meta, config.numStandbyReplicas)],
      userData: () => encodeTaskUserData(this.tasksWithLocalState(), this.shutdownRequested),
    });
  }

  start(): void {
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Task ids with a checkpointed state directory here (so the assignor can keep them here). */
  private tasksWithLocalState(): string[] {
    const dir = join(this.config.stateDir, this.config.applicationId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((d) => parseTaskId(d) !== null && existsSync(join(dir, d, CHECKPOINT_FILE_NAME)));
  }

  activeTaskIds(): string[] {
    return [...this.tasks.keys()].sort();
  }
  standbyTaskIds(): string[] {
    return [...this.standbys.keys()].sort();
  }

  /** Every local task's instance of a store (interactive queries). */
  storesNamed(name: string): StateStore[] {
    const out: StateStore[] = [];
    for (const t of this.tasks.values()) {
      const s = t.getStateStore(name);
      if (s) out.push(s);
    }
    return out;
  }

  private fail(e: unknown): void {
    this.failure ??= e instanceof Error ? e : new Error(String(e));
    this.wake?.();
  }

  private async loop(): Promise<void> {
    try {
      // Fences an older incarnation with the same transactional id and aborts what it left open.
      if (this.collector.txn) await this.collector.txn.initTransactions();
      while (this.running) {
        if (this.failure) throw this.failure;
        if (this.needRejoin) {
          await this.rebalance();
          continue;
        }
        await this.idle(this.config.pollMs);
        if (!this.running || this.failure) continue;
        for (const t of this.tasks.values()) t.punctuateWallClock();
        await this.collector.drain();
        if (Date.now() - this.lastCommit >= this.config.commitIntervalMs) await this.commit();
      }
    } catch (e) {
      if (!this.running) return;
      this.running = false;
      this.hooks.onError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private async rebalance(): Promise<void> {
    this.hooks.onRebalancing();
    trace?.(`${this.name}: rebalance: stopping readers`);
    await this.stopReaders();
    await Promise.all([...this.standbys.values()].map((t) => t.stopStandby()));
    if (this.tasks.size > 0) await this.commit();
    this.needRejoin = false;
    trace?.(`${this.name}: joining`);
    const assignment = await this.member.join();
    trace?.(`${this.name}: joined generation ${this.member.generationId}: ${JSON.stringify([...assignment])}`);
    if (assignment.has(SHUTDOWN_MARKER)) throw new ApplicationShutdownRequested();
    // Heartbeat from here on, so a long restore does not cost this member its session.
    this.member.startHeartbeats(() => {
      this.needRejoin = true;
      this.wake?.();
    });
    const wanted = new Map<string, { sub: number; partition: number }>();
    for (const [topic, parts] of assignment) {
      const sub = this.meta.topicToSubtopology.get(topic);
      if (sub === undefined) continue;
      for (const p of parts) wanted.set(taskIdText(sub, p), { sub, partition: p });
    }
    const standbyWanted = new Set(standbyTasksOf(assignment));
    for (const [id, task] of this.tasks) {
      if (wanted.has(id)) continue;
      task.close(); // committed and checkpointed above: a clean hand-over
      this.tasks.delete(id);
    }
    for (const [id, task] of this.standbys) {
      if (standbyWanted.has(id) && !wanted.has(id)) continue;
      if (!wanted.has(id)) {
        task.checkpointStandby();
        task.close();
        this.standbys.delete(id);
      }
    }
    for (const [id, w] of wanted) {
      if (this.tasks.has(id)) continue;
      // A standby of this task becomes the active one with its stores as they are (Kafka recycles the
      // task): restore reads only the changelog tail it had not applied yet.
      let task = this.standbys.get(id);
      this.standbys.delete(id);
      if (task) trace?.(`${this.name}: promoting standby task ${id}`);
      if (!task) {
        const sub = this.meta.subtopologies.find((s) => s.id === w.sub)!;
        task = new StreamTask(sub, w.partition, this.topology, this.config, this.collector, this.cache, this.hooks.globalStore);
      }
      this.tasks.set(id, task);
      await task.prepare();
      const restored = await task.restore(this.restoreCluster(), this.hooks.restoreListener());
      trace?.(`${this.name}: task ${id} restored ${restored} changelog records`);
    }
    for (const id of standbyWanted) {
      if (this.tasks.has(id)) continue;
      let task = this.standbys.get(id);
      if (!task) {
        const t = parseTaskId(id)!;
        const sub = this.meta.subtopologies.find((s) => s.id === t.subtopology);
        if (!sub) continue;
        task = new StreamTask(sub, t.partition, this.topology, this.config, this.collector, this.cache, this.hooks.globalStore);
        this.standbys.set(id, task);
      }
      task.startStandby(this.restoreCluster());
    }
    for (const t of this.topology.nodes.values()) {
      if (t.kind === "sink" && t.topic) await this.collector.prepareTopic(this.topology.internalTopics.has(t.topic) ? `${this.config.applicationId}-${t.topic}` : t.topic);
    }
    const tps = [...assignment].filter(([topic]) => this.meta.topicToSubtopology.has(topic)).flatMap(([topic, parts]) => parts.map((partition) => ({ topic, partition })));
    const committed = tps.length > 0 ? await this.member.committed(tps) : new Map<string, bigint>();
    for (const tp of tps) {
      const task = this.tasks.get(taskIdText(this.meta.topicToSubtopology.get(tp.topic)!, tp.partition))!;
      const c = committed.get(tpKey(tp.topic, tp.partition));
      const start: StartPosition = c !== undefined ? { type: "offset", offset: c } : { type: this.offsetReset(tp.topic) };
      if (c !== undefined) task.setCommitted(tp.topic, tp.partition, Number(c));
      this.startReader(task, tp.topic, tp.partition, start);
    }
    this.lastCommit = Date.now();
    trace?.(`${this.name}: running tasks ${this.activeTaskIds().join(", ")}; standby tasks ${this.standbyTaskIds().join(", ")}`);
    if (!this.needRejoin) this.hooks.onRunning();
  }

  /** auto.offset.reset for a partition without a committed offset: Consumed.withOffsetResetPolicy, else earliest (Kafka Streams' default). */
  private offsetReset(topic: string): "earliest" | "latest" {
    for (const n of this.topology.nodes.values()) {
      if (n.kind === "source" && n.topics?.includes(topic) && n.offsetReset) return n.offsetReset;
    }
    return "earliest";
  }

  private startReader(task: StreamTask, topic: string, partition: number, start: StartPosition): void {
    // Under EOS only committed input counts (a repartition topic's records of an aborted transaction never happened).
    const isolationLevel = this.collector.txn ? "read_committed" : "read_uncommitted";
    const cluster = this.readerCluster();
    const consumer = new Consumer(cluster, { start, maxWaitMs: Math.max(50, Math.min(this.config.pollMs * 2, 500)), isolationLevel });
    consumer.assign([{ topic, partitions: [partition] }]);
    const done = consumer
      .run(async (batch) => {
        while (this.gate) await this.gate;
        if (!this.running || this.needRejoin || this.failure) {
          consumer.stop();
          return;
        }
        try {
          // The reused view allocates no record objects; key/value are views into the fetched buffer.
          batch.forEach((r) => {
            task.process(topic, { key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headerCount === 0 ? [] : r.headers, offset: r.offset, partition });
          });
          task.advance(topic, partition, batch.nextOffset);
          const t1 = trace ? performance.now() : 0;
          await this.collector.drain();
          trace?.(`${this.name}: ${topic}-${partition}: processed to ${batch.nextOffset}, drain ${(performance.now() - t1).toFixed(1)} ms`);
        } catch (e) {
          consumer.stop();
          this.fail(e);
        }
      })
      .catch((e: unknown) => this.fail(e));
    this.readers.push({ consumer, done, cluster });
  }

  /**
   * A broker answers a connection's requests in order, so a Fetch waiting at the end of a partition
   * (up to maxWaitMs) holds back every request behind it on that connection. Kafka Streams' main,
   * restore and producer clients each have their own connections; here each input partition's reader
   * has its own too, so an idle partition's long poll delays neither another partition's records nor
   * the producer's acks, offset commits and the other requests of the commit.
   */
  private readerCluster(): Cluster {
    return new Cluster({ ...this.cluster.options, clientId: `${this.name}-consumer` });
  }
  private restoreCluster(): Cluster {
    this.restoreClusterValue ??= new Cluster({ ...this.cluster.options, clientId: `${this.name}-restore-consumer` });
    return this.restoreClusterValue;
  }

  private async stopReaders(): Promise<void> {
    const readers = this.readers;
    this.readers = [];
    for (const r of readers) r.consumer.stop();
    await Promise.all(readers.map((r) => r.done));
    await Promise.all(readers.map((r) => r.cluster.close().catch(() => undefined)));
  }

  /**
   * Flush output → commit offsets → write checkpoints → purge consumed repartition records. Under EOS
   * offsets commit inside the transaction and checkpoints are written only at a clean close.
   */
  async commit(closing = false): Promise<void> {
    if (this.gate) return this.gate;
    let release!: () => void;
    this.gate = new Promise((r) => (release = r));
    const t0 = trace ? performance.now() : 0;
    try {
      for (const t of this.tasks.values()) t.flushState();
      // A standby holds only changelog records it read (read_committed under EOS): its checkpoint is
      // safe to write at every commit, in both modes, so a promotion or restart restores only the tail.
      for (const t of this.standbys.values()) t.checkpointStandby();
      const txn = this.collector.txn;
      if (txn) {
        const offsets = await this.commitTransaction(txn);
        if (offsets === null) return;
        if (closing) await this.writeCheckpoints();
        await this.purgeRepartition(offsets.filter((o) => this.meta.repartitionTopics.has(o.topic)));
        this.lastCommit = Date.now();
        return;
      }
      const tf = trace ? performance.now() : 0;
      await this.collector.flush();
      trace?.(`${this.name}: flushState ${(tf - t0).toFixed(1)} ms, producer flush ${(performance.now() - tf).toFixed(1)} ms`);
      const offsets = [...this.tasks.values()].flatMap((t) => t.uncommitted());
      if (offsets.length > 0) {
        try {
          await this.member.commit(offsets);
        } catch (e) {
          if (e instanceof KafkaError && MIGRATED.has(e.code)) {
            // The group rebalanced under us: rejoin; these records may be processed again (at-least-once).
            this.needRejoin = true;
            return;
          }
          throw e;
        }
        for (const t of this.tasks.values()) t.markCommitted(offsets);
      }
      const t2 = trace ? performance.now() : 0;
      await this.writeCheckpoints();
      const t3 = trace ? performance.now() : 0;
      await this.purgeRepartition(offsets.filter((o) => this.meta.repartitionTopics.has(o.topic)));
      trace?.(`${this.name}: commit ${offsets.length} offsets: flush+commit ${(t2 - t0).toFixed(1)} ms, checkpoints ${(t3 - t2).toFixed(1)} ms, purge ${(performance.now() - t3).toFixed(1)} ms`);
      this.lastCommit = Date.now();
    } finally {
      this.gate = null;
      release();
    }
  }

  private async writeCheckpoints(): Promise<void> {
    const q = [...this.tasks.values()].flatMap((t) => t.needsCheckpointQuery());
    const ends = q.length > 0 ? await listOffsets(this.cluster, q.map((tp) => ({ ...tp, timestamp: LATEST }))) : new Map<string, bigint>();
    for (const t of this.tasks.values()) t.checkpoint(ends);
  }

  /**
   * EOS commit: flush, add the processed offsets to the transaction under the current group
   * generation, commit. Returns the offsets committed, or null when the group moved on (the
   * transaction was aborted and the tasks rewound; the loop rejoins).
   */
  private async commitTransaction(txn: TransactionalProducer): Promise<Array<{ topic: string; partition: number; offset: number }> | null> {
    const offsets = [...this.tasks.values()].flatMap((t) => t.uncommitted());
    try {
      await this.collector.flush();
      if (offsets.length === 0 && !txn.inTransaction) return offsets;
      if (!txn.inTransaction) txn.beginTransaction();
      if (offsets.length > 0) {
        await txn.sendOffsetsToTransaction(
          offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset) })),
          { groupId: this.config.applicationId, memberId: this.member.memberId, generationId: this.member.generationId },
        );
      }
      await txn.commitTransaction();
    } catch (e) {
      if (e instanceof KafkaError && MIGRATED.has(e.code) && !(e instanceof ProducerFencedError)) {
        trace?.(`${this.name}: commit failed (${e.message}): aborting and rewinding`);
        await this.abortAndRewind();
        return null;
      }
      throw e;
    }
    for (const t of this.tasks.values()) t.markCommitted(offsets);
    return offsets;
  }

  /**
   * Kafka's handling of TaskMigratedException under EOS: abort the open transaction, close every task
   * dirty (wiping its state, which may hold aborted writes) and rejoin. The recreated tasks restore
   * from the committed changelog and read from the committed offsets: nothing aborted is seen twice.
   */
  private async abortAndRewind(): Promise<void> {
    const txn = this.collector.txn!;
    this.collector.discardQueued();
    if (txn.inTransaction) await txn.abortTransaction();
    for (const t of this.tasks.values()) t.closeAndWipe();
    this.tasks.clear();
    this.needRejoin = true;
  }

  /** DeleteRecords up to the committed offsets of repartition topics (Kafka purges them after commit). */
  private async purgeRepartition(offsets: Array<{ topic: string; partition: number; offset: number }>): Promise<void> {
    const byLeader = new Map<number, typeof offsets>();
    for (const o of offsets) {
      const leader = this.cluster.leaderFor(o.topic, o.partition);
      if (leader < 0) continue;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), o]);
    }
    for (const [leader, list] of byLeader) {
      const byTopic = new Map<string, Array<{ partitionIndex: number; offset: bigint }>>();
      for (const o of list) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, offset: BigInt(o.offset) }]);
      try {
        const conn = await this.cluster.connectionTo(leader);
        await conn.request(DeleteRecordsApi, { topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })), timeoutMs: 30_000 });
      } catch {
        // Purging is housekeeping: the next commit tries again.
      }
    }
  }

  /**
   * SHUTDOWN_APPLICATION: rejoin once with the request in the subscription, so the group leader tells
   * every member (this one included) to stop. Call on a thread that has stopped processing.
   */
  async requestApplicationShutdown(): Promise<void> {
    this.shutdownRequested = true;
    this.running = false;
    await this.loopDone;
    await this.stopReaders();
    await this.member.join().catch(() => undefined);
  }

  /** Stops processing; a clean close commits and checkpoints first, a dirty one (after an error) does not. */
  async close(clean: boolean): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    await this.stopReaders();
    let error: unknown;
    for (const t of this.standbys.values()) {
      await t.stopStandby();
      t.checkpointStandby();
      t.close();
    }
    this.standbys.clear();
    const txn = this.collector.txn;
    const committing = clean && !this.failure && this.tasks.size > 0;
    if (committing) {
      try {
        await this.commit(true);
      } catch (e) {
        error = e;
      }
    }
    if (txn && (!committing || error)) {
      // A dirty close under EOS: what this transaction wrote must never become visible.
      this.collector.discardQueued();
      if (txn.inTransaction) await txn.abortTransaction().catch(() => undefined);
      for (const t of this.tasks.values()) t.closeAndWipe();
    } else {
      for (const t of this.tasks.values()) t.close();
    }
    this.tasks.clear();
    await this.member.leave().catch(() => undefined);
    // Even a dirty close sends what processing already handed over (at-least-once: its input offsets
    // stay uncommitted, so it may be produced again; nothing is lost).
    if (!txn) await this.collector.flush().catch(() => undefined);
    await this.collector.producer.close().catch(() => undefined);
    await this.restoreClusterValue?.close().catch(() => undefined);
    this.restoreClusterValue = null;
    if (error) throw error;
  }
}
