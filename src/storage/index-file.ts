import type { StorageIO } from './io.ts';
import { isNotFound, writeFully } from './io.ts';

/**
 * A sparse index file of fixed-size entries (Kafka's AbstractIndex without mmap): the entries live in
 * one growable in-memory Buffer, searched by binary search, and are appended to the file on flush.
 * Index files are an accelerator only: recovery rebuilds them from the log, so they are written
 * lazily (at flush, roll and close) instead of on every append. The file is exactly count × entrySize
 * bytes — no preallocation, so there is nothing to trim on roll.
 */
export abstract class IndexFile {
  readonly path: string;
  readonly entrySize: number;
  protected buf: Buffer;
  protected count = 0;
  /** Entries already in the file. */
  private persisted = 0;
  /** The file holds entries past `count` (after a truncation) and must be cut on next flush. */
  private mustTruncate = false;
  /** Everything written to the file has been fsynced (a sync with nothing new to sync is skipped). */
  private synced = true;

  protected constructor(path: string, entrySize: number) {
    this.path = path;
    this.entrySize = entrySize;
    this.buf = Buffer.alloc(entrySize * 16);
  }

  get entries(): number {
    return this.count;
  }

  /** Bytes the index occupies (in memory and, once flushed, on disk). */
  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  /**
   * Loads the file. Returns false (and leaves the index empty) when the file is missing or its
   * length is not a whole number of entries; the caller rebuilds it from the log.
   */
  async load(io: StorageIO): Promise<boolean> {
    let data: Buffer;
    try {
      data = await io.readFile(this.path);
    } catch (e) {
      if (isNotFound(e)) {
        this.reset();
        this.mustTruncate = false;
        return false;
      }
      throw e;
    }
    if (data.length % this.entrySize !== 0) {
      this.reset();
      return false;
    }
    this.buf = data.length > 0 ? data : Buffer.alloc(this.entrySize * 16);
    this.count = data.length / this.entrySize;
    this.persisted = this.count;
    this.mustTruncate = false;
    return true;
  }

  /** Entries not yet written to the file (or a pending truncation). */
  get dirty(): boolean {
    return this.persisted !== this.count || this.mustTruncate;
  }

  /** Frees the in-memory entries of a fully flushed index (it reloads from the file on next use). */
  unload(): void {
    if (this.dirty) return;
    this.buf = Buffer.alloc(this.entrySize * 16);
    this.count = 0;
    this.persisted = 0;
  }

  /** Drops every entry (in memory; the file is cut at the next flush). */
  reset(): void {
    this.count = 0;
    this.persisted = 0;
    this.mustTruncate = true;
  }

  protected truncateEntries(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    if (this.persisted > n) {
      this.persisted = n;
      this.mustTruncate = true;
    }
  }

  /** Room for one more entry; returns its byte offset in `buf`. */
  protected slot(): number {
    const at = this.count * this.entrySize;
    if (at + this.entrySize > this.buf.length) {
      const grown = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.count++;
    return at;
  }

  /**
   * Writes unflushed entries to the file (creating it), optionally fsyncing. Does nothing when the
   * file already holds every entry (and, with `sync`, was fsynced since): an unchanged index costs no
   * open, no write and no fsync.
   */
  async flush(io: StorageIO, sync: boolean): Promise<void> {
    if (this.persisted === this.count && !this.mustTruncate && (!sync || this.synced)) return;
    let fh;
    if (this.mustTruncate) {
      // Rewrite from scratch: 'w' truncates on open, then every entry is written.
      this.persisted = 0;
      fh = await io.open(this.path, 'w');
    } else {
      try {
        fh = await io.open(this.path, 'r+');
      } catch (e) {
        if (!isNotFound(e)) throw e;
        fh = await io.open(this.path, 'w+');
      }
    }
    try {
      const from = this.persisted * this.entrySize;
      const to = this.count * this.entrySize;
      if (to > from || this.mustTruncate) this.synced = false;
      if (to > from) await writeFully(fh, this.buf, from, to - from, from);
      if (sync) {
        await fh.datasync();
        this.synced = true;
      }
      this.persisted = this.count;
      this.mustTruncate = false;
    } finally {
      await fh.close();
    }
  }

  /** Creates the empty file now, so a segment's three files appear together. */
  async create(io: StorageIO): Promise<void> {
    const fh = await io.open(this.path, 'w');
    await fh.close();
    this.count = 0;
    this.persisted = 0;
    this.mustTruncate = false;
  }

  /** Index of the last entry whose key (read by keyAt) is <= target, or -1. Keys are non-decreasing. */
  protected floorEntry(target: number, keyAt: (i: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
