import type { DurabilitySettings } from './durability.ts';
import type { StorageIO } from './io.ts';
import type { StorageLogger } from './logger.ts';

/** What LogManager is opened with, and what it reports about a topic: the storage layer's seam types. */

export interface LogManagerConfig {
  /**
   * Broker-level defaults of topic configs, by topic-config name (retention.ms, segment.bytes, …).
   * topicDefaultsFromBrokerProperties() maps server.properties names (log.retention.hours, …) here.
   */
  topicDefaults?: Record<string, string>;
  durability?: Partial<DurabilitySettings>;
  /** How often startBackgroundTasks() runs retention (log.retention.check.interval.ms). */
  retentionCheckIntervalMs?: number;
  /**
   * How often compacted topics are checked for cleanable segments (log.cleaner.backoff.ms, 15 s): the
   * cleaner only rewrites a log whose dirty share reached min.cleanable.dirty.ratio, so a check is cheap.
   */
  cleanerBackoffMs?: number;
  /** How often the flush timer looks for due partitions (fsync=interval); default min(intervalMs, 1000). */
  flushCheckIntervalMs?: number;
  /** How often recovery points / log start offsets are checkpointed (log.flush.offset.checkpoint.interval.ms). */
  checkpointIntervalMs?: number;
  /**
   * Idle bytes of pooled Fetch read buffers kept for reuse (default 64 MiB; 0 = allocate per read).
   * Reads then carry ReadResult.release, which the Fetch handler calls once the response is sent.
   */
  readPoolBytes?: number;
  /** Producer state older than this is forgotten at retention time (producer.id.expiration.ms, 1 day). */
  producerIdExpirationMs?: number;
  /**
   * Segment files open at once, across all partitions (idle ones beyond it are closed, least recently
   * used first, and reopened on use). Default: from the process's RLIMIT_NOFILE (segmentHandleBudget).
   */
  maxOpenSegmentFiles?: number;
}

export interface LogManagerOptions {
  dataDir: string;
  now?: () => number;
  config?: LogManagerConfig;
  logger?: StorageLogger;
  /** File operations; tests inject faults here. */
  io?: StorageIO;
}

export interface TopicInfo {
  name: string;
  /** Kafka Uuid as base64url (22 chars), persisted. */
  topicId: string;
  partitionCount: number;
  /** Topic-level overrides only (effectiveConfig() merges the defaults). */
  configs: Record<string, string>;
  /** Metadata isInternal (__consumer_offsets, __transaction_state). */
  internal: boolean;
}
