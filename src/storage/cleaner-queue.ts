import type { StorageLogger } from './logger.ts';

/** What the queue compacts (a PartitionLog). */
export interface Compactable {
  readonly name: string;
  readonly config: { readonly cleanupPolicy: readonly string[] };
  compact(nowMs: number): Promise<unknown>;
}

/**
 * Compacts a compacted log as soon as it rolls a segment, instead of at the next
 * log.cleaner.backoff.ms tick. Kafka's cleaner thread sleeps the backoff only when no log is dirty
 * enough; while a log keeps rolling it is cleaned again as soon as the previous run ends. Waiting the
 * backoff instead left up to 15 s of `__consumer_offsets` history (10+ rolled segments under a heavy
 * commit load) for the next start to replay (issue 20.3). One log is compacted at a time, as by
 * Kafka's one cleaner thread; min.cleanable.dirty.ratio still decides whether a run rewrites anything.
 */
export class CleanerQueue {
  private readonly wanted = new Set<Compactable>();
  private drain: Promise<void> | null = null;
  private readonly now: () => number;
  private readonly logger: StorageLogger;
  private readonly closed: () => boolean;

  constructor(now: () => number, logger: StorageLogger, closed: () => boolean) {
    this.now = now;
    this.logger = logger;
    this.closed = closed;
  }

  /** A log rolled: compact it soon (after the logs already waiting). */
  wake(log: Compactable): void {
    if (this.closed() || !log.config.cleanupPolicy.includes('compact')) return;
    this.wanted.add(log);
    this.drain ??= this.run();
  }

  /** Resolves once every woken compaction is done. */
  async whenIdle(): Promise<void> {
    while (this.drain) await this.drain;
  }

  private async run(): Promise<void> {
    try {
      for (let next = this.wanted.values().next(); !next.done && !this.closed(); next = this.wanted.values().next()) {
        const log = next.value;
        this.wanted.delete(log);
        try {
          await log.compact(this.now());
        } catch (e) {
          this.logger.error(`compaction of ${log.name}: ${(e as Error).message}`);
        }
      }
    } finally {
      // In the same turn as the loop's last check: a wake after it starts a new run.
      this.drain = null;
      this.wanted.clear();
    }
  }
}
