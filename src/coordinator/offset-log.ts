import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../protocol/records/crc32c.ts';

/**
 * Where the coordinator keeps committed offsets and group metadata. The contract is small so the
 * backing store can be swapped (today: FileOffsetLog below; it can become an adapter over the
 * storage layer's PartitionLog for `__consumer_offsets` without touching the coordinator).
 */
export interface OffsetLogRecord {
  key: Buffer;
  /** null = tombstone. */
  value: Buffer | null;
}

export interface OffsetLog {
  /** Resolves once all records of this call are durable; they are written all-or-nothing. */
  append(records: OffsetLogRecord[]): Promise<void>;
  /** Calls onRecord for every stored record, oldest first. */
  replay(onRecord: (r: OffsetLogRecord) => void): Promise<void>;
  close(): Promise<void>;
}

export class OffsetLogError extends Error {
  override name = 'OffsetLogError';
}

/** Rewrite the file at open when it holds this many records and more than twice the live keys. */
const COMPACT_MIN_RECORDS = 1000;

/**
 * An append-only file of CRC-framed entries, one entry per append() call:
 *   int32 payloadLength, uint32 crc32c(payload), payload = int32 count, count × (int32 keyLen, key,
 *   int32 valueLen (-1 = null), value).
 * A torn or corrupt tail (crash mid-write) is cut off at open; every entry before it was fsync'd
 * before its append() resolved. At open the file is compacted (latest record per key, tombstones
 * dropped) when dead records dominate, via write-to-temp + fsync + rename.
 */
export class FileOffsetLog implements OffsetLog {
  readonly path: string;
  readonly #fsync: boolean;
  #fh: FileHandle | null = null;
  #size = 0;
  #chain: Promise<void> = Promise.resolve();
  #entries: OffsetLogRecord[] | null = null;

  private constructor(path: string, fsync: boolean) {
    this.path = path;
    this.#fsync = fsync;
  }

  /** Opens (creating) `<dir>/consumer-offsets.log`. `fsync: false` skips fsync (tests, --no-fsync modes). */
  static async open(dir: string, opts: { fsync?: boolean } = {}): Promise<FileOffsetLog> {
    await mkdir(dir, { recursive: true });
    const log = new FileOffsetLog(join(dir, 'consumer-offsets.log'), opts.fsync ?? true);
    await log.#load();
    return log;
  }

  async #load(): Promise<void> {
    const fh = await open(this.path, 'a+');
    const { size } = await fh.stat();
    const buf = Buffer.alloc(size);
    if (size > 0) await fh.read(buf, 0, size, 0);
    const records: OffsetLogRecord[] = [];
    let at = 0;
    while (at + 8 <= size) {
      const len = buf.readInt32BE(at);
      if (len < 4 || at + 8 + len > size) break;
      const crc = buf.readUInt32BE(at + 4);
      if (crc32c(buf, at + 8, at + 8 + len) !== crc) break;
      const parsed = parseEntry(buf.subarray(at + 8, at + 8 + len));
      if (!parsed) break;
      records.push(...parsed);
      at += 8 + len;
    }
    if (at < size) await fh.truncate(at);
    await fh.close();
    this.#size = at;
    const live = new Map<string, OffsetLogRecord>();
    for (const r of records) {
      const k = r.key.toString('hex');
      if (r.value === null) live.delete(k);
      else live.set(k, r);
    }
    if (records.length >= COMPACT_MIN_RECORDS && records.length > 2 * live.size) {
      const compacted = [...live.values()];
      const tmp = `${this.path}.tmp`;
      const t = await open(tmp, 'w');
      const frame = compacted.length > 0 ? encodeEntry(compacted) : Buffer.alloc(0);
      await t.write(frame, 0, frame.length, 0);
      await t.sync();
      await t.close();
      await rename(tmp, this.path);
      await syncDir(join(this.path, '..'));
      this.#size = frame.length;
      this.#entries = compacted;
    } else {
      this.#entries = records;
    }
    this.#fh = await open(this.path, 'r+');
  }

  async replay(onRecord: (r: OffsetLogRecord) => void): Promise<void> {
    // The records read at open are handed out once; later replays re-read the file.
    let records = this.#entries;
    this.#entries = null;
    if (!records) {
      await this.#chain;
      const fh = await open(this.path, 'r');
      try {
        const buf = Buffer.alloc(this.#size);
        await fh.read(buf, 0, this.#size, 0);
        records = [];
        for (let at = 0; at + 8 <= this.#size; ) {
          const len = buf.readInt32BE(at);
          records.push(...(parseEntry(buf.subarray(at + 8, at + 8 + len)) ?? []));
          at += 8 + len;
        }
      } finally {
        await fh.close();
      }
    }
    for (const r of records) onRecord(r);
  }

  append(records: OffsetLogRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const frame = encodeEntry(records);
    const run = async (): Promise<void> => {
      const fh = this.#fh;
      if (!fh) throw new OffsetLogError(`offset log ${this.path} is closed`);
      await fh.write(frame, 0, frame.length, this.#size);
      if (this.#fsync) await fh.datasync();
      this.#size += frame.length;
    };
    const p = this.#chain.then(run);
    // A failed append must not poison the chain for later ones.
    this.#chain = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    await this.#chain;
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some platforms refuse fsync on directories; the rename itself is still atomic.
  }
}

function encodeEntry(records: OffsetLogRecord[]): Buffer {
  let len = 4;
  for (const r of records) len += 8 + r.key.length + (r.value?.length ?? 0);
  const buf = Buffer.allocUnsafe(8 + len);
  buf.writeInt32BE(len, 0);
  let at = 8;
  buf.writeInt32BE(records.length, at);
  at += 4;
  for (const r of records) {
    buf.writeInt32BE(r.key.length, at);
    at += 4;
    r.key.copy(buf, at);
    at += r.key.length;
    if (r.value === null) {
      buf.writeInt32BE(-1, at);
      at += 4;
    } else {
      buf.writeInt32BE(r.value.length, at);
      at += 4;
      r.value.copy(buf, at);
      at += r.value.length;
    }
  }
  buf.writeUInt32BE(crc32c(buf, 8, 8 + len), 4);
  return buf;
}

function parseEntry(payload: Buffer): OffsetLogRecord[] | null {
  if (payload.length < 4) return null;
  const count = payload.readInt32BE(0);
  if (count < 0) return null;
  const out: OffsetLogRecord[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 4 > payload.length) return null;
    const kl = payload.readInt32BE(at);
    at += 4;
    if (kl < 0 || at + kl + 4 > payload.length) return null;
    const key = Buffer.from(payload.subarray(at, at + kl));
    at += kl;
    const vl = payload.readInt32BE(at);
    at += 4;
    let value: Buffer | null = null;
    if (vl >= 0) {
      if (at + vl > payload.length) return null;
      value = Buffer.from(payload.subarray(at, at + vl));
      at += vl;
    }
    out.push({ key, value });
  }
  return out;
}

/** An OffsetLog that keeps records in memory only (unit tests, ephemeral brokers). */
export class MemoryOffsetLog implements OffsetLog {
  readonly records: OffsetLogRecord[] = [];
  /** When set, the next append rejects with it (exercises failure paths). */
  failNext: Error | null = null;
  async append(records: OffsetLogRecord[]): Promise<void> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    this.records.push(...records);
  }
  async replay(onRecord: (r: OffsetLogRecord) => void): Promise<void> {
    for (const r of this.records) onRecord(r);
  }
  async close(): Promise<void> {}
}
