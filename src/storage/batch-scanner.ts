import { BATCH_LENGTH, LOG_OVERHEAD, RECORDS_START } from '../protocol/records/batch-header.ts';
import type { StorageFile } from './io.ts';
import { readFully } from './io.ts';

const CHUNK = 64 * 1024;

/**
 * Walks the batches of a log file region [start, end) with few, large reads: one chunk buffer is
 * reused, and only a batch larger than the chunk gets its own buffer. The visitor sees the batch
 * bytes in place (buf, at) — no per-batch objects. Returns the position where the walk stopped.
 *
 * `wholeBatches` false reads only headers (locating an offset); true hands the visitor full batches
 * (recovery needs them for the CRC). A truncated header or batch stops the walk; `stoppedOn` tells why.
 */
export class BatchScanner {
  private buf: Buffer;
  private bufStart = 0;
  private bufLen = 0;
  stoppedOn: 'end' | 'visitor' | 'torn' = 'end';

  private readonly file: StorageFile;
  private readonly end: number;

  constructor(file: StorageFile, end: number, chunk = CHUNK) {
    this.file = file;
    this.end = end;
    this.buf = Buffer.allocUnsafe(chunk);
  }

  /** Ensures [pos, pos+len) is buffered; returns the buffer offset, or -1 when the file ends first. */
  private async ensure(pos: number, len: number): Promise<number> {
    if (pos + len > this.end) return -1;
    if (pos >= this.bufStart && pos + len <= this.bufStart + this.bufLen) return pos - this.bufStart;
    const want = Math.min(Math.max(len, this.buf.length), this.end - pos);
    if (want > this.buf.length) this.buf = Buffer.allocUnsafe(want);
    const got = await readFully(this.file, this.buf, 0, want, pos);
    this.bufStart = pos;
    this.bufLen = got;
    return got >= len ? 0 : -1;
  }

  async walk(
    start: number,
    wholeBatches: boolean,
    visit: (buf: Buffer, at: number, position: number, size: number) => boolean,
  ): Promise<number> {
    let pos = start;
    this.stoppedOn = 'end';
    while (pos < this.end) {
      let at = await this.ensure(pos, RECORDS_START);
      if (at < 0) {
        this.stoppedOn = 'torn';
        return pos;
      }
      const size = this.buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < RECORDS_START || pos + size > this.end) {
        this.stoppedOn = 'torn';
        return pos;
      }
      if (wholeBatches) {
        at = await this.ensure(pos, size);
        if (at < 0) {
          this.stoppedOn = 'torn';
          return pos;
        }
      }
      if (!visit(this.buf, at, pos, size)) {
        this.stoppedOn = 'visitor';
        return pos;
      }
      pos += size;
    }
    return pos;
  }
}
