import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, NegativeFrameSizeError, ProtocolError } from '../../src/protocol/errors.ts';
import { DEFAULT_MAX_FRAME_SIZE, frame, FrameSplitter, lengthPrefix } from '../../src/protocol/framing.ts';

const payloads = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.alloc(i * 37 % 300, i));

describe('FrameSplitter', () => {
  it('splits coalesced frames from one chunk, as views of that chunk', () => {
    const ps = payloads(5);
    const chunk = Buffer.concat(ps.map(frame));
    const out = new FrameSplitter().push(chunk);
    expect(out).toEqual(ps);
    // No copy: the frames share the chunk's memory.
    for (const f of out) if (f.length > 0) expect(f.buffer).toBe(chunk.buffer);
  });

  it('reassembles frames split at every byte, including inside the length prefix', () => {
    const ps = payloads(4);
    const stream = Buffer.concat(ps.map(frame));
    const s = new FrameSplitter();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...s.push(stream.subarray(i, i + 1)));
    expect(out).toEqual(ps);
    expect(s.buffered).toBe(0);
  });

  it('reassembles any chunking of any frames (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (frames, cuts) => {
        const ps = frames.map((f) => Buffer.from(f));
        const stream = Buffer.concat(ps.map(frame));
        const s = new FrameSplitter(1000);
        const out: Buffer[] = [];
        let pos = 0;
        let k = 0;
        while (pos < stream.length) {
          const n = cuts[k++ % cuts.length]!;
          s.pushTo(stream.subarray(pos, pos + n), out);
          pos += n;
        }
        expect(out).toEqual(ps);
        expect(s.buffered).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reports partial data as buffered', () => {
    const s = new FrameSplitter();
    expect(s.push(Buffer.from([0, 0]))).toEqual([]);
    expect(s.buffered).toBe(2);
    expect(s.push(Buffer.from([0, 3, 1]))).toEqual([]);
    expect(s.buffered).toBe(5);
    expect(s.push(Buffer.from([2, 3, 0, 0]))).toEqual([Buffer.from([1, 2, 3])]);
    expect(s.buffered).toBe(2);
  });

  it('accepts an empty frame', () => {
    expect(new FrameSplitter().push(Buffer.from([0, 0, 0, 0]))).toEqual([Buffer.alloc(0)]);
  });

  it('rejects a frame above the maximum with its size, before buffering it', () => {
    const s = new FrameSplitter(1024);
    const err = (() => {
      try {
        s.push(lengthPrefix(1025));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as FrameTooLargeError).size).toBe(1025);
    expect((err as FrameTooLargeError).maxSize).toBe(1024);
    // The stream has lost its framing: the splitter keeps refusing.
    expect(() => s.push(frame(Buffer.from('ok')))).toThrow(FrameTooLargeError);
  });

  it('rejects a negative length, also when the prefix arrives split', () => {
    const s = new FrameSplitter();
    expect(s.push(Buffer.from([0xff, 0xff]))).toEqual([]);
    expect(() => s.push(Buffer.from([0xff, 0xfe]))).toThrow(NegativeFrameSizeError);
    try {
      new FrameSplitter().push(Buffer.from([0x80, 0, 0, 0]));
    } catch (e) {
      expect((e as NegativeFrameSizeError).size).toBe(-2147483648);
    }
  });

  it('defaults to Kafka’s 100 MiB limit', () => {
    expect(new FrameSplitter().maxFrameSize).toBe(DEFAULT_MAX_FRAME_SIZE);
    expect(DEFAULT_MAX_FRAME_SIZE).toBe(104857600);
    expect(() => new FrameSplitter().push(lengthPrefix(DEFAULT_MAX_FRAME_SIZE + 1))).toThrow(FrameTooLargeError);
    expect(new FrameSplitter().push(lengthPrefix(DEFAULT_MAX_FRAME_SIZE))).toEqual([]);
  });

  it('frame() and lengthPrefix() write the int32 big-endian length', () => {
    expect(frame(Buffer.from([9, 8]))).toEqual(Buffer.from([0, 0, 0, 2, 9, 8]));
    expect(lengthPrefix(258)).toEqual(Buffer.from([0, 0, 1, 2]));
  });
});

describe('FrameSplitter with large frames', () => {
  it('assembles a frame above 1 MiB from many chunks', () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 5);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    const stream = Buffer.concat([frame(big), frame(Buffer.from('next'))]);
    const s = new FrameSplitter();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 65536) s.pushTo(stream.subarray(i, i + 65536), out);
    expect(out.length).toBe(2);
    expect(out[0]!.equals(big)).toBe(true);
    expect(out[1]!.toString()).toBe('next');
  });

  it('does not reserve the announced size before the bytes arrive', () => {
    const s = new FrameSplitter();
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 20; i++) new FrameSplitter().push(lengthPrefix(DEFAULT_MAX_FRAME_SIZE));
    s.push(lengthPrefix(50 * 1024 * 1024));
    expect(s.buffered).toBe(4);
    // 21 frames of 50-100 MiB announced; nothing near that much may have been allocated.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 * 1024 * 1024);
  });
});
