import { join } from 'node:path';
import { LogCheckpoints } from './log-checkpoints.ts';
import type { DurabilitySettings } from './durability.ts';
import { DEFAULT_DURABILITY } from './durability.ts';
import { KafkaStorageError, StorageError, UnknownTopicOrPartitionError, storageFailure } from './errors.ts';
import type { StorageIO } from './io.ts';
import { isNotFound, nodeIO, syncDir } from './io.ts';
import type { StorageLogger } from './logger.ts';
import { stderrLogger } from './logger.ts';
import { acquireDataDirLock, releaseDataDirLock } from './data-dir-lock.ts';
import { PartitionLog } from './partition-log.ts';
import { PeriodicTasks } from './periodic-tasks.ts';
import { CleanerQueue } from './cleaner-queue.ts';
import type { ConfigChange, ConfigEntry } from './topic-overrides.ts';
import { applyConfigChanges, describeTopicConfigs, effectiveTopicConfig } from './topic-overrides.ts';
export type { ConfigChange, ConfigEntry, ConfigOp } from './topic-overrides.ts';
import type { TopicRecord } from './topic-store.ts';
import { META_DIR, TopicStore, randomTopicId } from './topic-store.ts';
import { ReadBufferPool } from './read-buffer-pool.ts';
import { FileHandleBudget, openFileLimit, segmentHandleBudget } from './file-handle-budget.ts';
import type { LogConfig } from './topic-config.ts';
import { parseLogConfig, validateTopicConfigs } from './topic-config.ts';
import { isInternalTopic } from './topic-name.ts';
import { runLimited } from './run-limited.ts';
import { removeStrayPartitionDirs } from './stray-partition-dirs.ts';
import { validateNewTopic, validatePartitionIncrease } from './topic-validation.ts';
import { FLUSH_CONCURRENCY, LogFlusher } from './log-flusher.ts';

export type { LogManagerConfig, LogManagerOptions, TopicInfo } from './log-manager-config.ts';
import type { LogManagerConfig, LogManagerOptions, TopicInfo } from './log-manager-config.ts';

const CLEAN_SHUTDOWN = '.kafka_cleanshutdown';
const OPEN_CONCURRENCY = 16;

/**
 * All topics and partition logs under one data directory (Kafka's LogManager). Topic metadata (ids,
 * partition counts, config overrides) is the TopicStore's (topic-store.ts), the checks of a new topic
 * are topic-validation.ts's, the start-up sweep of orphaned directories stray-partition-dirs.ts's and
 * the interval flush log-flusher.ts's. Admin operations are serialized; a topic becomes visible only
 * once all its partitions are open.
 */
export class LogManager {
  readonly dataDir: string;
  private readonly io: StorageIO;
  private readonly now: () => number;
  private readonly logger: StorageLogger;
  private topicDefaults: Record<string, string>;
  private readonly durability: DurabilitySettings;
  private readonly config: LogManagerConfig;
  private readonly store: TopicStore;
  /** Open partition logs by topic: present only for topics whose partitions are all open. */
  private readonly logs = new Map<string, PartitionLog[]>();
  /** Shared by every partition's reads. */
  readonly readPool: ReadBufferPool | undefined;
  /** The bound on open segment files, shared by every partition. */
  readonly handles: FileHandleBudget;
  private adminQueue: Promise<unknown> = Promise.resolve();
  private readonly checkpoints: LogCheckpoints;
  private closing: Promise<void> | null = null;
  private readonly background = new PeriodicTasks((e) => this.logger.error(`background task: ${e.message}`));
  private closed = false;
  /** Compacts a compacted log when it rolls (Kafka's cleaner thread, busy while logs are dirty). */
  private readonly cleanerQueue: CleanerQueue;
  /** The fsync=interval timer's work (Kafka's log flusher). */
  private readonly flusher: LogFlusher;
  /** Whether the last open found a clean-shutdown marker. */
  cleanShutdown = false;
  /** replication-offset-checkpoint as read at open. */
  private checkpointedHw = new Map<string, number>();

  private constructor(opts: LogManagerOptions) {
    this.dataDir = opts.dataDir;
    this.io = opts.io ?? nodeIO;
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? stderrLogger;
    this.config = opts.config ?? {};
    this.topicDefaults = { ...(this.config.topicDefaults ?? {}) };
    validateTopicConfigs(this.topicDefaults);
    this.durability = { ...DEFAULT_DURABILITY, ...(this.config.durability ?? {}) };
    const poolBytes = this.config.readPoolBytes ?? 64 * 1024 * 1024;
    this.readPool = poolBytes > 0 ? new ReadBufferPool(poolBytes) : undefined;
    this.store = new TopicStore(this.io, this.dataDir);
    this.handles = new FileHandleBudget(this.config.maxOpenSegmentFiles ?? segmentHandleBudget(openFileLimit()));
    this.checkpoints = new LogCheckpoints(this.io, this.dataDir, this.logger, () => this.allPartitions());
    this.cleanerQueue = new CleanerQueue(this.now, this.logger, () => this.closed);
    this.flusher = new LogFlusher({
      partitions: () => this.allPartitions(),
      now: this.now,
      logger: this.logger,
      checkIntervalMs: this.config.flushCheckIntervalMs ?? Math.min(this.durability.intervalMs, 1000),
    });
  }

  /** Loads every topic and partition, running recovery when the last shutdown was not clean. */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    try {
      await m.load();
    } catch (e) {
      await m.closePartitions().catch(() => undefined);
      if (e instanceof StorageError) throw e;
      throw storageFailure('opening the data directory', opts.dataDir, e);
    }
    return m;
  }

  private path(...parts: string[]): string {
    return join(this.dataDir, ...parts);
  }

  private async load(): Promise<void> {
    const { io } = this;
    await io.mkdir(this.path(META_DIR), { recursive: true });
    await acquireDataDirLock(this.io, this.dataDir);
    const records = await this.store.load();
    try {
      await io.stat(this.path(CLEAN_SHUTDOWN));
      this.cleanShutdown = true;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const { recoveryPoints, logStarts, highWatermarks } = await this.checkpoints.read();
    this.checkpointedHw = highWatermarks;
    if (!this.cleanShutdown && records.length > 0) {
      this.logger.warn(`no clean shutdown marker in ${this.dataDir}: validating partition tails`);
    }
    await removeStrayPartitionDirs(io, this.dataDir, this.store, records, this.logger);
    const jobs: (() => Promise<void>)[] = [];
    for (const r of records) {
      const logs: PartitionLog[] = new Array(r.partitions);
      this.logs.set(r.name, logs);
      const cfg = this.logConfigFor(r.configs);
      for (let p = 0; p < r.partitions; p++) {
        const key = `${r.name}-${p}`;
        jobs.push(async () => {
          logs[p] = await this.openPartition(r, p, cfg, {
            clean: this.cleanShutdown,
            recoveryPoint: recoveryPoints?.get(key),
            logStartOffset: logStarts?.get(key),
          });
        });
      }
    }
    await runLimited(jobs, OPEN_CONCURRENCY);
    if (this.cleanShutdown) {
      await io.unlink(this.path(CLEAN_SHUTDOWN));
      await syncDir(io, this.dataDir);
    }
    await this.writeCheckpoints();
  }

  private logConfigFor(overrides: Record<string, string>): LogConfig {
    return parseLogConfig({ ...this.topicDefaults, ...overrides });
  }

  private async openPartition(r: TopicRecord, p: number, cfg: LogConfig, state: { clean: boolean; recoveryPoint?: number; logStartOffset?: number }): Promise<PartitionLog> {
    const dir = this.path(`${r.name}-${p}`);
    // partition.metadata first: a directory left by a crash mid-create names its (never persisted)
    // topic id, and the next start removes it as an orphan.
    await this.io.mkdir(dir, { recursive: true });
    await this.store.writePartitionMetadata(dir, r.topicId);
    const log = await PartitionLog.open(
      {
        io: this.io,
        dir,
        topic: r.name,
        partition: p,
        topicId: r.topicId,
        config: cfg,
        now: this.now,
        logger: this.logger,
        durability: this.durability,
        producerIdExpirationMs: this.config.producerIdExpirationMs,
        readPool: this.readPool,
        onLogStartOffsetChanged: () => this.checkpoints.logStartMoved(() => this.closed),
        handles: this.handles,
        onRolled: (rolled) => {
          if (this.background.started && !this.closed) this.cleanerQueue.wake(rolled);
        },
      },
      state,
    );
    return log;
  }

  /** Serializes admin operations (topic create/delete/alter) so topics.json writes never interleave. */
  private admin<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.adminQueue.then(() => {
      if (this.closed) throw new KafkaStorageError('log manager is closed');
      return fn();
    });
    this.adminQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * CreateTopics. Validates the name (17), partitions (37) and configs (40); 36 when it exists.
   * With validateOnly nothing is written. `topicId` may be given (tests, restores); default random.
   */
  createTopic(
    name: string,
    opts: { partitions: number; configs?: Record<string, string>; validateOnly?: boolean; topicId?: string },
  ): Promise<TopicInfo> {
    return this.admin(async () => {
      validateNewTopic(name, opts.partitions, this.store);
      const configs = { ...(opts.configs ?? {}) };
      validateTopicConfigs(configs);
      const record: TopicRecord = { name, topicId: opts.topicId ?? randomTopicId(), partitions: opts.partitions, configs };
      if (opts.validateOnly) return this.info(record);
      // Atomic: every partition is opened before the topic is persisted or visible; a failure on any
      // of them removes what was made, so nothing of the topic is left on disk or in topics.json.
      const logs = await this.openNewPartitions(record, 0, record.partitions);
      try {
        await this.store.add(record);
      } catch (e) {
        await this.discardPartitions(record, logs, 0);
        throw e;
      }
      this.logs.set(name, logs);
      this.logger.info(`created topic ${name} (${record.partitions} partitions, id ${record.topicId})`);
      return this.info(record);
    });
  }

  /**
   * Opens partitions [from, to) of a topic not yet holding them. All or nothing: when one fails, the
   * others are closed and every directory made for them is removed before the error is thrown.
   */
  private async openNewPartitions(record: TopicRecord, from: number, to: number): Promise<PartitionLog[]> {
    const cfg = this.logConfigFor(record.configs);
    const logs: PartitionLog[] = [];
    let failure: unknown = null;
    await runLimited(
      Array.from({ length: to - from }, (_, i) => async () => {
        if (failure !== null) return;
        try {
          logs[from + i] = await this.openPartition(record, from + i, cfg, { clean: true });
        } catch (e) {
          failure ??= e;
        }
      }),
      OPEN_CONCURRENCY,
    );
    if (failure === null) return logs;
    const e = failure as Error;
    this.logger.error(`creating partitions ${from}-${to - 1} of ${record.name}: ${e.message}; removing the ones made`);
    await this.discardPartitions(record, logs, from, to);
    throw e instanceof StorageError ? e : storageFailure(`creating partitions of ${record.name}`, this.dataDir, e);
  }

  /** Closes `logs` (indexes from..to) and removes their directories (undo of openNewPartitions). */
  private async discardPartitions(record: TopicRecord, logs: PartitionLog[], from: number, to = logs.length): Promise<void> {
    for (let p = from; p < to; p++) {
      await logs[p]?.destroy().catch(() => undefined);
      await this.io.rm(this.path(`${record.name}-${p}`), { recursive: true, force: true }).catch((err: Error) => {
        this.logger.warn(`removing ${record.name}-${p}: ${err.message} (removed at next start)`);
      });
    }
  }

  /** DeleteTopics: forgets the topic, then removes its directories. */
  deleteTopic(name: string): Promise<void> {
    return this.admin(async () => {
      const t = this.requireTopic(name);
      const logs = this.logs.get(name) ?? [];
      await this.store.remove(name);
      this.logs.delete(name);
      for (let p = 0; p < t.partitions; p++) {
        await logs[p]?.destroy();
        const dir = this.path(`${name}-${p}`);
        const doomed = `${dir}.${t.topicId.replace(/[^a-zA-Z0-9]/g, '')}-delete`;
        try {
          await this.io.rename(dir, doomed);
          await this.io.rm(doomed, { recursive: true, force: true });
        } catch (e) {
          if (!isNotFound(e)) this.logger.warn(`deleting ${dir}: ${(e as Error).message} (removed at next start)`);
        }
      }
      this.logger.info(`deleted topic ${name}`);
    });
  }

  /** CreatePartitions: grows the topic to `newTotal` partitions (37 when not larger). All or nothing. */
  createPartitions(name: string, newTotal: number, opts: { validateOnly?: boolean } = {}): Promise<TopicInfo> {
    return this.admin(async () => {
      const t = this.requireTopic(name);
      validatePartitionIncrease(t.partitions, newTotal);
      if (opts.validateOnly) return this.info({ ...t, partitions: newTotal });
      const old = t.partitions;
      const added = await this.openNewPartitions(t, old, newTotal);
      let next: TopicRecord;
      try {
        next = await this.store.update(name, { partitions: newTotal });
      } catch (e) {
        await this.discardPartitions(t, added, old, newTotal);
        throw e;
      }
      const logs = this.logs.get(name)!;
      for (let p = old; p < newTotal; p++) logs[p] = added[p]!;
      return this.info(next);
    });
  }

  /** IncrementalAlterConfigs on a topic: set/delete/append/subtract, validated as a whole (40). */
  alterTopicConfigs(name: string, changes: ConfigChange[], opts: { validateOnly?: boolean } = {}): Promise<Record<string, string>> {
    return this.admin(async () => {
      const t = this.requireTopic(name);
      const next = applyConfigChanges(t.configs, changes, this.topicDefaults);
      return this.applyConfigs(t, next, opts.validateOnly ?? false);
    });
  }

  /** Legacy AlterConfigs: the given map replaces all topic overrides. */
  replaceTopicConfigs(name: string, configs: Record<string, string>, opts: { validateOnly?: boolean } = {}): Promise<Record<string, string>> {
    return this.admin(async () => {
      const t = this.requireTopic(name);
      validateTopicConfigs(configs);
      return this.applyConfigs(t, { ...configs }, opts.validateOnly ?? false);
    });
  }

  private async applyConfigs(t: TopicRecord, next: Record<string, string>, validateOnly: boolean): Promise<Record<string, string>> {
    const cfg = this.logConfigFor(next);
    if (validateOnly) return { ...next };
    await this.store.update(t.name, { configs: next });
    for (const log of this.logs.get(t.name) ?? []) log.config = cfg;
    return { ...next };
  }

  /** A topic that is fully there (persisted and all partitions open). */
  private requireTopic(name: string): TopicRecord {
    const t = this.getRecord(name);
    if (!t) throw new UnknownTopicOrPartitionError(`This server does not host this topic: ${name}`);
    return t;
  }

  private info(r: TopicRecord): TopicInfo {
    return { name: r.name, topicId: r.topicId, partitionCount: r.partitions, configs: { ...r.configs }, internal: isInternalTopic(r.name) };
  }

  /** The persisted record of a topic whose partitions are all open (a topic is visible only whole). */
  private getRecord(name: string): TopicRecord | undefined {
    return this.logs.has(name) ? this.store.get(name) : undefined;
  }

  private visibleRecords(): TopicRecord[] {
    return this.store.all().filter((t) => this.logs.has(t.name));
  }

  getTopic(name: string): TopicInfo | undefined {
    const t = this.getRecord(name);
    return t ? this.info(t) : undefined;
  }

  getTopicById(topicId: string): TopicInfo | undefined {
    for (const t of this.visibleRecords()) if (t.topicId === topicId) return this.info(t);
    return undefined;
  }

  listTopics(): TopicInfo[] {
    return this.visibleRecords().map((t) => this.info(t));
  }

  hasTopic(name: string): boolean {
    return this.logs.has(name);
  }

  /** The partition's log, or undefined for an unknown topic/partition. */
  partition(topic: string, index: number): PartitionLog | undefined {
    return this.logs.get(topic)?.[index];
  }

  /** Every partition log (for background tasks and tools). */
  allPartitions(): PartitionLog[] {
    const out: PartitionLog[] = [];
    for (const logs of this.logs.values()) for (const l of logs) if (l) out.push(l);
    return out;
  }

  /** Broker-level topic defaults changed at runtime (dynamic broker config): every partition follows at once. */
  setTopicDefaults(defaults: Record<string, string>): void {
    validateTopicConfigs(defaults);
    this.topicDefaults = { ...defaults };
    for (const t of this.store.all()) {
      const cfg = this.logConfigFor(t.configs);
      for (const log of this.logs.get(t.name) ?? []) if (log) log.config = cfg;
    }
  }

  /** All topic configs with their effective values: topic overrides over broker defaults over Kafka's. */
  effectiveConfig(topic: string): Record<string, string> {
    return effectiveTopicConfig(this.requireTopic(topic).configs, this.topicDefaults);
  }

  /** Parsed LogConfig of a topic (what storage itself uses). */
  logConfig(topic: string): LogConfig {
    return this.logConfigFor(this.requireTopic(topic).configs);
  }

  /** DescribeConfigs for a topic resource: every config with value, source and synonyms. */
  describeTopicConfigs(topic: string): ConfigEntry[] {
    return describeTopicConfigs(this.requireTopic(topic).configs, this.topicDefaults);
  }

  /**
   * Retention over every partition (and compaction of cleanup.policy=compact topics, which the same
   * timer drives); returns the number of segments deleted.
   */
  async runRetention(): Promise<number> {
    const nowMs = this.now();
    let n = 0;
    for (const log of this.allPartitions()) {
      try {
        n += await log.applyRetention(nowMs);
        if (log.config.cleanupPolicy.includes('compact')) await log.compact(nowMs);
      } catch (e) {
        this.logger.error(`retention of ${log.name}: ${(e as Error).message}`);
      }
    }
    if (this.checkpoints.logStartDirty) await this.writeCheckpoints();
    return n;
  }

  /**
   * Compacts every compacted topic whose dirty share reached its min.cleanable.dirty.ratio (Kafka's
   * cleaner thread, woken every log.cleaner.backoff.ms). Keeps `__consumer_offsets` near its live
   * keys while the broker runs, so a restart replays little (issue 20.3).
   */
  async runCleaner(): Promise<void> {
    const nowMs = this.now();
    for (const log of this.allPartitions()) {
      if (!log.config.cleanupPolicy.includes('compact')) continue;
      try {
        await log.compact(nowMs);
      } catch (e) {
        this.logger.error(`compaction of ${log.name}: ${(e as Error).message}`);
      }
    }
  }

  /** Resolves once the compactions woken by rolls are done (see cleaner-queue.ts). */
  whenCleanerIdle(): Promise<void> {
    return this.cleanerQueue.whenIdle();
  }

  /** fsyncs partitions whose flush interval has passed (fsync=interval; see log-flusher.ts). */
  flushDue(): Promise<void> {
    return this.flusher.flushDue();
  }

  /** fsyncs every partition now and checkpoints recovery points. */
  async flushAll(): Promise<void> {
    await runLimited(this.allPartitions().map((log) => () => log.flush()), FLUSH_CONCURRENCY);
    await this.writeCheckpoints();
  }

  /**
   * The high watermark this partition had in replication-offset-checkpoint when storage opened, capped
   * at its log end (Kafka's Partition.createLogIfNotExists starts a replica's HW from it); undefined
   * when it had none.
   */
  checkpointedHighWatermark(topic: string, partition: number): number | undefined {
    const hw = this.checkpointedHw.get(`${topic}-${partition}`);
    const log = this.partition(topic, partition);
    return hw === undefined || !log ? undefined : Math.min(hw, log.logEndOffset);
  }

  /** Writes the recovery-point, log-start-offset and high-watermark checkpoints (log-checkpoints.ts). */
  writeCheckpoints(): Promise<void> {
    return this.checkpoints.write();
  }

  /**
   * DeleteRecords for one partition: moves its log start offset to `offset` (-1 = high watermark),
   * deletes covered segments, and persists the new start before resolving. Returns the new log start.
   */
  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    const log = this.partition(topic, partition);
    if (!log) throw new UnknownTopicOrPartitionError(`This server does not host this topic-partition: ${topic}-${partition}`);
    const start = await log.deleteRecordsBefore(offset);
    await this.writeCheckpoints();
    return start;
  }

  /** Retention, interval flushes and checkpoints, each on its own period (see periodic-tasks.ts). */
  startBackgroundTasks(): void {
    if (this.closed) return;
    this.background.start([
      { periodMs: this.config.retentionCheckIntervalMs ?? 300_000, run: () => this.runRetention() },
      { periodMs: () => this.flusher.periodMs(), run: () => this.flushDue() },
      { periodMs: this.config.checkpointIntervalMs ?? 60_000, run: () => this.writeCheckpoints() },
      { periodMs: this.config.cleanerBackoffMs ?? 15_000, run: () => this.runCleaner() },
    ]);
  }

  stopBackgroundTasks(): void {
    this.background.stop();
  }

  /** Flushes and closes every partition, checkpoints, and writes the clean-shutdown marker. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.stopBackgroundTasks();
    await this.adminQueue;
    this.closed = true;
    let failed = false;
    await runLimited(
      this.allPartitions().map((log) => async () => {
        try {
          await log.close();
          if (log.offline) failed = true;
        } catch (e) {
          failed = true;
          this.logger.error(`closing ${log.name}: ${(e as Error).message}`);
        }
      }),
      OPEN_CONCURRENCY,
    );
    try {
      await this.writeCheckpoints();
    } catch (e) {
      failed = true;
      this.logger.error(`writing checkpoints in ${this.dataDir}: ${(e as Error).message}`);
    }
    // Only a complete, error-free flush earns the marker; otherwise the next start re-validates.
    if (!failed) {
      try {
        const fh = await this.io.open(this.path(CLEAN_SHUTDOWN), 'w');
        await fh.sync();
        await fh.close();
        await syncDir(this.io, this.dataDir);
      } catch (e) {
        this.logger.error(`writing the clean-shutdown marker in ${this.dataDir}: ${(e as Error).message} (next start re-validates)`);
      }
    } else {
      this.logger.warn(`${this.dataDir}: shutdown was not clean; the next start re-validates partition tails`);
    }
    await releaseDataDirLock(this.io, this.dataDir);
  }

  private async closePartitions(): Promise<void> {
    for (const log of this.allPartitions()) await log.close().catch(() => undefined);
  }
}

