import { isUtf8 } from 'node:buffer';
import { closest } from './command-names.ts';
import { JsonScanError, JsonScanner, JsonType, wholeJsonValue } from './json-scan.ts';

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
 * - value: null for a tombstone. If the bytes are one JSON object, array, number or boolean (on
 *   one line, nothing around it) they are embedded as that JSON text, verbatim; otherwise the value
 *   is the UTF-8 string; bytes that are not valid UTF-8 are base64 with "valueEncoding":"base64".
 *   Reading, a string value is written as its UTF-8 bytes and any other JSON value as its JSON text
 *   exactly as it appears in the line — which reproduces exactly the bytes the writer embedded.
 *   Reading applies the same rule to key (the writer always writes keys as strings).
 * - headers: an array of [key, value] pairs (Kafka allows duplicate keys; order is kept); a value is a
 *   string or null, or base64 as [key, value, "base64"]. Reading also accepts an object {k: v}.
 * - partition, timestamp (ms since the epoch; reading also takes an ISO date string) are honoured by
 *   produce when present. topic and offset are informational and ignored by produce.
 */

export type Header = [key: string, value: Buffer | null];

export interface JsonRecord {
  topic: string;
  partition: number;
  offset: number | bigint;
  timestamp: number | bigint;
  /** Kafka's TimestampType (0 CreateTime, 1 LogAppendTime, -1 none); templates only, not the envelope. */
  timestampType?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
}

export interface ParsedJsonRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
  partition?: number;
  timestamp?: number;
}

/** What is wrong with a line; `pos` is the byte offset (in the parsed buffer) of the offending part. */
export class JsonRecordError extends Error {
  override name = 'JsonRecordError';
  pos: number | undefined;
  constructor(message: string, pos?: number) {
    super(message);
    this.pos = pos;
  }
}

/** Standard base64 (padding optional): anything else is a mistake, not bytes to guess at. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

function fromBase64(s: string, what: string, pos?: number): Buffer {
  if (!BASE64.test(s)) throw new JsonRecordError(`${what} is not valid base64`, pos);
  return Buffer.from(s, 'base64');
}

/** The value's text if its bytes can be embedded as JSON (see the rules above). */
function embeddable(b: Buffer): boolean {
  const t = wholeJsonValue(b);
  return t !== 0 && t !== JsonType.string && t !== JsonType.null;
}

/** One envelope line (without the newline). */
export function formatJsonRecord(r: JsonRecord): string {
  let out = `{"topic":${JSON.stringify(r.topic)},"partition":${r.partition},"offset":${r.offset},"timestamp":${r.timestamp}`;
  if (r.key === null) out += ',"key":null';
  else if (isUtf8(r.key)) out += `,"key":${JSON.stringify(r.key.toString('utf8'))}`;
  else out += `,"key":"${r.key.toString('base64')}","keyEncoding":"base64"`;
  if (r.value === null) out += ',"value":null';
  else if (isUtf8(r.value)) {
    const s = r.value.toString('utf8');
    out += `,"value":${embeddable(r.value) ? s : JSON.stringify(s)}`;
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

function headerValue(k: string, v: unknown, encoding?: unknown): Header {
  if (v === null || v === undefined) return [k, null];
  if (encoding === 'base64') {
    if (typeof v !== 'string') throw new JsonRecordError(`header "${k}": a base64 value must be a string`);
    return [k, fromBase64(v, `header "${k}"`)];
  }
  return [k, Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8')];
}

function parseHeaders(h: unknown): Header[] {
  if (h === undefined || h === null) return [];
  if (Array.isArray(h)) {
    return h.map((entry, i) => {
      if (!Array.isArray(entry) || entry.length < 2 || entry.length > 3 || typeof entry[0] !== 'string') {
        throw new JsonRecordError(`headers[${i}] must be a [key, value] pair with a string key`);
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
  throw new JsonRecordError('"headers" must be an array of [key, value] pairs or an object');
}

interface Token {
  type: JsonType;
  start: number;
  end: number;
  escaped: boolean;
}

/** A string token's text. */
function text(buf: Buffer, t: Token): string {
  return t.escaped ? (JSON.parse(buf.toString('utf8', t.start, t.end)) as string) : buf.toString('utf8', t.start + 1, t.end - 1);
}

/** Key or value bytes: a string's UTF-8 (a view of the line when unescaped), other JSON verbatim. */
function bytesOf(field: string, buf: Buffer, t: Token | undefined, encoding: Token | undefined): Buffer | null {
  if (t === undefined || t.type === JsonType.null) return null;
  let enc: string | undefined;
  if (encoding !== undefined && encoding.type !== JsonType.null) {
    enc = encoding.type === JsonType.string ? text(buf, encoding) : undefined;
    if (enc !== 'base64' && enc !== 'utf8') {
      throw new JsonRecordError(`"${field}Encoding" must be "base64" or "utf8", got ${buf.toString('utf8', encoding.start, encoding.end)}`, encoding.start);
    }
  }
  if (t.type === JsonType.string) {
    if (enc === 'base64') return fromBase64(text(buf, t), `"${field}"`, t.start);
    return t.escaped ? Buffer.from(text(buf, t), 'utf8') : buf.subarray(t.start + 1, t.end - 1);
  }
  if (enc === 'base64') throw new JsonRecordError(`"${field}" must be a string when "${field}Encoding" is base64`, t.start);
  return buf.subarray(t.start, t.end);
}

// The last three are what `consume --format json` prints for information; produce ignores them.
const MEMBERS = ['key', 'value', 'headers', 'partition', 'timestamp', 'keyEncoding', 'valueEncoding', 'topic', 'offset', 'timestampType'] as const;
type Member = (typeof MEMBERS)[number];
const MEMBER_BYTES = MEMBERS.map((m) => Buffer.from(`"${m}"`));

function memberOf(buf: Buffer, start: number, end: number, escaped: boolean): Member | undefined {
  if (escaped) {
    const name = JSON.parse(buf.toString('utf8', start, end)) as string;
    return (MEMBERS as readonly string[]).includes(name) ? (name as Member) : undefined;
  }
  // Byte compare in JS: a native Buffer.compare per member costs more than the bytes themselves.
  const len = end - start;
  outer: for (let i = 0; i < MEMBERS.length; i++) {
    const m = MEMBER_BYTES[i]!;
    if (m.length !== len) continue;
    for (let k = 1; k < len - 1; k++) if (buf[start + k] !== m[k]) continue outer;
    return MEMBERS[i];
  }
  return undefined;
}

/**
 * Parses one envelope line from bytes; throws JsonRecordError naming what is wrong. Key and value of
 * the result may be views into `buf` (copy them if `buf` is reused).
 */
export function parseJsonRecordBytes(buf: Buffer, start = 0, end = buf.length): ParsedJsonRecord {
  const sc = new JsonScanner(buf, start, end);
  const found: Partial<Record<Member, Token>> = {};
  try {
    sc.skipWs();
    if (buf[sc.pos] !== 0x7b) {
      const at = sc.pos;
      sc.value();
      throw new JsonRecordError('expected a JSON object like {"key":"k","value":"v"}', at);
    }
    sc.pos++;
    sc.skipWs();
    if (buf[sc.pos] === 0x7d) sc.pos++;
    else {
      for (;;) {
        if (buf[sc.pos] !== 0x22) sc.fail('expected a member name');
        const nameStart = sc.pos;
        sc.string();
        const member = memberOf(buf, nameStart, sc.pos, sc.escaped);
        if (member === undefined) {
          // A typo ("vaule") must not silently become a tombstone or lose data.
          const name = JSON.parse(buf.toString('utf8', nameStart, sc.pos)) as string;
          const guess = closest(name, MEMBERS);
          throw new JsonRecordError(`unknown field "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; fields are ${MEMBERS.slice(0, 7).join(', ')}`, nameStart);
        }
        sc.skipWs();
        if (buf[sc.pos] !== 0x3a) sc.fail("expected ':'");
        sc.pos++;
        sc.skipWs();
        const vStart = sc.pos;
        sc.escaped = false;
        const type = sc.value();
        if (member !== undefined) found[member] = { type, start: vStart, end: sc.pos, escaped: sc.escaped };
        sc.skipWs();
        const d = buf[sc.pos];
        sc.pos++;
        if (d === 0x7d) break;
        if (d !== 0x2c) {
          sc.pos--;
          sc.fail("expected ',' or '}'");
        }
        sc.skipWs();
      }
    }
    sc.skipWs();
    if (sc.pos !== end) sc.fail('unexpected data after the object');
  } catch (e) {
    if (e instanceof JsonScanError) throw new JsonRecordError(`not valid JSON: ${e.message}`, e.pos);
    throw e;
  }
  const out: ParsedJsonRecord = {
    key: bytesOf('key', buf, found.key, found.keyEncoding),
    value: bytesOf('value', buf, found.value, found.valueEncoding),
    headers: [],
  };
  const h = found.headers;
  if (h !== undefined && h.type !== JsonType.null && !(h.type === JsonType.array && h.end - h.start === 2)) {
    out.headers = parseHeaders(JSON.parse(buf.toString('utf8', h.start, h.end)));
  }
  const p = found.partition;
  if (p !== undefined && p.type !== JsonType.null) {
    const n = p.type === JsonType.number ? Number(buf.toString('latin1', p.start, p.end)) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new JsonRecordError(`"partition" must be a non-negative integer, got ${buf.toString('utf8', p.start, p.end)}`, p.start);
    out.partition = n;
  }
  const t = found.timestamp;
  if (t !== undefined && t.type !== JsonType.null) {
    const n = t.type === JsonType.number ? Number(buf.toString('latin1', t.start, t.end)) : t.type === JsonType.string ? Date.parse(text(buf, t)) : NaN;
    if (!Number.isInteger(n)) throw new JsonRecordError(`"timestamp" must be milliseconds or an ISO date, got ${buf.toString('utf8', t.start, t.end)}`, t.start);
    // Kafka reserves -1 for "no timestamp" and rejects other negatives; a record needs a real time.
    if (n < 0) throw new JsonRecordError(`"timestamp" must not be negative (before 1970), got ${buf.toString('utf8', t.start, t.end)}`, t.start);
    out.timestamp = n;
  }
  if (found.value === undefined) {
    // Only an explicit "value":null writes a tombstone (on a compacted topic it deletes the key).
    throw new JsonRecordError('missing "value" (write "value":null for a tombstone)', start);
  }
  return out;
}

/** parseJsonRecordBytes for a string. */
export function parseJsonRecord(line: string): ParsedJsonRecord {
  return parseJsonRecordBytes(Buffer.from(line, 'utf8'));
}
