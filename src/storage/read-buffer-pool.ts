/**
 * Reusable read buffers for Fetch. A fresh 1 MiB Buffer per fetch is external memory that makes V8
 * run full mark-compacts every few MB served (bench/README.md measured 41 % of broker CPU in GC);
 * reusing buffers once the socket has copied them removes that. Buffers come in power-of-two size
 * classes from 64 KiB to 16 MiB; larger reads are plain allocations. The pool holds at most
 * `maxPooledBytes` of idle buffers.
 *
 * Contract: `acquire` lends a buffer and a one-shot `release`. After release the bytes may be
 * overwritten by another read at any time, so the borrower must be done with every view of it.
 * Never calling release is safe (the buffer is garbage collected like any other).
 */
export class ReadBufferPool {
  static readonly MIN_CLASS = 64 * 1024;
  static readonly MAX_CLASS = 16 * 1024 * 1024;
  private readonly free = new Map<number, Buffer[]>();
  private pooledBytes = 0;
  private readonly maxPooledBytes: number;
  /** Counters for tests and diagnostics. */
  readonly stats = { acquired: 0, reused: 0, released: 0, dropped: 0 };

  constructor(maxPooledBytes = 64 * 1024 * 1024) {
    this.maxPooledBytes = maxPooledBytes;
  }

  /** The pooled size a request of `length` bytes gets, or 0 when it is not pooled. */
  static classOf(length: number): number {
    if (length > ReadBufferPool.MAX_CLASS) return 0;
    let c = ReadBufferPool.MIN_CLASS;
    while (c < length) c *= 2;
    return c;
  }

  acquire(length: number): { buf: Buffer; release: () => void } {
    this.stats.acquired++;
    const cls = ReadBufferPool.classOf(length);
    if (cls === 0 || this.maxPooledBytes <= 0) return { buf: Buffer.allocUnsafe(length), release: noop };
    const list = this.free.get(cls);
    let buf = list?.pop();
    if (buf) {
      this.pooledBytes -= cls;
      this.stats.reused++;
    } else {
      buf = Buffer.allocUnsafeSlow(cls);
    }
    let released = false;
    const owned = buf;
    return {
      buf: owned,
      release: () => {
        // One-shot: a second release must not put the buffer in the pool twice (two borrowers).
        if (released) return;
        released = true;
        this.stats.released++;
        if (this.pooledBytes + cls > this.maxPooledBytes) {
          this.stats.dropped++;
          return;
        }
        this.pooledBytes += cls;
        let l = this.free.get(cls);
        if (!l) this.free.set(cls, (l = []));
        l.push(owned);
      },
    };
  }

  /** Bytes of idle buffers held. */
  get idleBytes(): number {
    return this.pooledBytes;
  }
}

const noop = (): void => {};
