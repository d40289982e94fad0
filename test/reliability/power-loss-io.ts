/**
 * A simulated page cache for power-loss tests: a StorageIO whose file writes stay in memory until
 * the file is fsynced (`sync`/`datasync`), when its whole content goes to the real disk. `powerLoss()`
 * throws the unsynced state away — optionally keeping a random prefix of each log's unsynced tail,
 * as a partial write-back would — and kills the instance: every later call fails, so the storage
 * that used it can write nothing more. Reopening storage with the real `nodeIO` then sees exactly
 * what a machine would see after the power came back.
 *
 * Model: data reaches the disk only through fsync; metadata operations (create, truncate-on-open,
 * rename, unlink, mkdir) are durable at once (journaled file systems; writeFileAtomic also fsyncs
 * the directory).
 */
import * as fsp from 'node:fs/promises';
import type { StorageFile, StorageIO } from '../../src/storage/io.ts';

interface Entry {
  path: string;
  content: Buffer;
  length: number;
  /** Bytes of `content` known to be on disk (synced). */
  durable: number;
  /** Lowest position written or truncated to since the last sync began (what that sync may miss). */
  lowWrite: number;
}

const dead = () => Object.assign(new Error('EIO: the power is off'), { code: 'EIO' });

export class PowerLossIO implements StorageIO {
  private readonly files = new Map<string, Entry>();
  private off = false;
  /** fsyncs performed (files written to disk). */
  syncs = 0;

  private check(): void {
    if (this.off) throw dead();
  }

  private async load(path: string): Promise<Entry> {
    let e = this.files.get(path);
    if (e) return e;
    const disk = await fsp.readFile(path); // ENOENT / EISDIR as the real open would report them
    e = { path, content: Buffer.from(disk), length: disk.length, durable: disk.length, lowWrite: Infinity };
    this.files.set(path, e);
    return e;
  }

  async open(path: string, flags: string): Promise<StorageFile> {
    this.check();
    let e: Entry;
    if (flags.startsWith('w')) {
      await fsp.writeFile(path, ''); // create / truncate: metadata, durable
      e = { path, content: Buffer.alloc(4096), length: 0, durable: 0, lowWrite: Infinity };
      this.files.set(path, e);
    } else {
      e = await this.load(path);
    }
    return this.handle(e);
  }

  private handle(e: Entry): StorageFile {
    const io = this;
    return {
      async write(buffer, offset, length, position) {
        io.check();
        const end = position + length;
        if (end > e.content.length) {
          const grown = Buffer.alloc(Math.max(end, e.content.length * 2));
          e.content.copy(grown, 0, 0, e.length);
          e.content = grown;
        }
        if (position > e.length) e.content.fill(0, e.length, position);
        Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).copy(e.content, position, offset, offset + length);
        e.length = Math.max(e.length, end);
        if (position < e.durable) e.durable = position; // an overwrite of synced bytes is unsynced again
        e.lowWrite = Math.min(e.lowWrite, position);
        return { bytesWritten: length };
      },
      async read(buffer, offset, length, position) {
        io.check();
        const n = Math.max(0, Math.min(length, e.length - position));
        e.content.copy(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength), offset, position, position + n);
        return { bytesRead: n };
      },
      async truncate(len) {
        io.check();
        if (len < e.length) e.length = len;
        else {
          await this.write(Buffer.alloc(len - e.length), 0, len - e.length, e.length);
        }
        e.durable = Math.min(e.durable, len);
        e.lowWrite = Math.min(e.lowWrite, len);
      },
      async datasync() {
        await io.persist(e);
      },
      async sync() {
        await io.persist(e);
      },
      async stat() {
        io.check();
        return { size: e.length };
      },
      async close() {},
    };
  }

  private async persist(e: Entry): Promise<void> {
    this.check();
    // What this sync writes is a snapshot; writes arriving while it runs are not covered by it.
    const len = e.length;
    e.lowWrite = Infinity;
    await fsp.writeFile(e.path, Buffer.from(e.content.subarray(0, len)));
    this.check();
    e.durable = Math.min(len, e.length, e.lowWrite);
    this.syncs++;
  }

  async mkdir(path: string, opts: { recursive: true }): Promise<unknown> {
    this.check();
    return fsp.mkdir(path, opts);
  }

  async readdir(path: string): Promise<string[]> {
    this.check();
    return fsp.readdir(path);
  }

  async rm(path: string, opts: { recursive?: boolean; force?: boolean }): Promise<void> {
    this.check();
    await fsp.rm(path, opts);
    for (const p of [...this.files.keys()]) if (p === path || p.startsWith(`${path}/`)) this.files.delete(p);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check();
    await fsp.rename(from, to);
    for (const [p, e] of [...this.files]) {
      if (p === from || p.startsWith(`${from}/`)) {
        this.files.delete(p);
        e.path = to + p.slice(from.length);
        this.files.set(e.path, e);
      }
    }
  }

  async unlink(path: string): Promise<void> {
    this.check();
    await fsp.unlink(path);
    this.files.delete(path);
  }

  async stat(path: string): Promise<{ size: number; mtimeMs: number; isDirectory(): boolean }> {
    this.check();
    const s = await fsp.stat(path);
    const e = this.files.get(path);
    return e ? { size: e.length, mtimeMs: s.mtimeMs, isDirectory: () => false } : s;
  }

  async readFile(path: string): Promise<Buffer> {
    this.check();
    const e = this.files.get(path);
    return e ? Buffer.from(e.content.subarray(0, e.length)) : fsp.readFile(path);
  }

  /**
   * The power goes off. With `tornTail`, each `.log` file keeps a random prefix of its unsynced
   * appended bytes (0..all), as if the kernel had written some pages back. Returns the bytes kept.
   */
  async powerLoss(tornTail: false | (() => number)): Promise<number> {
    this.off = true;
    let kept = 0;
    if (tornTail) {
      for (const e of this.files.values()) {
        if (!e.path.endsWith('.log') || e.length <= e.durable) continue;
        const n = Math.min(Math.floor(tornTail() * (e.length - e.durable + 1)), e.content.length - e.durable);
        if (n === 0) continue;
        const fh = await fsp.open(e.path, 'r+').catch(() => null);
        if (!fh) continue;
        try {
          await fh.write(e.content, e.durable, n, e.durable);
          kept += n;
        } finally {
          await fh.close();
        }
      }
    }
    this.files.clear();
    return kept;
  }
}
