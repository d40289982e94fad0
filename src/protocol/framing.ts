import { FrameTooLargeError, NegativeFrameSizeError } from './errors.ts';

/** Kafka's default socket.request.max.bytes (100 MiB). */
export const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024;

/** Frames up to this size that span chunks get one buffer of their final size at once. */
const EAGER_ALLOC_LIMIT = 1024 * 1024;

/**
 * Splits a TCP byte stream into Kafka frames (int32 big-endian length, then that many bytes).
 * Handles frames split across chunks and several frames in one chunk. A frame that lies wholly inside
 * one chunk is returned as a subarray of it (no copy); only frames spanning chunks are assembled
 * (into one buffer of the final size for frames up to 1 MiB, from the received pieces above that).
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
  /** Size of the frame being assembled across chunks (-1 when none). */
  private want = -1;
  /** Small frames: one buffer of the final size, filled as chunks arrive. */
  private partial: Buffer | null = null;
  /** Large frames: the received pieces, joined once complete (memory follows what really arrived). */
  private pieces: Buffer[] | null = null;
  private have = 0;
  private failed: Error | null = null;

  constructor(maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes buffered towards the next frame (0 when the stream sits at a frame boundary). */
  get buffered(): number {
    return this.want >= 0 ? 4 + this.have : this.lenHave;
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
      if (this.want >= 0) {
        const take = Math.min(this.want - this.have, end - pos);
        if (this.partial !== null) chunk.copy(this.partial, this.have, pos, pos + take);
        // Views, not copies: like the frames returned from inside a chunk, they rely on the caller
        // not reusing a chunk's memory (net.Socket never does).
        else this.pieces!.push(chunk.subarray(pos, pos + take));
        this.have += take;
        pos += take;
        if (this.have === this.want) {
          out.push(this.partial ?? Buffer.concat(this.pieces!, this.want));
          this.partial = null;
          this.pieces = null;
          this.want = -1;
          this.have = 0;
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
        // Allocating the announced size up front would let 4 bytes reserve 100 MiB; only small
        // frames get their final buffer at once.
        this.want = size;
        this.have = 0;
        if (size <= EAGER_ALLOC_LIMIT) this.partial = Buffer.allocUnsafe(size);
        else this.pieces = [];
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
