import { LOGICAL, Logical, Schemas, Struct, type Schema } from '../data/schema.ts';
import type { Converter, SchemaAndValue } from './converter.ts';
import { JsonConverter } from './json-converter.ts';
import { ByteArrayConverter, StringConverter } from './simple-converters.ts';

/**
 * Kafka's HeaderConverter (`header.converter`, with `header.converter.*` settings): a record header's
 * bytes ↔ a Connect value. The default is SimpleHeaderConverter; StringConverter, JsonConverter and
 * ByteArrayConverter also serve as header converters, as in Kafka (they implement both interfaces).
 */
export interface HeaderConverter {
  configure(config: Readonly<Record<string, string>>): void;
  toConnectHeader(topic: string, headerKey: string, bytes: Buffer | null): SchemaAndValue;
  fromConnectHeader(topic: string, headerKey: string, schema: Schema | null, value: unknown): Buffer | null;
}

const DAY_MS = 86_400_000;

/** Values.dateFormatFor: a time below one day, a date at midnight, else a timestamp (ISO 8601, UTC). */
function temporalText(d: Date): string {
  const ms = d.getTime();
  const iso = d.toISOString();
  if (ms >= 0 && ms < DAY_MS) return `${iso.slice(11, 23)}Z`;
  if (ms % DAY_MS === 0) return iso.slice(0, 10);
  return iso;
}

/** Values.convertToString / append: how a Connect value is written as header text. */
export function valueToString(value: unknown, embedded = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return embedded ? `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const b = Buffer.from(value).toString('base64');
    return embedded ? `"${b}"` : b;
  }
  if (value instanceof Date) return temporalText(value);
  if (Array.isArray(value)) return `[${value.map((v) => valueToString(v, true)).join(',')}]`;
  if (value instanceof Struct) return `{${value.schema.fields!.map((f) => `${valueToString(f.name, true)}:${valueToString(value.get(f.name), true)}`).join(',')}}`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${valueToString(k, true)}:${valueToString(v, true)}`).join(',')}}`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${valueToString(k, true)}:${valueToString(v, true)}`).join(',')}}`;
  return String(value);
}

const INT = /^[+-]?\d+$/;
const DEC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d\d)-(\d\d)$/;
const TIME = /^(\d\d):(\d\d):(\d\d)\.(\d{3})Z$/;
const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z$/;

/**
 * Values.parseString, for whole strings: booleans, integers (the smallest of INT8…INT64 that holds
 * them), numbers with a fraction (FLOAT32 as Kafka picks, kept as the JS double), ISO dates, times and
 * timestamps (Kafka's ISO_8601 patterns), JSON-shaped arrays and maps; anything else is a STRING of the
 * original text. Kafka's tokenizer also reads a leading number out of a longer text; this only
 * takes values that are wholly one literal, so text stays text.
 */
export function parseString(text: string): SchemaAndValue {
  if (text === '') return { schema: Schemas.STRING, value: '' };
  const t = text.trim();
  if (t === 'null') return { schema: null, value: null };
  if (t === 'true' || t === 'false') return { schema: Schemas.BOOLEAN, value: t === 'true' };
  if (INT.test(t)) {
    const n = BigInt(t);
    if (n >= -128n && n <= 127n) return { schema: Schemas.INT8, value: Number(n) };
    if (n >= -32768n && n <= 32767n) return { schema: Schemas.INT16, value: Number(n) };
    if (n >= -2147483648n && n <= 2147483647n) return { schema: Schemas.INT32, value: Number(n) };
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return { schema: Schemas.INT64, value: n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n };
    return { schema: Schemas.STRING, value: text };
  }
  let m = TIMESTAMP.exec(t);
  if (m) return { schema: Logical.timestamp(), value: new Date(t) };
  m = DATE.exec(t);
  if (m) return { schema: Logical.date(), value: new Date(`${t}T00:00:00.000Z`) };
  m = TIME.exec(t);
  if (m) return { schema: Logical.time(), value: new Date(((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4])) };
  if (DEC.test(t)) {
    const v = Number(t);
    if (Number.isFinite(v)) return { schema: Math.abs(Math.fround(v)) === Infinity ? Schemas.FLOAT64 : Schemas.FLOAT32, value: v };
  }
  if ((t.startsWith('[') && t.endsWith(']')) || (t.startsWith('{') && t.endsWith('}'))) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v)) return { schema: null, value: v };
      return { schema: null, value: new Map(Object.entries(v as object)) };
    } catch {
      // not JSON-shaped after all: a string
    }
  }
  return { schema: Schemas.STRING, value: text };
}

export class SimpleHeaderConverter implements HeaderConverter {
  configure(): void {}
  toConnectHeader(_topic: string, _key: string, bytes: Buffer | null): SchemaAndValue {
    if (bytes === null) return { schema: null, value: null };
    return parseString(bytes.toString('utf8'));
  }
  fromConnectHeader(_topic: string, _key: string, schema: Schema | null, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    // Logical values carry their meaning in the schema: a Decimal is its decimal text.
    if (schema?.name === LOGICAL.DECIMAL) return Buffer.from(String(value));
    return Buffer.from(valueToString(value));
  }
}

/** A record Converter used for headers (Kafka's StringConverter/JsonConverter/ByteArrayConverter are both). */
class ConverterAsHeaderConverter implements HeaderConverter {
  private readonly conv: Converter;
  constructor(conv: Converter) {
    this.conv = conv;
  }
  configure(config: Readonly<Record<string, string>>): void {
    this.conv.configure(config, false);
  }
  toConnectHeader(topic: string, _key: string, bytes: Buffer | null): SchemaAndValue {
    return this.conv.toConnectData(topic, bytes);
  }
  fromConnectHeader(topic: string, _key: string, schema: Schema | null, value: unknown): Buffer | null {
    return this.conv.fromConnectData(topic, schema, value);
  }
}

const HEADER_CONVERTERS: Record<string, () => HeaderConverter> = {
  'org.apache.kafka.connect.storage.SimpleHeaderConverter': () => new SimpleHeaderConverter(),
  SimpleHeaderConverter: () => new SimpleHeaderConverter(),
  'org.apache.kafka.connect.storage.StringConverter': () => new ConverterAsHeaderConverter(new StringConverter()),
  StringConverter: () => new ConverterAsHeaderConverter(new StringConverter()),
  'org.apache.kafka.connect.json.JsonConverter': () => new ConverterAsHeaderConverter(new JsonConverter()),
  JsonConverter: () => new ConverterAsHeaderConverter(new JsonConverter()),
  'org.apache.kafka.connect.converters.ByteArrayConverter': () => new ConverterAsHeaderConverter(new ByteArrayConverter()),
  ByteArrayConverter: () => new ConverterAsHeaderConverter(new ByteArrayConverter()),
};

export const DEFAULT_HEADER_CONVERTER = 'org.apache.kafka.connect.storage.SimpleHeaderConverter';

/** `header.converter` (default SimpleHeaderConverter) configured with its `header.converter.*` settings. */
export function headerConverterFrom(config: Readonly<Record<string, string>>): HeaderConverter {
  const cls = (config['header.converter'] ?? '').trim() || DEFAULT_HEADER_CONVERTER;
  const make = HEADER_CONVERTERS[cls];
  if (!make) throw new Error(`Invalid value ${cls} for configuration header.converter: Class ${cls} could not be found (available: SimpleHeaderConverter, StringConverter, JsonConverter, ByteArrayConverter).`);
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) if (k.startsWith('header.converter.')) own[k.slice('header.converter.'.length)] = v;
  const c = make();
  c.configure(own);
  return c;
}
