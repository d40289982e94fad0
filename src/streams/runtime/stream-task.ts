/**
 * One task (Kafka's StreamTask): a sub-topology's processors and stores for one partition. Output and
 * changelog records go to the instance's producer; the task remembers how far it has processed each
 * input partition, restores its logged stores from their changelog partitions before processing, and
 * writes its `.checkpoint` (changelog offsets reflected in its persistent stores) at every commit.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Cluster } from "../../client/cluster.ts";
import { Consumer } from "../../client/consumer.ts";
import { LATEST, listOffsets, tpKey } from "../../client/list-offsets.ts";
import type { TaskId } from "../processor.ts";
import { isLoggable } from "../state/state-store.ts";
import type { StateStore } from "../state/state-store.ts";
import type { Topology } from "../topology.ts";
import type { ProducerCollector } from "./record-collector.ts";
import { CHECKPOINT_FILE_NAME, readCheckpoint, writeCheckpoint } from "./checkpoint-file.ts";
import type { CheckpointEntry } from "./checkpoint-file.ts";
import type { ThreadCache } from "../state/thread-cache.ts";
import { TaskGraph } from "./task-graph.ts";
import type { RawRecord } from "./task-graph.ts";
import type { StreamsConfig } from "./streams-config.ts";
import { taskIdText } from "./topology-metadata.ts";
import type { SubtopologyInfo } from "./topology-metadata.ts";

/** Kafka's StateRestoreListener, with its method names. */
export interface StateRestoreListener {
  onRestoreStart?(topicPartition: { topic: string; partition: number }, storeName: string, startingOffset: number, endingOffset: number): void;
  onBatchRestored?(topicPartition: { topic: string; partition: number }, storeName: string, batchEndOffset: number, numRestored: number): void;
  onRestoreEnd?(topicPartition: { topic: string; partition: number }, storeName: string, totalRestored: number): void;
}

export class StreamTask {
  readonly id: string;
  readonly taskId: TaskId;
  readonly sub: SubtopologyInfo;
  private readonly graph: TaskGraph;
  private readonly dir: string;
  private readonly producer: ProducerCollector;
  /** Input partition → next offset to read (what a commit records). */
  private readonly consumed = new Map<string, { topic: string; partition: number; offset: number }>();
  private readonly committedOffsets = new Map<string, number>();
  /** Changelog topic → last offset reflected in the store (from restore or the last checkpoint). */
  private readonly changelogOffsets = new Map<string, number>();
  private changelogDirty = false;
  private readonly eos: boolean;
  /**
   * Changelog topic → next offset to apply, once known (restored, or kept up by a standby): a standby
   * promoted to active restores only from here, and a standby writes its checkpoint from it.
   */
  private readonly positions = new Map<string, number>();
  /** A standby task's changelog readers (Kafka's StandbyTask: state only, never processes). */
  private standbyReaders: Array<{ consumer: Consumer; done: Promise<void> }> = [];

  constructor(sub: SubtopologyInfo, partition: number, topology: Topology, config: StreamsConfig, producer: ProducerCollector, cache?: ThreadCache, globalStores?: (name: string) => StateStore | undefined) {
    this.sub = sub;
    this.taskId = { subtopology: sub.id, partition };
    this.id = taskIdText(sub.id, partition);
    this.producer = producer;
    this.dir = join(config.stateDir, config.applicationId, this.id);
    this.eos = config.processingGuarantee === "exactly_once_v2";
    // No checkpoint = the stores may hold anything (under EOS even uncommitted writes): start empty and
    // restore from the changelog (Kafka's TaskCorruptedException → wipe).
    // No checkpoint = the local state cannot be trusted to match its changelog (never committed, or
    // a crash before the first commit): start from an empty directory and restore everything.
    if (!existsSync(join(this.dir, CHECKPOINT_FILE_NAME))) rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.graph = new TaskGraph(
      topology,
      {
        applicationId: config.applicationId,
        defaultKeySerde: config.defaultKeySerde,
        defaultValueSerde: config.defaultValueSerde,
        appConfigs: config.raw,
        stateDir: config.stateDir,
        taskDir: this.dir,
        nodes: sub.nodes,
        now: Date.now,
        cache,
        globalStores,
        onDeserializationError: (topic, raw, e) => {
          if (config.deserializationHandler === "logAndFail") return "fail";
          process.stderr.write(`[kstream-streams] task ${this.id}: skipping record ${topic}-${raw.partition}@${raw.offset} that failed to deserialize: ${e.message}\n`);
          return "continue";
        },
      },
      {
        send: (topic, r) => {
          producer.send({ topic, partition: r.partition, key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers.length === 0 ? undefined : r.headers.map((h) => [h.key, h.value]) });
        },
        partitionsFor: (topic) => producer.partitionCount(topic),
      },
      this.taskId,
    );
    for (const s of sub.stores) {
      const store = this.graph.getStateStore(s.name);
      if (!s.changelog || !store || !isLoggable(store)) continue;
      const topic = s.changelog;
      store.setChangeLogger({
        log: (key, value, timestamp) => {
          this.changelogDirty = true;
          producer.send({ topic, partition, key, value, timestamp: timestamp ?? this.graph.currentRecordTimestamp() });
        },
      });
    }
  }

  get partition(): number {
    return this.taskId.partition;
  }
  /** The changelog topic-partitions this task writes, by store. */
  private changelogs(): Array<{ store: string; topic: string }> {
    return this.sub.stores.filter((s) => s.changelog).map((s) => ({ store: s.name, topic: s.changelog! }));
  }

  /** Changelog topics the producer must know before the first write. */
  async prepare(): Promise<void> {
    for (const c of this.changelogs()) await this.producer.prepareTopic(c.topic);
  }

  /**
   * Brings every logged store up to its changelog's end: persistent stores from the checkpointed
   * offset (a clean restart restores nothing), in-memory stores from the beginning.
   */
  async restore(cluster: Cluster, listener: StateRestoreListener | undefined): Promise<number> {
    const checkpoint = new Map(readCheckpoint(join(this.dir, CHECKPOINT_FILE_NAME)).map((e) => [tpKey(e.topic, e.partition), e.offset]));
    // Under EOS the stores are about to take writes that may yet be aborted: once loaded, the
    // checkpoint no longer describes them, so it goes (Kafka deletes it too); only a clean close
    // writes a new one. An unclean stop therefore leaves no checkpoint and the state is wiped.
    if (this.eos) rmSync(join(this.dir, CHECKPOINT_FILE_NAME), { force: true });
    const isolation = this.eos ? 1 : 0;
    let total = 0;
    for (const c of this.changelogs()) {
      const store = this.graph.getStateStore(c.store)!;
      if (!isLoggable(store)) continue;
      const tp = { topic: c.topic, partition: this.partition };
      const cp = store.persistent() ? checkpoint.get(tpKey(c.topic, this.partition)) : undefined;
      // read_committed under EOS: restore up to the last stable offset, skipping aborted writes.
      const end = Number((await listOffsets(cluster, [{ ...tp, timestamp: LATEST }], 5, isolation)).get(tpKey(c.topic, this.partition)) ?? 0n);
      const known = this.positions.get(c.topic);
      const from = known ?? (cp === undefined ? 0 : cp + 1);
      if (end > 0) this.changelogOffsets.set(c.topic, end - 1);
      this.positions.set(c.topic, Math.max(from, end));
      if (from >= end) continue;
      listener?.onRestoreStart?.(tp, c.store, from, end);
      let restored = 0;
      const reader = new Consumer(cluster, { start: { type: "offset", offset: from }, maxWaitMs: 100, isolationLevel: this.eos ? "read_committed" : "read_uncommitted" });
      reader.assign([{ topic: c.topic, partitions: [this.partition] }]);
      await reader.run(
        (batch) => {
          let n = 0;
          for (const r of batch.records) {
            if (r.offset >= end) break;
            store.restoreRecord(r.key!, r.value, r.timestamp);
            n++;
          }
          restored += n;
          listener?.onBatchRestored?.(tp, c.store, batch.nextOffset - 1, n);
        },
        { exitAtEnd: true },
      );
      await reader.close();
      listener?.onRestoreEnd?.(tp, c.store, restored);
      total += restored;
    }
    return total;
  }

  /**
   * Runs this task as a standby (Kafka's StandbyTask): every logged store follows its changelog
   * partition from the checkpoint (or where it got to), applying records as they arrive, until
   * stopStandby(). Reads read_committed under EOS, so a standby never holds aborted writes.
   */
  startStandby(cluster: Cluster): void {
    const checkpoint = new Map(readCheckpoint(join(this.dir, CHECKPOINT_FILE_NAME)).map((e) => [tpKey(e.topic, e.partition), e.offset]));
    for (const c of this.changelogs()) {
      const store = this.graph.getStateStore(c.store)!;
      if (!isLoggable(store)) continue;
      const cp = store.persistent() ? checkpoint.get(tpKey(c.topic, this.partition)) : undefined;
      const from = this.positions.get(c.topic) ?? (cp === undefined ? 0 : cp + 1);
      this.positions.set(c.topic, from);
      const consumer = new Consumer(cluster, { start: { type: "offset", offset: from }, maxWaitMs: 200, isolationLevel: this.eos ? "read_committed" : "read_uncommitted" });
      consumer.assign([{ topic: c.topic, partitions: [this.partition] }]);
      const done = consumer
        .run((batch) => {
          for (const r of batch.records) store.restoreRecord(r.key!, r.value, r.timestamp);
          this.positions.set(c.topic, batch.nextOffset);
        })
        .catch((e: unknown) => {
          // A standby is best effort: the active task is the source of truth; restore covers any gap.
          process.stderr.write(`[kstream-streams] standby task ${this.id}: changelog ${c.topic}-${this.partition}: ${(e as Error).message}\n`);
        });
      this.standbyReaders.push({ consumer, done });
    }
  }

  async stopStandby(): Promise<void> {
    const readers = this.standbyReaders;
    this.standbyReaders = [];
    for (const r of readers) r.consumer.stop();
    await Promise.all(readers.map((r) => r.done));
    await Promise.all(readers.map((r) => r.consumer.close().catch(() => undefined)));
  }

  /** A standby's checkpoint: its persistent stores hold the changelog up to its positions. */
  checkpointStandby(): void {
    this.flushState();
    const entries: CheckpointEntry[] = [];
    for (const c of this.changelogs()) {
      const store = this.graph.getStateStore(c.store);
      const pos = this.positions.get(c.topic);
      if (store?.persistent() && pos !== undefined && pos > 0) entries.push({ topic: c.topic, partition: this.partition, offset: pos - 1 });
    }
    writeCheckpoint(join(this.dir, CHECKPOINT_FILE_NAME), entries);
  }

  /** Committed offsets to start each input partition from. */
  setCommitted(topic: string, partition: number, offset: number): void {
    this.committedOffsets.set(tpKey(topic, partition), offset);
  }

  /** Processes one record of a fetched batch; advance() records the batch's position afterwards. */
  process(topic: string, raw: RawRecord): void {
    this.graph.process(topic, raw);
  }

  /** After a whole fetched batch: its next offset (skips compacted gaps and control records). */
  advance(topic: string, partition: number, nextOffset: number): void {
    this.consumed.set(tpKey(topic, partition), { topic, partition, offset: nextOffset });
  }

  punctuateWallClock(): void {
    this.graph.punctuateWallClock();
  }

  /**
   * Commit's first step (Kafka's StateManager.flush): stores write out what they hold (persistent
   * stores commit their SQLite transaction), before the producer is flushed and offsets committed.
   */
  flushState(): void {
    const stores = [...this.graph.stateStores().values()];
    // A cache flush forwards downstream, possibly into another cached store of this task: repeat
    // until no store holds cached writes (a topology without cycles settles in a few rounds).
    for (let round = 0; round < 100; round++) {
      for (const s of stores) s.flush();
      if (!stores.some((s) => (s as Partial<{ hasCachedWrites(): boolean }>).hasCachedWrites?.())) return;
    }
    throw new Error(`task ${this.id}: state store caches kept refilling while being flushed (a cycle through cached stores?)`);
  }

  /** Offsets processed since the last commit. */
  uncommitted(): Array<{ topic: string; partition: number; offset: number }> {
    return [...this.consumed.entries()].filter(([k, v]) => this.committedOffsets.get(k) !== v.offset).map(([, v]) => v);
  }
  markCommitted(offsets: Array<{ topic: string; partition: number; offset: number }>): void {
    for (const o of offsets) this.committedOffsets.set(tpKey(o.topic, o.partition), o.offset);
  }
  needsCheckpointQuery(): Array<{ topic: string; partition: number }> {
    return this.changelogDirty ? this.changelogs().map((c) => ({ topic: c.topic, partition: this.partition })) : [];
  }

  /**
   * Writes the checkpoint (call after the producer flushed): `ends` are the changelog end offsets just
   * read, so the stores reflect exactly up to end - 1. Only persistent stores are checkpointed (Kafka).
   */
  checkpoint(ends: Map<string, bigint>): void {
    for (const c of this.changelogs()) {
      const e = ends.get(tpKey(c.topic, this.partition));
      if (e !== undefined && e > 0n) this.changelogOffsets.set(c.topic, Number(e) - 1);
    }
    this.changelogDirty = false;
    this.flushState();
    const entries: CheckpointEntry[] = [];
    for (const c of this.changelogs()) {
      const store = this.graph.getStateStore(c.store);
      const off = this.changelogOffsets.get(c.topic);
      if (store?.persistent() && off !== undefined) entries.push({ topic: c.topic, partition: this.partition, offset: off });
    }
    writeCheckpoint(join(this.dir, CHECKPOINT_FILE_NAME), entries);
  }

  getStateStore(name: string): StateStore | undefined {
    return this.graph.getStateStore(name);
  }

  close(): void {
    this.graph.close();
  }

  /** A dirty close under EOS (Kafka): the stores may hold aborted writes, so their directory goes. */
  closeAndWipe(): void {
    this.graph.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
