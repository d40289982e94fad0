import { FrameTooLargeError, NegativeFrameSizeError } from './errors.ts';

/** Kafka's default socket.request.max.bytes (100 MiB). */
export const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024;

/**
 * Splits a TCP byte stream into Kafka frames (int32 big-endian length, then that many bytes).
 * Handles frames split across chunks and several frames in one chunk. A frame that lies wholly inside
 * one chunk is returned as a subarray of it (no copy); only frames spanning chunks are assembled,
 * into one buffer allocated once at the frame's final size.
 *
 * A negative length or one above `maxFrameSize` throws (NegativeFrameSizeError / FrameTooLargeError,
 * both carrying the size) before anything is allocated; the splitter is then unusable, because the
 * stream has lost its framing — the connection must be closed.
 */
export class FrameSplitter {
  readonly maxFrameSize: number;
  /** Bytes of a length prefix seen so far when the prefix itself is split across chunks. */
  private readonly lenBuf = Buffer.alloc(4);
  private lenHave = 0;
  /** Frame being assembled across chunks, and how much of it is filled. */
  private partial: Buffer | null = null;
  private partialHave = 0;
  private failed: Error | null = null;

  constructor(maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes buffered towards the next frame (0 when the stream sits at a frame boundary). */
  get buffered(): number {
    return this.partial !== null ? 4 + this.partialHave : this.lenHave;
  }

  /** Feeds one chunk; returns the frames it completed, in order (without their length prefixes). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.pushTo(chunk, out);
    return out;
  }

  /** Like push, but appends to a caller-owned array (saves one allocation per chunk). */
  pushTo(chunk: Buffer, out: Buffer[]): void {
    if (this.failed) throw this.failed;
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.partial !== null) {
        const want = this.partial.length - this.partialHave;
        const take = Math.min(want, end - pos);
        chunk.copy(this.partial, this.partialHave, pos, pos + take);
        this.partialHave += take;
        pos += take;
        if (this.partialHave === this.partial.length) {
          out.push(this.partial);
          this.partial = null;
          this.partialHave = 0;
        }
        continue;
      }
      let size: number;
      if (this.lenHave === 0 && end - pos >= 4) {
        size = chunk.readInt32BE(pos);
        pos += 4;
      } else {
        while (this.lenHave < 4 && pos < end) this.lenBuf[this.lenHave++] = chunk[pos++]!;
        if (this.lenHave < 4) break;
        size = this.lenBuf.readInt32BE(0);
        this.lenHave = 0;
      }
      this.check(size);
      if (end - pos >= size) {
        out.push(chunk.subarray(pos, pos + size));
        pos += size;
      } else {
        this.partial = Buffer.allocUnsafe(size);
        const take = end - pos;
        chunk.copy(this.partial, 0, pos, end);
        this.partialHave = take;
        pos = end;
      }
    }
  }

  private check(size: number): void {
    if (size < 0) this.failed = new NegativeFrameSizeError(size);
    else if (size > this.maxFrameSize) this.failed = new FrameTooLargeError(size, this.maxFrameSize);
    if (this.failed) throw this.failed;
  }
}

/** Prefixes a payload with its int32 length (one copy; prefer writing the prefix in place when encoding). */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/** The 4-byte length prefix for a payload of `size` bytes (to write prefix and payload separately, e.g. writev). */
export function lengthPrefix(size: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(size, 0);
  return out;
}
