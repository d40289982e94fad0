import type { ConnectRecord, Props, SinkRecord } from '../api.ts';
import { ConfigException } from '../config-def.ts';
import { Logical, Schemas, Struct, field, type Schema } from '../data/schema.ts';
import { list, operating, required, requireMap, requireStruct, withSide, type Side, type Transformation } from './transformation.ts';

/**
 * Kafka's field-level SMTs (org.apache.kafka.connect.transforms.*): InsertField, ReplaceField,
 * MaskField, ValueToKey, ExtractField, HoistField. `$Key`/`$Value` pick the record half; schemaless
 * values must be maps (plain objects), schemaful ones Structs — with Kafka's error messages.
 */

function structOf(schema: Schema, values: Record<string, unknown>): Struct {
  const s = new Struct(schema);
  for (const f of schema.fields!) if (values[f.name] !== undefined) s.put(f.name, values[f.name]);
  return s;
}

function structValues(s: Struct): Record<string, unknown> {
  return Object.fromEntries(s.schema.fields!.map((f) => [f.name, s.getWithoutDefault(f.name)]));
}

function copyOpts(s: Schema) {
  return { optional: s.optional, name: s.name, version: s.version, doc: s.doc, parameters: s.parameters };
}

// ---------------- InsertField ----------------

interface InsertSpec {
  name: string;
  optional: boolean;
}

function insertSpec(text: string | undefined): InsertSpec | null {
  if (!text) return null;
  if (text.endsWith('!')) return { name: text.slice(0, -1), optional: false };
  if (text.endsWith('?')) return { name: text.slice(0, -1), optional: true };
  return { name: text, optional: true };
}

export class InsertField implements Transformation {
  private topic: InsertSpec | null = null;
  private partition: InsertSpec | null = null;
  private offset: InsertSpec | null = null;
  private timestamp: InsertSpec | null = null;
  private staticField: InsertSpec | null = null;
  private staticValue: string | null = null;
  private readonly side: Side;
  constructor(side: Side) {
    this.side = side;
  }

  configure(p: Props): void {
    this.topic = insertSpec(p['topic.field']);
    this.partition = insertSpec(p['partition.field']);
    this.offset = insertSpec(p['offset.field']);
    this.timestamp = insertSpec(p['timestamp.field']);
    this.staticField = insertSpec(p['static.field']);
    this.staticValue = p['static.value'] ?? null;
    if (!this.topic && !this.partition && !this.offset && !this.timestamp && !this.staticField) {
      throw new ConfigException('InsertField: no field insertion configured (topic.field, partition.field, offset.field, timestamp.field or static.field)');
    }
    if (this.staticField && this.staticValue === null) throw new ConfigException('InsertField: static.field needs static.value');
  }

  private inserts(r: ConnectRecord): Array<[InsertSpec, Schema, unknown]> {
    const out: Array<[InsertSpec, Schema, unknown]> = [];
    if (this.topic) out.push([this.topic, this.topic.optional ? Schemas.OPTIONAL_STRING : Schemas.STRING, r.topic]);
    if (this.partition) out.push([this.partition, this.partition.optional ? Schemas.OPTIONAL_INT32 : Schemas.INT32, r.kafkaPartition]);
    if (this.offset) {
      const off = (r as Partial<SinkRecord>).kafkaOffset;
      if (off === undefined) throw new Error(`Offset field '${this.offset.name}' is only supported for sink connectors, but found source record`);
      out.push([this.offset, this.offset.optional ? Schemas.OPTIONAL_INT64 : Schemas.INT64, off]);
    }
    if (this.timestamp) out.push([this.timestamp, Logical.timestamp(this.timestamp.optional), r.timestamp === null ? null : new Date(r.timestamp)]);
    if (this.staticField) out.push([this.staticField, this.staticField.optional ? Schemas.OPTIONAL_STRING : Schemas.STRING, this.staticValue]);
    return out;
  }

  apply<R extends ConnectRecord>(r: R): R | null {
    const { schema, value } = operating(r, this.side);
    if (value === null || value === undefined) return r; // tombstones pass (behavior of Kafka 3.x)
    const ins = this.inserts(r);
    if (schema === null) {
      const m = { ...requireMap(value, 'field insertion') };
      for (const [spec, , v] of ins) m[spec.name] = this.timestamp === spec && v instanceof Date ? v.getTime() : v;
      return withSide(r, this.side, null, m);
    }
    const s = requireStruct(value, 'field insertion');
    const updated = Schemas.struct([...schema.fields!.map((f) => [f.name, f.schema] as [string, Schema]), ...ins.map(([spec, sch]) => [spec.name, sch] as [string, Schema])], copyOpts(schema));
    const vals = structValues(s);
    for (const [spec, , v] of ins) vals[spec.name] = v;
    return withSide(r, this.side, updated, structOf(updated, vals));
  }
}

// ---------------- ReplaceField ----------------

export class ReplaceField implements Transformation {
  private exclude: string[] = [];
  private include: string[] = [];
  private renames = new Map<string, string>();
  private readonly side: Side;
  constructor(side: Side) {
    this.side = side;
  }

  configure(p: Props): void {
    this.exclude = list(p.exclude ?? p.blacklist);
    this.include = list(p.include ?? p.whitelist);
    for (const pair of list(p.renames)) {
      const [from, to, extra] = pair.split(':');
      if (!from || !to || extra !== undefined) throw new ConfigException(`Invalid value ${p.renames} for configuration renames: Invalid rename mapping: ${pair}`);
      this.renames.set(from, to);
    }
  }

  private keep(name: string): boolean {
    return !this.exclude.includes(name) && (this.include.length === 0 || this.include.includes(name));
  }

  private renamed(name: string): string {
    return this.renames.get(name) ?? name;
  }

  apply<R extends ConnectRecord>(r: R): R | null {
    const { schema, value } = operating(r, this.side);
    if (value === null || value === undefined) return r;
    if (schema === null) {
      const m = requireMap(value, 'field replacement');
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(m)) if (this.keep(k)) out[this.renamed(k)] = v;
      return withSide(r, this.side, null, out);
    }
    const s = requireStruct(value, 'field replacement');
    const kept = schema.fields!.filter((f) => this.keep(f.name));
    const updated = Schemas.struct(kept.map((f) => [this.renamed(f.name), f.schema]), copyOpts(schema));
    const out = new Struct(updated);
    for (const f of kept) out.put(this.renamed(f.name), s.getWithoutDefault(f.name));
    return withSide(r, this.side, updated, out);
  }
}

// ---------------- MaskField ----------------

const MASKS: Record<string, unknown> = { int8: 0, int16: 0, int32: 0, int64: 0, float32: 0, float64: 0, boolean: false, string: '' };

export class MaskField implements Transformation {
  private fields: string[] = [];
  private replacement: string | null = null;
  private readonly side: Side;
  constructor(side: Side) {
    this.side = side;
  }

  configure(p: Props): void {
    this.fields = list(required(p, 'fields', 'MaskField'));
    this.replacement = p.replacement ?? null;
  }

  private mask(type: string, v: unknown): unknown {
    if (this.replacement !== null) {
      if (type === 'string') return this.replacement;
      if (type === 'int8' || type === 'int16' || type === 'int32' || type === 'int64' || type === 'float32' || type === 'float64') {
        const n = Number(this.replacement);
        if (Number.isNaN(n)) throw new Error(`Unable to convert ${this.replacement} (${typeof this.replacement}) to number`);
        return n;
      }
      throw new Error(`Cannot mask value of type ${type} with custom replacement.`);
    }
    if (type in MASKS) return MASKS[type];
    if (type === 'array') return [];
    if (type === 'map') return {};
    throw new Error(`Cannot mask value of type: ${typeof v}`);
  }

  apply<R extends ConnectRecord>(r: R): R | null {
    const { schema, value } = operating(r, this.side);
    if (value === null || value === undefined) return r;
    if (schema === null) {
      const m = { ...requireMap(value, 'masking') };
      for (const f of this.fields) {
        if (!(f in m)) continue;
        const v = m[f];
        const t = typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'boolean' : typeof v === 'number' || typeof v === 'bigint' ? 'float64' : Array.isArray(v) ? 'array' : 'map';
        m[f] = v === null ? null : typeof v === 'number' && this.replacement === null ? 0 : this.mask(t, v);
      }
      return withSide(r, this.side, null, m);
    }
    const s = requireStruct(value, 'masking');
    const out = new Struct(schema);
    for (const f of schema.fields!) {
      const v = s.getWithoutDefault(f.name);
      out.put(f.name, this.fields.includes(f.name) && v !== null ? this.mask(f.schema.type, v) : v);
    }
    return withSide(r, this.side, schema, out);
  }
}

// ---------------- ValueToKey ----------------

export class ValueToKey implements Transformation {
  private fields: string[] = [];
  configure(p: Props): void {
    this.fields = list(required(p, 'fields', 'ValueToKey'));
  }

  apply<R extends ConnectRecord>(r: R): R | null {
    if (r.valueSchema === null) {
      const m = requireMap(r.value, 'copying fields from value to key');
      return { ...r, keySchema: null, key: Object.fromEntries(this.fields.map((f) => [f, m[f] ?? null])) };
    }
    const s = requireStruct(r.value, 'copying fields from value to key');
    const keySchema = Schemas.struct(
      this.fields.map((f) => {
        const fd = field(r.valueSchema!, f);
        if (!fd) throw new Error(`Field does not exist: ${f}`);
        return [f, fd.schema];
      }),
    );
    const key = new Struct(keySchema);
    for (const f of this.fields) key.put(f, s.getWithoutDefault(f));
    return { ...r, keySchema, key };
  }
}

// ---------------- ExtractField ----------------

export class ExtractField implements Transformation {
  private field = '';
  private readonly side: Side;
  constructor(side: Side) {
    this.side = side;
  }
  configure(p: Props): void {
    this.field = required(p, 'field', 'ExtractField');
  }

  apply<R extends ConnectRecord>(r: R): R | null {
    const { schema, value } = operating(r, this.side);
    if (schema === null) {
      if (value === null || value === undefined) return withSide(r, this.side, null, null);
      const m = requireMap(value, 'field extraction');
      return withSide(r, this.side, null, m[this.field] ?? null);
    }
    if (value === null || value === undefined) return withSide(r, this.side, field(schema, this.field)?.schema ?? null, null);
    const s = requireStruct(value, 'field extraction');
    const fd = field(schema, this.field);
    if (!fd) throw new Error(`Unknown field: ${this.field}`);
    return withSide(r, this.side, fd.schema, s.getWithoutDefault(this.field));
  }
}

// ---------------- HoistField ----------------

export class HoistField implements Transformation {
  private field = '';
  private readonly side: Side;
  constructor(side: Side) {
    this.side = side;
  }
  configure(p: Props): void {
    this.field = required(p, 'field', 'HoistField');
  }

  apply<R extends ConnectRecord>(r: R): R | null {
    const { schema, value } = operating(r, this.side);
    if (schema === null) return withSide(r, this.side, null, { [this.field]: value });
    const updated = Schemas.struct([[this.field, schema]]);
    return withSide(r, this.side, updated, new Struct(updated).put(this.field, value));
  }
}

// ---------------- Flatten ----------------

export class Flatten implements Transformation {
  private delimiter = '.';
  private readonly side: Side;
  constructor(side: Side) {
    this.side = side;
  }
  configure(p: Props): void {
    this.delimiter = p.delimiter ?? '.';
  }

  private flatMap(prefix: string, m: Record<string, unknown>, out: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(m)) {
      const name = prefix === '' ? k : `${prefix}${this.delimiter}${k}`;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Struct) && !(v instanceof Date)) {
        this.flatMap(name, v instanceof Map ? (Object.fromEntries(v) as Record<string, unknown>) : (v as Record<string, unknown>), out);
      } else out[name] = v;
    }
  }

  private flatSchema(prefix: string, schema: Schema, optional: boolean, out: Array<[string, Schema]>): void {
    for (const f of schema.fields!) {
      const name = prefix === '' ? f.name : `${prefix}${this.delimiter}${f.name}`;
      if (f.schema.type === 'struct') this.flatSchema(name, f.schema, optional || f.schema.optional, out);
      else out.push([name, optional && !f.schema.optional ? { ...f.schema, optional: true } : f.schema]);
    }
  }

  private flatStruct(prefix: string, s: Struct | null, schema: Schema, out: Record<string, unknown>): void {
    for (const f of schema.fields!) {
      const name = prefix === '' ? f.name : `${prefix}${this.delimiter}${f.name}`;
      const v = s === null ? null : s.getWithoutDefault(f.name);
      if (f.schema.type === 'struct') this.flatStruct(name, v as Struct | null, f.schema, out);
      else out[name] = v;
    }
  }

  apply<R extends ConnectRecord>(r: R): R | null {
    const { schema, value } = operating(r, this.side);
    if (value === null || value === undefined) return r;
    if (schema === null) {
      const out: Record<string, unknown> = {};
      this.flatMap('', requireMap(value, 'flattening'), out);
      return withSide(r, this.side, null, out);
    }
    const s = requireStruct(value, 'flattening');
    const fields: Array<[string, Schema]> = [];
    this.flatSchema('', schema, false, fields);
    const updated = Schemas.struct(fields, copyOpts(schema));
    const vals: Record<string, unknown> = {};
    this.flatStruct('', s, schema, vals);
    return withSide(r, this.side, updated, structOf(updated, vals));
  }
}
