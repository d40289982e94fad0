/**
 * Test helper: reads the Kafka JSON schemas independently of the generator and builds, for any message
 * and version, a sample object with non-trivial values in exactly the shape the generated decoder
 * returns (absent fields at their defaults). Used by the round-trip tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../helpers/random.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const schemaDir = path.join(repoRoot, '..', 'shared', 'kafka-protocol', 'messages');
export const fixturesDir = path.join(repoRoot, '..', 'shared', 'fixtures', 'wire');

export interface Field {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  flexibleVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  fields?: Field[];
}

export interface Schema {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: Field[];
  commonStructs?: { name: string; versions: string; fields: Field[] }[];
}

/** Removes // comments outside strings (the schema files are JSON with comments). */
function strip(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*/g, (m, str: string | undefined) => str ?? '');
}

export function loadSchemas(): Schema[] {
  return fs
    .readdirSync(schemaDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(strip(fs.readFileSync(path.join(schemaDir, f), 'utf8'))) as Schema);
}

export function inVersions(spec: string | undefined, v: number): boolean {
  if (spec === undefined || spec === 'none') return false;
  if (spec.endsWith('+')) return v >= Number(spec.slice(0, -1));
  const [lo, hi] = spec.split('-');
  return v >= Number(lo) && v <= Number(hi ?? lo);
}

export function versionRange(s: Schema): [number, number] {
  const [lo, hi] = s.validVersions.split('-').map(Number);
  return [lo!, hi ?? lo!];
}

/** kebab-case module name, as the generator names files. */
export function moduleName(s: Schema): string {
  const base = s.type === 'request' || s.type === 'response' ? s.name.replace(/(Request|Response)$/, '') : s.name;
  return base
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

const lower = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const PRIMS = new Set(['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64', 'bool', 'string', 'uuid', 'bytes', 'records']);

export class SampleBuilder {
  private readonly schema: Schema;
  private readonly common = new Map<string, Field[]>();
  private counter = 0;
  private readonly flexible: boolean;
  private readonly seed: number;
  /** Random mode: full-range values, random array sizes and nulls, long strings (multi-byte lengths). */
  private readonly rand: (() => number) | null;

  constructor(schema: Schema, seed = 0, random = false) {
    this.schema = schema;
    this.seed = seed;
    this.rand = random ? seededRandom(seed) : null;
    for (const c of schema.commonStructs ?? []) this.common.set(c.name, c.fields);
    this.flexible = schema.flexibleVersions !== 'none';
  }

  private isFlexible(v: number): boolean {
    return inVersions(this.schema.flexibleVersions, v);
  }

  structFields(f: Field): Field[] | null {
    const t = f.type.replace(/^\[\]/, '');
    if (PRIMS.has(t)) return null;
    return f.fields ?? this.common.get(t) ?? null;
  }

  /** Whether the field is on the wire at v (in sequence or tagged). */
  present(f: Field, v: number): boolean {
    if (!inVersions(f.versions, v)) return false;
    if (f.tag !== undefined) return inVersions(f.taggedVersions, v) && this.isFlexible(v);
    return true;
  }

  defaultValue(f: Field): unknown {
    const isArray = f.type.startsWith('[]');
    const t = f.type.replace(/^\[\]/, '');
    if (f.default === 'null') return null;
    if (isArray) return [];
    const sub = this.structFields(f);
    if (sub) return this.defaultStruct(sub);
    const d = f.default;
    switch (t) {
      case 'int64':
        return d === undefined ? 0n : BigInt(d as string | number);
      case 'bool':
        return d === true || d === 'true';
      case 'string':
        return d === undefined ? '' : String(d);
      case 'uuid':
        return 'AAAAAAAAAAAAAAAAAAAAAA';
      case 'bytes':
        return Buffer.alloc(0);
      case 'records':
        return f.nullableVersions ? null : Buffer.alloc(0);
      default:
        return d === undefined ? 0 : Number(d);
    }
  }

  defaultStruct(fields: Field[]): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of fields) o[lower(f.name)] = this.defaultValue(f);
    return o;
  }

  private next(): number {
    return this.counter++ + this.seed;
  }

  private randomScalar(t: string, rnd: () => number): unknown {
    const int = (bits: number) => Math.floor(rnd() * 2 ** bits) - 2 ** (bits - 1);
    switch (t) {
      case 'int8':
        return int(8);
      case 'int16':
        return int(16);
      case 'int32':
        return int(32);
      case 'int64':
        return BigInt.asIntN(64, (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32)));
      case 'uint16':
        return Math.floor(rnd() * 2 ** 16);
      case 'uint32':
        return Math.floor(rnd() * 2 ** 32);
      case 'float64':
        return (rnd() - 0.5) * 1e12;
      case 'bool':
        return rnd() < 0.5;
      case 'string': {
        const n = rnd() < 0.3 ? Math.floor(rnd() * 400) : Math.floor(rnd() * 8);
        let out = '';
        for (let i = 0; i < n; i++) out += String.fromCodePoint(rnd() < 0.9 ? 0x20 + Math.floor(rnd() * 95) : 0xa0 + Math.floor(rnd() * 0x2000));
        return out;
      }
      case 'uuid': {
        const b = Buffer.alloc(16);
        for (let i = 0; i < 16; i++) b[i] = Math.floor(rnd() * 256);
        return b.toString('base64url');
      }
      default: {
        const n = rnd() < 0.2 ? Math.floor(rnd() * 1000) : Math.floor(rnd() * 10);
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
        return b;
      }
    }
  }

  private scalar(t: string, f: Field): unknown {
    if (this.rand) return this.randomScalar(t, this.rand);
    const k = this.next();
    switch (t) {
      case 'int8':
        return [7, -5, 127, -128][k % 4];
      case 'int16':
        return [1234, -300, 32767, -1][k % 4];
      case 'int32':
        return [123456, -2, 2147483647, -2147483648][k % 4];
      case 'int64':
        return [1234567890123n, -1n, 9223372036854775807n, -9223372036854775808n][k % 4];
      case 'uint16':
        return [65000, 1][k % 2];
      case 'uint32':
        return [4000000000, 17][k % 2];
      case 'float64':
        return [3.25, -0.5][k % 2];
      case 'bool':
        return !(f.default === true || f.default === 'true');
      case 'string':
        return [`${f.name}-héllo`, `x${k}`, ''][k % 3];
      case 'uuid': {
        const b = Buffer.alloc(16);
        for (let i = 0; i < 16; i++) b[i] = (k * 31 + i * 7) & 0xff;
        return b.toString('base64url');
      }
      case 'bytes':
      case 'records':
        return Buffer.from([k & 0xff, 1, 2, 3, 0xff]);
      default:
        throw new Error(`no sample for ${t}`);
    }
  }

  private value(f: Field, v: number): unknown {
    const nullable = inVersions(f.nullableVersions, v);
    if (nullable && (this.rand ? this.rand() < 0.3 : this.next() % 3 === 0)) return null;
    const sub = this.structFields(f);
    const t = f.type.replace(/^\[\]/, '');
    if (f.type.startsWith('[]')) {
      // 130 elements need a 2-byte compact count; kept to primitive arrays so nesting stays small.
      const n = this.rand ? (!sub && this.rand() < 0.1 ? 130 : Math.floor(this.rand() * 4)) : 2;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(sub ? this.struct(sub, v) : this.scalar(t, { ...f, nullableVersions: undefined }));
      return out;
    }
    if (sub) return this.struct(sub, v);
    return this.scalar(t, f);
  }

  struct(fields: Field[], v: number, withUnknownTags = true): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of fields) o[lower(f.name)] = this.present(f, v) ? this.value(f, v) : this.defaultValue(f);
    if (this.flexible && this.isFlexible(v) && withUnknownTags && (this.rand ? this.rand() < 0.3 : this.next() % 2 === 0)) {
      // Unknown tags above every tag the schemas use, so they sort after the known ones.
      o._unknownTaggedFields = [
        { tag: 1000, data: Buffer.from([1, 2]) },
        { tag: 20000, data: Buffer.alloc(0) },
      ];
    }
    return o;
  }

  message(v: number): Record<string, unknown> {
    return this.struct(this.schema.fields, v);
  }

  /** A message with only the fields an encoder requires (no default, on the wire in every valid version). */
  minimal(v: number): Record<string, unknown> {
    const [lo, hi] = versionRange(this.schema);
    const o: Record<string, unknown> = {};
    for (const f of this.schema.fields) {
      const always = f.default === undefined && f.tag === undefined && [...Array(hi - lo + 1).keys()].every((i) => inVersions(f.versions, lo + i));
      if (always) o[lower(f.name)] = this.present(f, v) ? this.value(f, v) : this.defaultValue(f);
    }
    return o;
  }
}

