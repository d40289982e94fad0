import { readFileSync } from 'node:fs';

/** Something holding an open segment file that it can close and later reopen by itself. */
export interface HandleHolder {
  /** True when no operation is using the handle right now (closing it is safe). */
  readonly idle: boolean;
  /** Closes the handle; the next use reopens it. */
  evictHandle(): Promise<void>;
}

/**
 * The bound on open segment files of a broker: an LRU of holders. Kafka keeps every segment open;
 * here a partition's files open on first use and the least recently used idle ones close when the
 * budget is reached, so partition counts beyond the process's file limit work. Handles in use are
 * never closed (the set can exceed the budget by the operations in flight).
 */
export class FileHandleBudget {
  readonly limit: number;
  private readonly open = new Map<HandleHolder, true>();
  /** Handles closed to stay within the budget (for tests and the start-up summary). */
  evictions = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`file handle budget must be a positive integer (got ${limit})`);
    this.limit = limit;
  }

  get openCount(): number {
    return this.open.size;
  }

  /** `holder` opened or used its handle: most recently used now; evicts idle ones over the budget. */
  touch(holder: HandleHolder): void {
    this.open.delete(holder);
    this.open.set(holder, true);
    if (this.open.size <= this.limit) return;
    for (const h of this.open.keys()) {
      if (this.open.size <= this.limit) break;
      if (h === holder || !h.idle) continue;
      this.open.delete(h);
      this.evictions++;
      void h.evictHandle().catch(() => undefined);
    }
  }

  /** `holder` closed its handle by itself. */
  forget(holder: HandleHolder): void {
    this.open.delete(holder);
  }
}

/** Fallback when the limit cannot be read (no /proc): the common soft default of Linux and macOS is 256–1024. */
const DEFAULT_OPEN_FILE_LIMIT = 1024;

/**
 * The soft RLIMIT_NOFILE of this process. Node has no getrlimit: on Linux it is read from
 * /proc/self/limits; elsewhere (macOS) the fallback 1024 is used unless `KSTREAM_OPEN_FILE_LIMIT`
 * (or the caller) says otherwise.
 */
export function openFileLimit(readProcLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number {
  const env = Number(process.env.KSTREAM_OPEN_FILE_LIMIT);
  if (Number.isInteger(env) && env > 0) return env;
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s+/m.exec(readProcLimits());
    if (m) return m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  } catch {
    // Not Linux, or /proc not mounted.
  }
  return DEFAULT_OPEN_FILE_LIMIT;
}

/**
 * Segment handles allowed for a given file limit: half of what is left after a reserve for sockets,
 * index/checkpoint/snapshot files opened briefly, and the operations in flight (at least 16).
 */
export function segmentHandleBudget(fileLimit: number): number {
  return Math.max(16, Math.floor((fileLimit - 128) / 2));
}
