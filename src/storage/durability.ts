/**
 * When appended bytes are forced to disk.
 * - `always`: fdatasync before an append is acknowledged (concurrent appends share one fsync).
 *   Survives process crash and power loss / kernel panic.
 * - `interval`: fsync every `intervalMs` (and after `intervalMessages` messages, Kafka's
 *   log.flush.interval.messages); acknowledged after write(). Survives process crash; a power loss
 *   loses at most the last interval.
 * - `never`: leave it to the OS (Kafka's default). Each write() has reached the page cache before the
 *   ack, so a process crash (SIGKILL) loses nothing; a power loss can lose what the kernel had not
 *   yet written back (typically up to ~30 s). Segments are still fsynced when rolled and on close.
 */
export type FsyncMode = 'always' | 'interval' | 'never';

export interface DurabilitySettings {
  mode: FsyncMode;
  /** Timer of `interval` mode (ms). */
  intervalMs: number;
  /** Flush after this many messages since the last flush, in any mode (Infinity: off). */
  intervalMessages: number;
}

export const DEFAULT_DURABILITY: DurabilitySettings = { mode: 'interval', intervalMs: 1000, intervalMessages: Number.POSITIVE_INFINITY };
