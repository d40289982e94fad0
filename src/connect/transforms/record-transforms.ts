import type { ConnectRecord, Props } from '../api.ts';
import { ConfigException } from '../config-def.ts';
import { LOGICAL, Logical, Schemas, Struct, type Schema, type SchemaType } from '../data/schema.ts';
import { formatDate, list, operating, parseDate, required, requireMap, requireStruct, withSide, type Side, type Transformation } from './transformation.ts';

/**
 * Kafka's record-level SMTs: RegexRouter, TimestampRouter, Filter, Cast, TimestampConverter.
 */

/** Java's Matcher.replaceFirst replacement syntax ($1, ${name}, \$) → a JS replacement string. */
function javaReplacement(r: string): string {
  return r.replace(/\\(.)|\$(\d+)|\$\{(\w+)\}|\$/g, (m, esc: string | undefined, num: string | undefined, name: string | undefined) => {
    if (esc !== undefined) return esc === '$' ? '$$' : esc;
    if (num !== undefined) return `$${num}`;
    if (name !== undefined) return `$<${name}>`;
    return m;
  });
}

export class RegexRouter implements Transformation {
  private regex = /$^/;
  private replacement = '';
  configure(p: Props): void {
    try {
      this.regex = new RegExp(`^(?:${required(p, 'regex', 'RegexRouter')})$`);
    } catch (e) {
      throw new ConfigException(`Invalid value ${p.regex} for configuration regex: ${(e as Error).message}`);
    }
    this.replacement = javaReplacement(required(p, 'replacement', 'RegexRouter'));
  }
  apply<R extends ConnectRecord>(r: R): R | null {
    // Kafka uses Matcher.matches(): the whole topic name must match.
    if (!this.regex.test(r.topic)) return r;
    return { ...r, topic: r.topic.replace(this.regex, this.replacement) };
  }
}

export class TimestampRouter implements Transformation {
  private topicFormat = '${topic}-${timestamp}';
  private timestampFormat = 'yyyyMMdd';
  configure(p: Props): void {
    this.topicFormat = p['topic.format'] ?? this.topicFormat;
    this.timestampFormat = p['timestamp.format'] ?? this.timestampFormat;
    formatDate(this.timestampFormat, new Date(0));
  }
  apply<R extends ConnectRecord>(r: R): R | null {
    if (r.timestamp === null) throw new Error(`Timestamp missing on record: ${r.topic}`);
    const ts = formatDate(this.timestampFormat, new Date(r.timestamp));
    return { ...r, topic: this.topicFormat.replaceAll('${topic}', r.topic).replaceAll('${timestamp}', ts) };
  }
}

/** Drops every record (use with a predicate). */
export class Filter implements Transformation {
  configure(): void {}
  apply<R extends ConnectRecord>(): R | null {
    return null;
  }
}

// ---------------- Cast ----------------

const CAST_TYPES: Record<string, SchemaType> = {
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  float32: 'float32',
  float64: 'float64',
  boolean: 'boolean',
  string: 'string',
};

function castValue(v: unknown, to: SchemaType): unknown {
  if (v === null || v === undefined) return null;
  if (to === 'string') return v instanceof Date ? v.toISOString() : Buffer.isBuffer(v) ? v.toString('base64') : String(v);
  if (to === 'boolean') {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') return v.trim().toLowerCase() === 'true';
    return Number(v) !== 0;
  }
  const n = typeof v === 'boolean' ? (v ? 1 : 0) : v instanceof Date ? v.getTime() : Number(v);
  if (Number.isNaN(n)) throw new Error(`Cast: value ${String(v)} cannot be cast to ${to}`);
  switch (to) {
    case 'int8':
      return ((Math.trunc(n) << 24) >> 24);
    case 'int16':
      return ((Math.trunc(n) << 16) >> 16);
    case 'int32':
      return Math.trunc(n) | 0;
    case 'int64':
      return Math.trunc(n);
    case 'float32':
      return Math.fround(n);
    default:
      return n;
  }
}

export class Cast implements Transformation {
  private whole: SchemaType | null = null;
  private casts = new Map<string, SchemaType>();
  private readonly side: Side;
  constructor(side: Side) {
    this.side = side;
  }

  configure(p: Props): void {
    const spec = list(required(p, 'spec', 'Cast'));
    for (const item of spec) {
      const parts = item.split(':');
      const typeName = (parts.length === 1 ? parts[0]! : parts[1]!).trim().toLowerCase();
      const t = CAST_TYPES[typeName];
      if (!t || parts.length > 2) throw new ConfigException(`Invalid value ${p.spec} for configuration spec: Invalid type found in casting spec: ${typeName}`);
      if (parts.length === 1) {
        if (spec.length > 1) throw new ConfigException('Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec');
        this.whole = t;
      } else this.casts.set(parts[0]!.trim(), t);
    }
  }

  apply<R extends ConnectRecord>(r: R): R | null {
    const { schema, value } = operating(r, this.side);
    if (this.whole) {
      return withSide(r, this.side, schema === null ? null : Schemas.primitive(this.whole, { optional: schema.optional }), castValue(value, this.whole));
    }
    if (value === null || value === undefined) return r;
    if (schema === null) {
      const m = { ...requireMap(value, 'cast types') };
      for (const [f, t] of this.casts) if (f in m) m[f] = castValue(m[f], t);
      return withSide(r, this.side, null, m);
    }
    const s = requireStruct(value, 'cast types');
    const updated = Schemas.struct(
      schema.fields!.map((f) => {
        const t = this.casts.get(f.name);
        return [f.name, t ? Schemas.primitive(t, { optional: f.schema.optional }) : f.schema];
      }),
      { optional: schema.optional, name: schema.name, version: schema.version, doc: schema.doc },
    );
    const out = new Struct(updated);
    for (const f of schema.fields!) {
      const t = this.casts.get(f.name);
      const v = s.getWithoutDefault(f.name);
      out.put(f.name, t ? castValue(v, t) : v);
    }
    return withSide(r, this.side, updated, out);
  }
}

// ---------------- TimestampConverter ----------------

type TsTarget = 'string' | 'unix' | 'Date' | 'Time' | 'Timestamp';

export class TimestampConverter implements Transformation {
  private field = '';
  private target: TsTarget = 'Timestamp';
  private format: string | null = null;
  private precision: 'seconds' | 'milliseconds' | 'microseconds' | 'nanoseconds' = 'milliseconds';
  private readonly side: Side;
  constructor(side: Side) {
    this.side = side;
  }

  configure(p: Props): void {
    this.field = p.field ?? '';
    const t = required(p, 'target.type', 'TimestampConverter');
    if (!['string', 'unix', 'Date', 'Time', 'Timestamp'].includes(t)) throw new ConfigException(`Unknown timestamp type in TimestampConverter: ${t}. Valid values are Timestamp, Date, Time, unix, string.`);
    this.target = t as TsTarget;
    this.format = p.format ?? null;
    if (this.target === 'string' && !this.format) throw new ConfigException('TimestampConverter requires format option to be specified when using string timestamps');
    const prec = p['unix.precision'] ?? 'milliseconds';
    if (!['seconds', 'milliseconds', 'microseconds', 'nanoseconds'].includes(prec)) throw new ConfigException(`Invalid value ${prec} for configuration unix.precision`);
    this.precision = prec as typeof this.precision;
  }

  private toDate(v: unknown, schema: Schema | null): Date {
    if (v instanceof Date) return v;
    if (typeof v === 'string') {
      if (!this.format) throw new Error('TimestampConverter requires format option to be specified when using string timestamps');
      return parseDate(this.format, v);
    }
    if (typeof v === 'number' || typeof v === 'bigint') {
      const n = Number(v);
      if (schema?.name === LOGICAL.DATE) return new Date(n * 86_400_000);
      const f = { seconds: 1000, milliseconds: 1, microseconds: 0.001, nanoseconds: 0.000001 }[this.precision];
      return new Date(Math.floor(n * f));
    }
    throw new Error(`TimestampConverter: cannot convert ${typeof v} to a timestamp`);
  }

  private convert(d: Date): { schema: Schema; value: unknown } {
    switch (this.target) {
      case 'string':
        return { schema: Schemas.OPTIONAL_STRING, value: formatDate(this.format!, d) };
      case 'unix': {
        const f = { seconds: 1000, milliseconds: 1, microseconds: 0.001, nanoseconds: 0.000001 }[this.precision];
        return { schema: Schemas.OPTIONAL_INT64, value: Math.floor(d.getTime() / f) };
      }
      case 'Date':
        return { schema: Logical.date(true), value: new Date(Math.floor(d.getTime() / 86_400_000) * 86_400_000) };
      case 'Time':
        return { schema: Logical.time(true), value: new Date(((d.getTime() % 86_400_000) + 86_400_000) % 86_400_000) };
      default:
        return { schema: Logical.timestamp(true), value: d };
    }
  }

  apply<R extends ConnectRecord>(r: R): R | null {
    const { schema, value } = operating(r, this.side);
    if (value === null || value === undefined) return r;
    if (this.field === '') {
      const c = this.convert(this.toDate(value, schema));
      return withSide(r, this.side, schema === null ? null : c.schema, schema === null && c.value instanceof Date ? c.value.getTime() : c.value);
    }
    if (schema === null) {
      const m = { ...requireMap(value, 'converting timestamp formats') };
      if (m[this.field] !== null && m[this.field] !== undefined) {
        const c = this.convert(this.toDate(m[this.field], null));
        m[this.field] = c.value instanceof Date ? c.value.getTime() : c.value;
      }
      return withSide(r, this.side, null, m);
    }
    const s = requireStruct(value, 'converting timestamp formats');
    const fd = schema.fields!.find((f) => f.name === this.field);
    if (!fd) throw new Error(`Unknown field: ${this.field}`);
    const v = s.getWithoutDefault(this.field);
    const c = v === null ? { schema: this.convert(new Date(0)).schema, value: null } : this.convert(this.toDate(v, fd.schema));
    const updated = Schemas.struct(schema.fields!.map((f) => [f.name, f.name === this.field ? c.schema : f.schema]), { optional: schema.optional, name: schema.name });
    const out = new Struct(updated);
    for (const f of schema.fields!) out.put(f.name, f.name === this.field ? c.value : s.getWithoutDefault(f.name));
    return withSide(r, this.side, updated, out);
  }
}
