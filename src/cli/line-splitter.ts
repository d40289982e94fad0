/**
 * Splits a byte stream into lines ('\n'; a '\r' before it is kept as data, as kcat does) without
 * decoding: each line is handed over as (buffer, start, end) of the chunk it sits in, so the
 * producer copies the bytes straight into its batch. Only a line that spans chunks is copied, once.
 */
export class LineSplitter {
  private carry: Buffer | null = null;
  /** The delimiter byte: '\n' by default, any single byte with produce -D (0 for NUL-separated input). */
  private readonly delim: number;

  constructor(delim = 10) {
    this.delim = delim;
  }

  /** Calls onLine for every complete line in the chunk. */
  push(chunk: Buffer, onLine: (buf: Buffer, start: number, end: number) => void): void {
    let pos = 0;
    if (this.carry !== null) {
      const nl = chunk.indexOf(this.delim);
      if (nl === -1) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return;
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
      this.carry = null;
      onLine(line, 0, line.length);
      pos = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(this.delim, pos);
      if (nl === -1) break;
      onLine(chunk, pos, nl);
      pos = nl + 1;
    }
    // The rest is the start of a line continued by the next chunk; copy it (the chunk may be reused).
    if (pos < chunk.length) this.carry = Buffer.from(chunk.subarray(pos));
  }

  /** At end of input: a last line without a trailing newline still counts. */
  end(onLine: (buf: Buffer, start: number, end: number) => void): void {
    if (this.carry !== null && this.carry.length > 0) onLine(this.carry, 0, this.carry.length);
    this.carry = null;
  }
}
