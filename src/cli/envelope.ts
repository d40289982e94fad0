import { isUtf8 } from 'node:buffer';

/**
 * The JSON envelope: one record per line, written by `consume --format json` and read by
 * `produce --format json`, so consume → produce copies a topic byte for byte.
 *
 *   {"topic":"t","partition":0,"offset":7,"timestamp":1700000000000,
 *    "key":"k","value":{"a":1},"headers":[["h","v"]]}
 *
 * Rules (each direction is the inverse of the other):
 * - key: a string (the key's UTF-8), or null. Bytes that are not valid UTF-8 are written as base64
 *   with "keyEncoding":"base64".
 * - value: null for a tombstone. If the bytes are *canonical* JSON of an object, array, number or
 *   boolean (JSON.stringify(JSON.parse(s)) === s) the value is embedded as that JSON; otherwise it is
 *   the UTF-8 string; bytes that are not valid UTF-8 are base64 with "valueEncoding":"base64".
 *   Reading, a string value is written as its UTF-8 bytes and any other JSON value as
 *   JSON.stringify(value) — which reproduces exactly the canonical bytes the writer embedded.
 * - headers: an array of [key, value] pairs (Kafka allows duplicate keys; order is kept); a value is a
 *   string or null, or base64 as [key, value, "base64"]. Reading also accepts an object {k: v}.
 * - partition, timestamp (ms since the epoch; reading also takes an ISO date string) are honoured by
 *   produce when present. topic and offset are informational and ignored by produce.
 */

export type Header = [key: string, value: Buffer | null];

export interface EnvelopeRecord {
  topic: string;
  partition: number;
  offset: number | bigint;
  timestamp: number | bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
}

export interface ParsedEnvelope {
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
  partition?: number;
  timestamp?: number;
}

export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The JSON text to embed for a value's bytes, or undefined if it must go as a string. */
function canonicalJson(s: string): string | undefined {
  // Cheap shape checks first: a failed JSON.parse throws, and exceptions are slow per record.
  const c = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  if (c === 0x7b) {
    if (last !== 0x7d) return undefined;
  } else if (c === 0x5b) {
    if (last !== 0x5d) return undefined;
  } else if (c === 0x74 || c === 0x66) {
    return s === 'true' || s === 'false' ? s : undefined;
  } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    if (!NUMBER.test(s)) return undefined;
  } else return undefined;
  // Only objects, arrays, numbers and booleans: strings and null would read back differently.
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed === 'string') return undefined;
  return JSON.stringify(parsed) === s ? s : undefined;
}

/** One envelope line (without the newline). */
export function formatEnvelope(r: EnvelopeRecord): string {
  let out = `{"topic":${JSON.stringify(r.topic)},"partition":${r.partition},"offset":${r.offset},"timestamp":${r.timestamp}`;
  if (r.key === null) out += ',"key":null';
  else if (isUtf8(r.key)) out += `,"key":${JSON.stringify(r.key.toString('utf8'))}`;
  else out += `,"key":"${r.key.toString('base64')}","keyEncoding":"base64"`;
  if (r.value === null) out += ',"value":null';
  else if (isUtf8(r.value)) {
    const s = r.value.toString('utf8');
    out += `,"value":${canonicalJson(s) ?? JSON.stringify(s)}`;
  } else out += `,"value":"${r.value.toString('base64')}","valueEncoding":"base64"`;
  out += ',"headers":[';
  for (let i = 0; i < r.headers.length; i++) {
    const [k, v] = r.headers[i]!;
    if (i > 0) out += ',';
    if (v === null) out += `[${JSON.stringify(k)},null]`;
    else if (isUtf8(v)) out += `[${JSON.stringify(k)},${JSON.stringify(v.toString('utf8'))}]`;
    else out += `[${JSON.stringify(k)},"${v.toString('base64')}","base64"]`;
  }
  return out + ']}';
}

function bytesOf(field: string, v: unknown, encoding: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (encoding !== undefined && encoding !== 'base64' && encoding !== 'utf8') {
    throw new EnvelopeError(`"${field}Encoding" must be "base64" or "utf8", got ${JSON.stringify(encoding)}`);
  }
  if (typeof v === 'string') return Buffer.from(v, encoding === 'base64' ? 'base64' : 'utf8');
  if (encoding === 'base64') throw new EnvelopeError(`"${field}" must be a string when "${field}Encoding" is base64`);
  return Buffer.from(JSON.stringify(v), 'utf8');
}

function headerValue(k: string, v: unknown, encoding?: unknown): Header {
  if (v === null || v === undefined) return [k, null];
  if (encoding === 'base64') {
    if (typeof v !== 'string') throw new EnvelopeError(`header "${k}": a base64 value must be a string`);
    return [k, Buffer.from(v, 'base64')];
  }
  return [k, Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8')];
}

function parseHeaders(h: unknown): Header[] {
  if (h === undefined || h === null) return [];
  if (Array.isArray(h)) {
    return h.map((entry, i) => {
      if (!Array.isArray(entry) || entry.length < 2 || entry.length > 3 || typeof entry[0] !== 'string') {
        throw new EnvelopeError(`headers[${i}] must be a [key, value] pair with a string key`);
      }
      return headerValue(entry[0], entry[1], entry[2]);
    });
  }
  if (typeof h === 'object') {
    const out: Header[] = [];
    for (const [k, v] of Object.entries(h)) {
      if (Array.isArray(v)) for (const one of v) out.push(headerValue(k, one));
      else out.push(headerValue(k, v));
    }
    return out;
  }
  throw new EnvelopeError('"headers" must be an array of [key, value] pairs or an object');
}

/** Parses one envelope line; throws EnvelopeError naming what is wrong. */
export function parseEnvelope(line: string): ParsedEnvelope {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new EnvelopeError(`not valid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new EnvelopeError('expected a JSON object like {"key":"k","value":"v"}');
  }
  const o = obj as Record<string, unknown>;
  const out: ParsedEnvelope = {
    key: bytesOf('key', o.key, o.keyEncoding),
    value: bytesOf('value', o.value, o.valueEncoding),
    headers: parseHeaders(o.headers),
  };
  if (o.partition !== undefined && o.partition !== null) {
    if (typeof o.partition !== 'number' || !Number.isInteger(o.partition) || o.partition < 0) {
      throw new EnvelopeError(`"partition" must be a non-negative integer, got ${JSON.stringify(o.partition)}`);
    }
    out.partition = o.partition;
  }
  if (o.timestamp !== undefined && o.timestamp !== null) {
    if (typeof o.timestamp === 'number' && Number.isInteger(o.timestamp)) out.timestamp = o.timestamp;
    else if (typeof o.timestamp === 'string' && !Number.isNaN(Date.parse(o.timestamp))) out.timestamp = Date.parse(o.timestamp);
    else throw new EnvelopeError(`"timestamp" must be milliseconds or an ISO date, got ${JSON.stringify(o.timestamp)}`);
  }
  return out;
}
