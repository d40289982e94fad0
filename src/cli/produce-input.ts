import { read } from 'node:fs';
import type { Readable } from 'node:stream';
import type { RecordHeader } from '../client/batch-builder.ts';
import type { Producer } from '../client/producer.ts';
import { JsonRecordError, parseJsonRecord, parseJsonRecordBytes, type ParsedJsonRecord } from './record-json.ts';
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
  /** The record delimiter byte (default '\n'). */
  delimiter?: number;
  headers: RecordHeader[];
  partition?: number;
  /** Use each JSON record's "partition" (default: ignore it and partition by key, as for raw lines). */
  keepPartitions?: boolean;
  /** The target's partition count, to check kept partitions before anything is written past them. */
  partitionCount?: number;
  /** Stop reading (Ctrl-C): checked between chunks. */
  stopped?: () => boolean;
  /** Resolves on Ctrl-C: a read blocked on an idle pipe is abandoned. */
  stopSignal?: Promise<void>;
}

export class InputLineError extends UsageError {
  override name = 'InputLineError';
}

/** "line 3, column 7" for byte `pos` of a line starting at `lineStart` (columns count characters). */
function where(what: string, buf: Buffer, lineStart: number, pos: number | undefined): string {
  if (pos === undefined || pos < lineStart) return what;
  return `${what}, column ${buf.toString('utf8', lineStart, pos).length + 1}`;
}

/** The record's partition: --partition, else (with --keep-partitions) the envelope's, checked. */
function targetPartition(opts: LineInputOptions, e: ParsedJsonRecord, what: string): number | undefined {
  if (opts.partition !== undefined) return opts.partition;
  if (!opts.keepPartitions || e.partition === undefined) return undefined;
  const n = opts.partitionCount;
  if (n !== undefined && e.partition >= n) {
    throw new InputLineError(
      `${what}: partition ${e.partition} does not exist in ${opts.topic} (it has ${n}); create it with at least ${e.partition + 1} partitions (kstream topics create ${opts.topic} --partitions ${e.partition + 1}) or leave out --keep-partitions`,
    );
  }
  return e.partition;
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
  const splitter = new LineSplitter(opts.delimiter ?? 10);
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
      if (err instanceof JsonRecordError) throw new InputLineError(`${where(`line ${lineNo}`, buf, start, err.pos)}: ${err.message}`);
      throw err;
    }
    const h = e.headers.length > 0 ? (headers ? [...headers, ...e.headers] : e.headers) : headers;
    if (!producer.append(topic, targetPartition(opts, e, `line ${lineNo}`), e.key, e.value, h, e.timestamp ?? now)) full = true;
    count++;
  };
  const onLine = opts.format === 'json' ? onJson : onRaw;
  let first = true;
  const onChunk = async (chunk: Buffer) => {
    now = Date.now();
    if (first) {
      first = false;
      // A UTF-8 byte-order mark (Windows editors write one) is not part of the first JSON line.
      if (opts.format === 'json' && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
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

/**
 * Values given as arguments: one record each (with the key separator applied the same way). All are
 * checked before the first is sent, so a bad argument writes nothing.
 */
export function produceValues(producer: Producer, values: string[], opts: LineInputOptions): number {
  const h = opts.headers.length > 0 ? opts.headers : null;
  const now = Date.now();
  const records = values.map((v, i) => {
    const b = Buffer.from(v, 'utf8');
    if (opts.format === 'json') {
      let e;
      try {
        e = parseJsonRecord(v);
      } catch (err) {
        if (err instanceof JsonRecordError) throw new InputLineError(`${where(`argument ${i + 1}`, b, 0, err.pos)}: ${err.message}`);
        throw err;
      }
      return { partition: targetPartition(opts, e, `argument ${i + 1}`), key: e.key, value: e.value, headers: e.headers.length ? [...(h ?? []), ...e.headers] : h, timestamp: e.timestamp ?? now };
    }
    const sep = opts.keySeparator ? b.indexOf(opts.keySeparator) : -1;
    if (sep >= 0) return { partition: opts.partition, key: b.subarray(0, sep), value: b.subarray(sep + Buffer.byteLength(opts.keySeparator!)), headers: h, timestamp: now };
    return { partition: opts.partition, key: null, value: b, headers: h, timestamp: now };
  });
  for (const r of records) producer.append(opts.topic, r.partition, r.key, r.value, r.headers, r.timestamp);
  return records.length;
}
