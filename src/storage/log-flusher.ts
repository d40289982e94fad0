import type { StorageLogger } from './logger.ts';
import type { PartitionLog } from './partition-log.ts';
import { runLimited } from './run-limited.ts';

/** fdatasyncs in flight at once: enough to keep the disk queue and libuv's pool busy, not more. */
export const FLUSH_CONCURRENCY = 16;

/**
 * The interval flush of fsync=interval (Kafka's log flusher task, LogManager.flushDirtyLogs): every
 * check interval, each partition whose log.fsync.interval.ms has passed is fsynced, FLUSH_CONCURRENCY
 * at a time — one by one, a pass over 1,000 dirty partitions outlasted the interval itself. The pass
 * also paces itself (see leadMs).
 */
export class LogFlusher {
  private readonly partitions: () => PartitionLog[];
  private readonly now: () => number;
  private readonly logger: StorageLogger;
  private readonly checkIntervalMs: number;
  /** Duration of the last pass (see leadMs). */
  private lastPassMs = 0;

  constructor(opts: { partitions: () => PartitionLog[]; now: () => number; logger: StorageLogger; checkIntervalMs: number }) {
    this.partitions = opts.partitions;
    this.now = opts.now;
    this.logger = opts.logger;
    this.checkIntervalMs = opts.checkIntervalMs;
  }

  /** fsyncs the partitions whose flush interval has passed. */
  async flushDue(): Promise<void> {
    const started = performance.now();
    const nowMs = this.now();
    // This pass started `leadMs` early (see periodMs): partitions are due that much sooner.
    const tickMs = this.checkIntervalMs + 2 * this.leadMs;
    await runLimited(
      this.partitions().map((log) => async () => {
        try {
          await log.flushIfDue(nowMs, tickMs);
        } catch (e) {
          this.logger.error(`flush of ${log.name}: ${(e as Error).message}`);
        }
      }),
      FLUSH_CONCURRENCY,
    );
    this.lastPassMs = performance.now() - started;
  }

  /** The period of flushDue: the check interval, started early by leadMs. */
  periodMs(): number {
    return this.checkIntervalMs - this.leadMs;
  }

  /**
   * How early the next pass starts: the last pass's duration, at most a quarter of the period. A
   * partition late in one pass (after hundreds of others' fdatasyncs) is synced about as late in the
   * next, but a pass slower than the one before would push its last partitions past the interval:
   * 1,000 partitions gave gaps up to 1.18 s under a 1 s log.fsync.interval.ms (issue 20.2). Starting
   * each pass early by the previous one's length keeps every gap within the interval while passes
   * vary by less than that, at the price of that share of extra syncs.
   */
  private get leadMs(): number {
    return Math.min(this.lastPassMs, this.checkIntervalMs / 4);
  }
}
