import { join } from 'node:path';
import type { StorageIO } from './io.ts';
import { isNotFound, writeFileAtomic } from './io.ts';

/** Kafka's file name in each partition directory. */
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
/** Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET (OffsetForLeaderEpoch answers, diverging epochs). */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/**
 * Kafka's LeaderEpochFileCache: for each leader epoch the first offset written in it, persisted as the
 * partition's `leader-epoch-checkpoint` ("0\n<count>\n<epoch> <startOffset>\n…", Kafka's format, written
 * atomically on every change — changes are rare: one per leader election seen in the log).
 *
 * It answers OffsetForLeaderEpoch (endOffsetFor) and lets a follower find where its log diverges from a
 * new leader's (KIP-101/279). Entries only grow at the end; truncation from either side keeps it in
 * step with the log.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];
  private readonly io: StorageIO;
  readonly path: string;
  private writes: Promise<void> = Promise.resolve();

  private constructor(io: StorageIO, path: string, entries: EpochEntry[]) {
    this.io = io;
    this.path = path;
    this.entries = entries;
  }

  /** Reads the partition's checkpoint; a missing file is an empty cache, a malformed one is refused. */
  static async load(io: StorageIO, dir: string): Promise<LeaderEpochCache> {
    const path = join(dir, LEADER_EPOCH_CHECKPOINT);
    let text: string | null = null;
    try {
      text = (await io.readFile(path)).toString('utf8');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return new LeaderEpochCache(io, path, text === null ? [] : parseLeaderEpochCheckpoint(text, path));
  }

  /** An empty cache over the partition's checkpoint path (the next change overwrites the file). */
  static empty(io: StorageIO, dir: string): LeaderEpochCache {
    return new LeaderEpochCache(io, join(dir, LEADER_EPOCH_CHECKPOINT), []);
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** The latest epoch, -1 when empty. */
  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /** The start offset of `epoch`, undefined when it is not in the cache. */
  startOffsetOf(epoch: number): number | undefined {
    return this.entries.find((e) => e.epoch === epoch)?.startOffset;
  }

  /** The last epoch whose start offset is below `offset` (what a follower sends as lastFetchedEpoch). */
  epochForOffset(offset: number): number {
    let found = UNDEFINED_EPOCH;
    for (const e of this.entries) if (e.startOffset < offset) found = e.epoch;
    return found;
  }

  /**
   * Records that `epoch` starts at `startOffset` (Kafka's assign): ignored when the latest entry is
   * the same epoch starting no later; entries it contradicts (epoch or start offset at or above its
   * own) are removed first. Resolves once the checkpoint is written when anything changed.
   */
  assign(epoch: number, startOffset: number): Promise<void> {
    if (epoch < 0 || startOffset < 0) return Promise.resolve();
    const last = this.entries.at(-1);
    if (last && !(epoch !== last.epoch || startOffset < last.startOffset)) return Promise.resolve();
    this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    return this.persist();
  }

  /**
   * Kafka's endOffsetFor: the epoch and end offset (the next epoch's start, or the log end for the
   * latest epoch) of the largest epoch <= `requestedEpoch`. Unknown (a newer epoch than any known, or
   * an empty cache) → (-1, -1); older than every known epoch → (requestedEpoch, first start offset).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH || this.entries.length === 0) return undefinedAnswer;
    if (this.latestEpoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > requestedEpoch);
    if (!higher) return undefinedAnswer;
    let floor: EpochEntry | undefined;
    for (const e of this.entries) if (e.epoch <= requestedEpoch) floor = e;
    return floor ? { epoch: floor.epoch, endOffset: higher.startOffset } : { epoch: requestedEpoch, endOffset: higher.startOffset };
  }

  /** The log was truncated to `endOffset`: entries starting at or after it go. */
  truncateFromEnd(endOffset: number): Promise<void> {
    const kept = this.entries.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.entries.length) return Promise.resolve();
    this.entries = kept;
    return this.persist();
  }

  /** The log start moved to `startOffset`: entries wholly below go, the first one kept starts there. */
  truncateFromStart(startOffset: number): Promise<void> {
    let changed = false;
    while (this.entries.length > 1 && this.entries[1]!.startOffset <= startOffset) {
      this.entries.shift();
      changed = true;
    }
    const first = this.entries[0];
    if (first && first.startOffset < startOffset) {
      this.entries[0] = { epoch: first.epoch, startOffset };
      changed = true;
    }
    return changed ? this.persist() : Promise.resolve();
  }

  /** Empties the cache (a follower that truncates its whole log). */
  clear(): Promise<void> {
    if (this.entries.length === 0) return Promise.resolve();
    this.entries = [];
    return this.persist();
  }

  private persist(): Promise<void> {
    const snapshot = formatLeaderEpochCheckpoint(this.entries);
    const run = this.writes.then(() => writeFileAtomic(this.io, this.path, snapshot));
    this.writes = run.catch(() => undefined);
    return run;
  }
}

export function formatLeaderEpochCheckpoint(entries: readonly EpochEntry[]): Buffer {
  return Buffer.from(`0\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`);
}

export function parseLeaderEpochCheckpoint(text: string, path: string): EpochEntry[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== '0') throw new Error(`${path}: unknown leader-epoch checkpoint version ${JSON.stringify(lines[0] ?? '')}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || lines.length - 2 !== count) throw new Error(`${path}: expected ${lines[1]} entries, found ${lines.length - 2}`);
  return lines.slice(2).map((line) => {
    const m = /^(\d+) (\d+)$/.exec(line.trim());
    if (!m) throw new Error(`${path}: malformed entry ${JSON.stringify(line)}`);
    return { epoch: Number(m[1]), startOffset: Number(m[2]) };
  });
}
