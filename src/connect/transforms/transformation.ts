import type { ConnectRecord, Props } from '../api.ts';
import { ConfigException } from '../config-def.ts';
import { Struct, type Schema } from '../data/schema.ts';

/** Kafka's Transformation (SMT): one record in, one record (or null = drop) out. */
export interface Transformation {
  configure(props: Props): void;
  apply<R extends ConnectRecord>(record: R): R | null;
}

/** Kafka's Predicate, for `transforms.<name>.predicate`. */
export interface Predicate {
  configure(props: Props): void;
  test(record: ConnectRecord): boolean;
}

/** Which half of a record a `$Key` / `$Value` transform works on. */
export type Side = 'key' | 'value';

export function operating(r: ConnectRecord, side: Side): { schema: Schema | null; value: unknown } {
  return side === 'key' ? { schema: r.keySchema, value: r.key } : { schema: r.valueSchema, value: r.value };
}

export function withSide<R extends ConnectRecord>(r: R, side: Side, schema: Schema | null, value: unknown): R {
  return side === 'key' ? { ...r, keySchema: schema, key: value } : { ...r, valueSchema: schema, value };
}

export function required(props: Props, name: string, transform: string): string {
  const v = props[name];
  if (v === undefined || v.trim() === '') throw new ConfigException(`${transform}: missing required configuration "${name}" which has no default value.`);
  return v;
}

/** Requirements.requireMap: a schemaless value must be a JSON-like object. */
export function requireMap(value: unknown, purpose: string): Record<string, unknown> {
  if (value instanceof Map) return Object.fromEntries(value) as Record<string, unknown>;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Struct || Buffer.isBuffer(value)) {
    throw new Error(`Only Map objects supported in absence of schema for [${purpose}], found: ${value === null ? 'null' : Array.isArray(value) ? 'ArrayList' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/** Requirements.requireStruct. */
export function requireStruct(value: unknown, purpose: string): Struct {
  if (!(value instanceof Struct)) throw new Error(`Only Struct objects supported for [${purpose}], found: ${value === null ? 'null' : typeof value}`);
  return value;
}

export function list(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Java's SimpleDateFormat patterns used by TimestampRouter/TimestampConverter (UTC): y M d H h m s S a and 'literals'. */
export function formatDate(pattern: string, d: Date): string {
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    const pad = (v: number) => String(v).padStart(n, '0');
    switch (c) {
      case 'y':
        out += n === 2 ? String(d.getUTCFullYear() % 100).padStart(2, '0') : pad(d.getUTCFullYear());
        break;
      case 'M':
        out += pad(d.getUTCMonth() + 1);
        break;
      case 'd':
        out += pad(d.getUTCDate());
        break;
      case 'H':
        out += pad(d.getUTCHours());
        break;
      case 'h':
        out += pad(d.getUTCHours() % 12 || 12);
        break;
      case 'm':
        out += pad(d.getUTCMinutes());
        break;
      case 's':
        out += pad(d.getUTCSeconds());
        break;
      case 'S':
        out += pad(d.getUTCMilliseconds());
        break;
      case 'a':
        out += d.getUTCHours() < 12 ? 'AM' : 'PM';
        break;
      default:
        if (/[A-Za-z]/.test(c)) throw new ConfigException(`Unsupported date pattern letter '${c}' in "${pattern}"`);
        out += c.repeat(n);
    }
    i += n;
  }
  return out;
}

/** The inverse of formatDate for the same letters (UTC). */
export function parseDate(pattern: string, text: string): Date {
  let re = '';
  const order: string[] = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      re += (end === i + 1 ? "'" : pattern.slice(i + 1, end)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i = end + 1;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    if ('yMdHhmsS'.includes(c)) {
      re += c === 'y' && n !== 2 ? '(\\d{4})' : `(\\d{${n === 1 ? '1,3' : n}})`;
      order.push(c);
    } else if (c === 'a') {
      re += '(AM|PM)';
      order.push('a');
    } else re += c.repeat(n).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    i += n;
  }
  const m = new RegExp(`^${re}$`).exec(text);
  if (!m) throw new Error(`Could not parse timestamp: value (${text}) does not match pattern (${pattern})`);
  const f: Record<string, number> = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0 };
  let pm = false;
  order.forEach((c, i) => {
    if (c === 'a') pm = m[i + 1] === 'PM';
    else f[c === 'h' ? 'H' : c] = Number(m[i + 1]);
  });
  return new Date(Date.UTC(f.y!, f.M! - 1, f.d, f.H! + (pm && f.H! < 12 ? 12 : 0), f.m, f.s, f.S));
}
