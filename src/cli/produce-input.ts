import { read } from 'node:fs';
import type { Readable } from 'node:stream';
import type { RecordHeader } from '../client/batch-builder.ts';
import type { Producer } from '../client/producer.ts';
import { JsonRecordError, parseJsonRecord, parseJsonRecordBytes } from './record-json.ts';
import { LineSplitter } from './line-splitter.ts';
import { UsageError } from './parse.ts';

/**
 * Feeds lines of a byte stream into a producer: raw lines (optionally `key<SEP>value`) or JSON
 * envelope lines. Lines are cut from the input Buffers and appended to the batches directly; reading
 * pauses while the producer's buffer is full.
 */
export interface LineInputOptions {
  topic: string;
  format: 'raw' | 'json';
  keySeparator?: string;
  headers: RecordHeader[];
  partition?: number;
  /** Stop reading (Ctrl-C): checked between chunks. */
  stopped?: () => boolean;
  /** Resolves on Ctrl-C: a read blocked on an idle pipe is abandoned. */
  stopSignal?: Promise<void>;
}

export class InputLineError extends UsageError {
  override name = 'InputLineError';
}

const READ_SIZE = 1 << 20;

function readInto(fd: number, buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, buf.length, null, (err, n) => {
      if (err) {
        // A closed pipe or a terminal hang-up ends the input like EOF.
        if ((err as NodeJS.ErrnoException).code === 'EOF' || (err as NodeJS.ErrnoException).code === 'EPIPE') resolve(0);
        else reject(err);
      } else resolve(n);
    });
  });
}

/** Lines of `input` (a stream, or a file descriptor such as 0 for stdin) into the producer. */
export async function produceLines(producer: Producer, input: Readable | number, opts: LineInputOptions): Promise<number> {
  const splitter = new LineSplitter();
  const { topic, partition } = opts;
  const headers = opts.headers.length > 0 ? opts.headers : null;
  const sep = opts.keySeparator ? Buffer.from(opts.keySeparator, 'utf8') : null;
  const sepLen = sep?.length ?? 0;
  let lineNo = 0;
  let count = 0;
  let full = false;
  let now = Date.now();
  const onRaw = (buf: Buffer, start: number, end: number) => {
    lineNo++;
    if (sep !== null) {
      const i = buf.indexOf(sep, start);
      if (i !== -1 && i + sepLen <= end) {
        if (!producer.appendRange(topic, partition, buf, start, i, buf, i + sepLen, end, headers, now)) full = true;
        count++;
        return;
      }
    }
    if (!producer.appendRange(topic, partition, null, 0, 0, buf, start, end, headers, now)) full = true;
    count++;
  };
  const onJson = (buf: Buffer, start: number, end: number) => {
    lineNo++;
    let i = start;
    while (i < end && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0d)) i++;
    if (i === end) return;
    let e;
    try {
      e = parseJsonRecordBytes(buf, start, end);
    } catch (err) {
      if (err instanceof JsonRecordError) throw new InputLineError(`line ${lineNo}: ${err.message}`);
      throw err;
    }
    const h = e.headers.length > 0 ? (headers ? [...headers, ...e.headers] : e.headers) : headers;
    if (!producer.append(topic, partition ?? e.partition, e.key, e.value, h, e.timestamp ?? now)) full = true;
    count++;
  };
  const onLine = opts.format === 'json' ? onJson : onRaw;
  const onChunk = async (chunk: Buffer) => {
    now = Date.now();
    splitter.push(chunk, onLine);
    if (full) {
      full = false;
      await producer.waitForSpace();
    }
  };
  if (typeof input === 'number') {
    // A file descriptor: read into one reused buffer. Safe because every line is copied into a
    // batch (or the splitter's carry) before the next read overwrites it.
    const buf = Buffer.allocUnsafe(READ_SIZE);
    let nonBlocking = false;
    for (;;) {
      let n: number;
      try {
        n = opts.stopSignal ? await Promise.race([readInto(input, buf), opts.stopSignal.then(() => 0)]) : await readInto(input, buf);
      } catch (e) {
        // A non-blocking pipe (O_NONBLOCK set by whoever made it) cannot be read this way.
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        nonBlocking = true;
        break;
      }
      if (n === 0 || opts.stopped?.()) break;
      await onChunk(buf.subarray(0, n));
    }
    if (nonBlocking && input === 0) {
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
        await onChunk(chunk);
        if (opts.stopped?.()) break;
      }
    }
  } else {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      await onChunk(chunk);
      if (opts.stopped?.()) break;
    }
  }
  splitter.end(onLine);
  return count;
}

/** Values given as arguments: one record each (with the key separator applied the same way). */
export function produceValues(producer: Producer, values: string[], opts: LineInputOptions): number {
  let n = 0;
  for (const v of values) {
    const b = Buffer.from(v, 'utf8');
    const sep = opts.keySeparator ? b.indexOf(opts.keySeparator) : -1;
    const h = opts.headers.length > 0 ? opts.headers : null;
    if (opts.format === 'json') {
      let e;
      try {
        e = parseJsonRecord(v);
      } catch (err) {
        throw new InputLineError(`argument ${n + 1}: ${(err as Error).message}`);
      }
      producer.append(opts.topic, opts.partition ?? e.partition, e.key, e.value, e.headers.length ? [...(h ?? []), ...e.headers] : h, e.timestamp ?? Date.now());
    } else if (sep >= 0) {
      producer.append(opts.topic, opts.partition, b.subarray(0, sep), b.subarray(sep + Buffer.byteLength(opts.keySeparator!)), h, Date.now());
    } else producer.append(opts.topic, opts.partition, null, b, h, Date.now());
    n++;
  }
  return n;
}
