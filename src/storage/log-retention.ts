import { OffsetOutOfRangeError, storageFailure } from './errors.ts';
import type { StorageIO } from './io.ts';
import type { LogSegment } from './log-segment.ts';
import type { LogSegments } from './log-segments.ts';
import type { StorageLogger } from './logger.ts';
import type { LogConfig } from './topic-config.ts';

/** What retention needs of a partition. Called inside the partition's serialized section. */
export interface RetainableLog {
  readonly name: string;
  readonly segments: LogSegments;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  readonly config: LogConfig;
  /** Moves logStartOffset up (never down) and has it persisted. */
  advanceLogStartOffset(offset: number): void;
}

/**
 * Kafka's retention (UnifiedLog.deleteOldSegments): deletes whole old segments, never the active one,
 * below the log start offset, older than retention.ms (by their largest timestamp) or beyond
 * retention.bytes; and DeleteRecords. Functions over a RetainableLog; the caller serializes them.
 */
export class LogRetention {
  private readonly io: StorageIO;
  private readonly logger: StorageLogger;

  constructor(io: StorageIO, logger: StorageLogger) {
    this.io = io;
    this.logger = logger;
  }

  /** Applies every retention rule of the topic's config. Returns how many segments were deleted. */
  async apply(log: RetainableLog, nowMs: number): Promise<number> {
    let deleted = await this.deleteBelowLogStart(log);
    if (!log.config.cleanupPolicy.includes('delete')) return deleted;
    const retentionMs = log.config.retentionMs;
    if (retentionMs >= 0 && Number.isFinite(retentionMs)) {
      deleted += await this.deleteSegmentsWhile(log, async (seg) => {
        await seg.ensureMaxTimestamp();
        let ts = seg.maxTimestamp;
        if (ts < 0) ts = (await this.io.stat(seg.logPath)).mtimeMs;
        return nowMs - ts > retentionMs;
      }, `retention.ms ${retentionMs}`);
    }
    const retentionBytes = log.config.retentionBytes;
    if (retentionBytes >= 0 && Number.isFinite(retentionBytes)) {
      let excess = log.segments.size - retentionBytes;
      deleted += await this.deleteSegmentsWhile(log, (seg) => {
        if (excess - seg.size < 0) return false;
        excess -= seg.size;
        return true;
      }, `retention.bytes ${retentionBytes}`);
    }
    return deleted;
  }

  /**
   * DeleteRecords: moves logStartOffset up to `offset` (-1 = high watermark) and deletes segments
   * wholly below it. Returns the new logStartOffset. Throws OffsetOutOfRange past the high watermark.
   */
  async deleteRecordsBefore(log: RetainableLog, offset: number): Promise<number> {
    const target = offset === -1 ? log.highWatermark : offset;
    if (target < 0 || target > log.highWatermark) {
      throw new OffsetOutOfRangeError(log.name, offset, log.logStartOffset, log.highWatermark);
    }
    if (target > log.logStartOffset) {
      log.advanceLogStartOffset(target);
      await this.deleteBelowLogStart(log);
    }
    return log.logStartOffset;
  }

  private deleteBelowLogStart(log: RetainableLog): Promise<number> {
    return this.deleteSegmentsWhile(log, (_seg, next) => next !== undefined && next.baseOffset <= log.logStartOffset, 'log start offset');
  }

  /** Deletes oldest segments while `pred` holds, never the active one; advances logStartOffset. */
  private async deleteSegmentsWhile(
    log: RetainableLog,
    pred: (seg: LogSegment, next: LogSegment | undefined) => boolean | Promise<boolean>,
    why: string,
  ): Promise<number> {
    let n = 0;
    while (log.segments.count > 1) {
      const seg = log.segments.first;
      if (!(await pred(seg, log.segments.at(1)))) break;
      log.segments.shiftOldest();
      log.advanceLogStartOffset(log.segments.first.baseOffset);
      this.logger.info(`${log.name}: deleting segment ${seg.baseOffset} (${seg.size} bytes) by ${why}; log start offset now ${log.logStartOffset}`);
      try {
        await seg.delete();
      } catch (e) {
        this.logger.error(storageFailure(`deleting segment of ${log.name}`, seg.logPath, e).message);
      }
      n++;
    }
    return n;
  }
}
