import type { Readable } from 'node:stream';
import type { RecordHeader } from '../client/batch-builder.ts';
import type { Producer } from '../client/producer.ts';
import { EnvelopeError, parseEnvelope } from './envelope.ts';
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
}

export class InputLineError extends UsageError {
  override name = 'InputLineError';
}

export async function produceLines(producer: Producer, input: Readable, opts: LineInputOptions): Promise<number> {
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
    let key: Buffer | null = null;
    let value: Buffer;
    if (sep !== null) {
      const i = buf.indexOf(sep, start);
      if (i !== -1 && i < end) {
        key = buf.subarray(start, i);
        value = buf.subarray(i + sepLen, end);
      } else value = buf.subarray(start, end);
    } else value = buf.subarray(start, end);
    if (!producer.append(topic, partition, key, value, headers, now)) full = true;
    count++;
  };
  const onJson = (buf: Buffer, start: number, end: number) => {
    lineNo++;
    const text = buf.toString('utf8', start, end);
    if (text.trim() === '') return;
    let e;
    try {
      e = parseEnvelope(text);
    } catch (err) {
      if (err instanceof EnvelopeError) throw new InputLineError(`line ${lineNo}: ${err.message}`);
      throw err;
    }
    const h = e.headers.length > 0 ? (headers ? [...headers, ...e.headers] : e.headers) : headers;
    if (!producer.append(topic, partition ?? e.partition, e.key, e.value, h, e.timestamp ?? now)) full = true;
    count++;
  };
  const onLine = opts.format === 'json' ? onJson : onRaw;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    now = Date.now();
    splitter.push(chunk, onLine);
    if (full) {
      full = false;
      await producer.waitForSpace();
    }
    if (opts.stopped?.()) break;
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
        e = parseEnvelope(v);
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
