import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint } from './checkpoint-file.ts';
import type { StorageIO } from './io.ts';
import type { StorageLogger } from './logger.ts';

const RECOVERY_CHECKPOINT = 'recovery-point-offset-checkpoint';
const LOG_START_CHECKPOINT = 'log-start-offset-checkpoint';
/** The high watermarks (Kafka's ReplicaManager highWatermarkCheckpoints). */
const HW_CHECKPOINT = 'replication-offset-checkpoint';

/** What a checkpoint records of one partition. */
export interface CheckpointedLog {
  readonly topic: string;
  readonly partition: number;
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/** The three checkpoint files as read at open ("topic-partition" → offset; empty when absent). */
export interface CheckpointsAtOpen {
  recoveryPoints: Map<string, number> | null;
  logStarts: Map<string, number> | null;
  highWatermarks: Map<string, number>;
}

/**
 * The data dir's checkpoint files (Kafka's LogManager recovery-point and log-start-offset
 * checkpoints, and the replica manager's high-watermark one), written together by one writer at a
 * time (they share temp files). A moved log start is persisted soon, bursts coalesced into one write,
 * so a crash does not bring deleted records back into view.
 */
export class LogCheckpoints {
  private readonly io: StorageIO;
  private readonly dataDir: string;
  private readonly logger: StorageLogger;
  private readonly logs: () => readonly CheckpointedLog[];
  private queue: Promise<unknown> = Promise.resolve();
  private scheduled = false;
  /** A log start offset moved since the last write. */
  logStartDirty = false;
  /**
   * What each file holds now ("topic-partition=offset" lines, sorted), as read at open or last written:
   * a file whose content would not change is not rewritten — a clean restart and an idle broker's
   * periodic checkpoint then cost no write, fsync and rename per file.
   */
  private readonly onDisk = new Map<string, string>();

  constructor(io: StorageIO, dataDir: string, logger: StorageLogger, logs: () => readonly CheckpointedLog[]) {
    this.io = io;
    this.dataDir = dataDir;
    this.logger = logger;
    this.logs = logs;
  }

  /** Reads the three files (and remembers their content, see onDisk). */
  async read(): Promise<CheckpointsAtOpen> {
    const recoveryPoints = await readCheckpoint(this.io, join(this.dataDir, RECOVERY_CHECKPOINT));
    const logStarts = await readCheckpoint(this.io, join(this.dataDir, LOG_START_CHECKPOINT));
    const highWatermarks = await readCheckpoint(this.io, join(this.dataDir, HW_CHECKPOINT));
    // A missing file means what an empty one means (no entries; every reader treats both alike), so a
    // new data dir with no partitions writes none of the three at open.
    for (const [file, read] of [[RECOVERY_CHECKPOINT, recoveryPoints], [LOG_START_CHECKPOINT, logStarts], [HW_CHECKPOINT, highWatermarks]] as const) {
      this.onDisk.set(file, read ? canonical([...read].map(([key, offset]) => `${key}=${offset}`)) : '');
    }
    return { recoveryPoints, logStarts, highWatermarks: highWatermarks ?? new Map() };
  }

  /** Writes all three files from the logs' current state. */
  write(): Promise<void> {
    const run = this.queue.then(async () => {
      const logs = this.logs();
      this.logStartDirty = false;
      await this.writeIfChanged(RECOVERY_CHECKPOINT, logs.map((l) => [l.topic, l.partition, l.recoveryPoint]));
      await this.writeIfChanged(LOG_START_CHECKPOINT, logs.map((l) => [l.topic, l.partition, l.logStartOffset]));
      await this.writeIfChanged(HW_CHECKPOINT, logs.map((l) => [l.topic, l.partition, l.highWatermark]));
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeIfChanged(file: string, entries: [topic: string, partition: number, offset: number][]): Promise<void> {
    const content = canonical(entries.map(([t, p, o]) => `${t}-${p}=${o}`));
    if (this.onDisk.get(file) === content) return;
    // Forgotten first: a failed write leaves the file unknown, so the next write happens whatever it holds.
    this.onDisk.delete(file);
    await writeCheckpoint(this.io, join(this.dataDir, file), entries);
    this.onDisk.set(file, content);
  }

  /** A log start offset moved (retention, DeleteRecords): write soon, once per burst, unless `closed()`. */
  logStartMoved(closed: () => boolean): void {
    this.logStartDirty = true;
    if (this.scheduled || closed()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (closed() || !this.logStartDirty) return;
      this.write().catch((e) => this.logger.error(`writing checkpoints in ${this.dataDir}: ${(e as Error).message}`));
    });
  }
}

/** Order-free comparable form of a checkpoint's entries. */
function canonical(lines: string[]): string {
  return lines.sort().join('\n');
}
