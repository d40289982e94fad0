/**
 * The Connect data model (org.apache.kafka.connect.data): a Schema describes a value; a Struct is a
 * value of a struct schema. Values are plain JS: int8..int32/float32/float64 are numbers, int64 is a
 * bigint or number (JSON converters read it as a number when it fits), bytes are Buffers, arrays are
 * arrays, maps are Map or plain objects, structs are Struct. Logical types (Decimal, Date, Time,
 * Timestamp) are named schemas over a primitive, as in Kafka.
 */

export type SchemaType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

export interface Field {
  readonly name: string;
  readonly index: number;
  readonly schema: Schema;
}

export interface Schema {
  readonly type: SchemaType;
  readonly optional: boolean;
  readonly name?: string;
  readonly version?: number;
  readonly doc?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly defaultValue?: unknown;
  /** struct only */
  readonly fields?: readonly Field[];
  /** array and map values */
  readonly valueSchema?: Schema;
  /** map keys */
  readonly keySchema?: Schema;
}

export type SchemaOptions = Omit<Partial<Schema>, 'type' | 'fields' | 'valueSchema' | 'keySchema'>;

function make(type: SchemaType, opts: SchemaOptions = {}): Schema {
  const s: { -readonly [K in keyof Schema]: Schema[K] } = { type, optional: opts.optional ?? false };
  if (opts.name !== undefined) s.name = opts.name;
  if (opts.version !== undefined) s.version = opts.version;
  if (opts.doc !== undefined) s.doc = opts.doc;
  if (opts.parameters !== undefined) s.parameters = opts.parameters;
  if (opts.defaultValue !== undefined) s.defaultValue = opts.defaultValue;
  return s;
}

export const Schemas = {
  primitive: (type: SchemaType, opts?: SchemaOptions): Schema => make(type, opts),
  INT8: make('int8'),
  INT16: make('int16'),
  INT32: make('int32'),
  INT64: make('int64'),
  FLOAT32: make('float32'),
  FLOAT64: make('float64'),
  BOOLEAN: make('boolean'),
  STRING: make('string'),
  BYTES: make('bytes'),
  OPTIONAL_INT8: make('int8', { optional: true }),
  OPTIONAL_INT16: make('int16', { optional: true }),
  OPTIONAL_INT32: make('int32', { optional: true }),
  OPTIONAL_INT64: make('int64', { optional: true }),
  OPTIONAL_FLOAT32: make('float32', { optional: true }),
  OPTIONAL_FLOAT64: make('float64', { optional: true }),
  OPTIONAL_BOOLEAN: make('boolean', { optional: true }),
  OPTIONAL_STRING: make('string', { optional: true }),
  OPTIONAL_BYTES: make('bytes', { optional: true }),
  array(valueSchema: Schema, opts?: SchemaOptions): Schema {
    return { ...make('array', opts), valueSchema };
  },
  map(keySchema: Schema, valueSchema: Schema, opts?: SchemaOptions): Schema {
    return { ...make('map', opts), keySchema, valueSchema };
  },
  struct(fields: ReadonlyArray<[string, Schema]>, opts?: SchemaOptions): Schema {
    const seen = new Set<string>();
    const list: Field[] = fields.map(([name, schema], index) => {
      if (seen.has(name)) throw new DataException(`Cannot create field because of field name duplication ${name}`);
      seen.add(name);
      return { name, index, schema };
    });
    return { ...make('struct', opts), fields: list };
  },
  /** The same schema, optional. */
  optional(s: Schema): Schema {
    return { ...s, optional: true };
  },
};

/** Kafka's DataException: a value does not fit its schema, or a conversion failed. */
export class DataException extends Error {
  override name = 'DataException';
}

export function field(schema: Schema, name: string): Field | undefined {
  return schema.fields?.find((f) => f.name === name);
}

/** Structural equality, as ConnectSchema.equals (fields, names, parameters, defaults). */
export function schemaEquals(a: Schema | null | undefined, b: Schema | null | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (a.type !== b.type || a.optional !== b.optional || a.name !== b.name || a.version !== b.version || a.doc !== b.doc) return false;
  if (JSON.stringify(a.parameters ?? null) !== JSON.stringify(b.parameters ?? null)) return false;
  if (!schemaEquals(a.keySchema, b.keySchema) || !schemaEquals(a.valueSchema, b.valueSchema)) return false;
  const fa = a.fields ?? [];
  const fb = b.fields ?? [];
  if (fa.length !== fb.length) return false;
  return fa.every((f, i) => f.name === fb[i]!.name && schemaEquals(f.schema, fb[i]!.schema));
}

/** A value of a struct schema: field values by name, validated on put and validate(). */
export class Struct {
  readonly schema: Schema;
  private readonly values: unknown[];

  constructor(schema: Schema) {
    if (schema.type !== 'struct') throw new DataException('Not a struct schema: ' + schema.type);
    this.schema = schema;
    this.values = new Array(schema.fields!.length).fill(null);
  }

  private lookup(name: string): Field {
    const f = field(this.schema, name);
    if (!f) throw new DataException(`${name} is not a valid field name`);
    return f;
  }

  /** The field's value, or its schema's default when unset (as Struct.get). */
  get(name: string): unknown {
    const f = this.lookup(name);
    const v = this.values[f.index];
    return v === null || v === undefined ? (f.schema.defaultValue ?? null) : v;
  }

  getWithoutDefault(name: string): unknown {
    return this.values[this.lookup(name).index] ?? null;
  }

  put(name: string, value: unknown): this {
    const f = this.lookup(name);
    validateValue(f.schema, value, name);
    this.values[f.index] = value;
    return this;
  }

  /** Throws a DataException naming the first required field without a value. */
  validate(): void {
    for (const f of this.schema.fields!) validateValue(f.schema, this.values[f.index] ?? null, f.name);
  }

  equals(other: unknown): boolean {
    if (!(other instanceof Struct) || !schemaEquals(this.schema, other.schema)) return false;
    return this.schema.fields!.every((f) => valueEquals(this.values[f.index], other.values[f.index]));
  }

  toString(): string {
    return `Struct{${this.schema.fields!.filter((f) => this.values[f.index] != null).map((f) => `${f.name}=${String(this.values[f.index])}`).join(',')}}`;
  }
}

export function valueEquals(a: unknown, b: unknown): boolean {
  if (a instanceof Struct) return a.equals(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => valueEquals(x, b[i]));
  return a === b || (a == null && b == null);
}

const INT_RANGES: Partial<Record<SchemaType, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** As ConnectSchema.validateValue: the value's JS type must match the schema (logical types too). */
export function validateValue(schema: Schema, value: unknown, what = 'value'): void {
  if (value === null || value === undefined) {
    if (schema.optional || schema.defaultValue !== undefined) return;
    throw new DataException(`Invalid value: null used for required field: "${what}", schema type: ${schema.type.toUpperCase()}`);
  }
  const logical = schema.name ? LOGICAL_JS[schema.name] : undefined;
  if (logical) {
    if (!logical(value)) throw new DataException(`Invalid Java object for logical type ${schema.name}: ${typeof value} (field "${what}")`);
    return;
  }
  const bad = () => new DataException(`Invalid Java object for schema with type ${schema.type.toUpperCase()}: ${describe(value)} for field: "${what}"`);
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32': {
      const r = INT_RANGES[schema.type]!;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < r[0] || value > r[1]) throw bad();
      return;
    }
    case 'int64':
      if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return;
      throw bad();
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') throw bad();
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad();
      return;
    case 'string':
      if (typeof value !== 'string') throw bad();
      return;
    case 'bytes':
      if (!Buffer.isBuffer(value) && !(value instanceof Uint8Array)) throw bad();
      return;
    case 'array':
      if (!Array.isArray(value)) throw bad();
      for (const v of value) validateValue(schema.valueSchema!, v, what);
      return;
    case 'map':
      if (!(value instanceof Map) && (typeof value !== 'object' || Array.isArray(value) || value instanceof Struct)) throw bad();
      return;
    case 'struct':
      if (!(value instanceof Struct) || !schemaEquals(value.schema, schema)) throw new DataException(`Struct schemas do not match for field "${what}".`);
      value.validate();
      return;
  }
}

function describe(v: unknown): string {
  if (v instanceof Struct) return 'Struct';
  if (Buffer.isBuffer(v)) return 'Buffer';
  if (Array.isArray(v)) return 'Array';
  return typeof v;
}

// ---- logical types (org.apache.kafka.connect.data.{Decimal,Date,Time,Timestamp}) ----

export const LOGICAL = {
  DECIMAL: 'org.apache.kafka.connect.data.Decimal',
  DATE: 'org.apache.kafka.connect.data.Date',
  TIME: 'org.apache.kafka.connect.data.Time',
  TIMESTAMP: 'org.apache.kafka.connect.data.Timestamp',
} as const;

const LOGICAL_JS: Record<string, (v: unknown) => boolean> = {
  [LOGICAL.DECIMAL]: (v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint',
  [LOGICAL.DATE]: (v) => v instanceof Date,
  [LOGICAL.TIME]: (v) => v instanceof Date,
  [LOGICAL.TIMESTAMP]: (v) => v instanceof Date,
};

export const Logical = {
  /** Decimal(scale): bytes holding the unscaled two's-complement big-endian integer. Values are decimal strings. */
  decimal: (scale: number, optional = false): Schema => make('bytes', { name: LOGICAL.DECIMAL, version: 1, parameters: { scale: String(scale) }, optional }),
  /** Days since the epoch in an int32; values are Dates at midnight UTC. */
  date: (optional = false): Schema => make('int32', { name: LOGICAL.DATE, version: 1, optional }),
  /** Milliseconds since midnight in an int32; values are Dates on 1970-01-01. */
  time: (optional = false): Schema => make('int32', { name: LOGICAL.TIME, version: 1, optional }),
  /** Milliseconds since the epoch in an int64; values are Dates. */
  timestamp: (optional = false): Schema => make('int64', { name: LOGICAL.TIMESTAMP, version: 1, optional }),
};

const DAY_MS = 86_400_000;

/** Logical value → its primitive (for converters). */
export function logicalToPrimitive(schema: Schema, value: unknown): unknown {
  switch (schema.name) {
    case LOGICAL.DATE: {
      const ms = (value as Date).getTime();
      if (ms % DAY_MS !== 0) throw new DataException('Kafka Connect Date type should not have any time fields set to non-zero values.');
      return ms / DAY_MS;
    }
    case LOGICAL.TIME: {
      const ms = (value as Date).getTime();
      if (ms < 0 || ms >= DAY_MS) throw new DataException('Kafka Connect Time type should not have any date fields set to non-zero values.');
      return ms;
    }
    case LOGICAL.TIMESTAMP:
      return (value as Date).getTime();
    case LOGICAL.DECIMAL:
      return decimalToBytes(String(value), Number(schema.parameters?.scale ?? 0));
    default:
      return value;
  }
}

/** Primitive → logical value. */
export function primitiveToLogical(schema: Schema, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (schema.name) {
    case LOGICAL.DATE:
      return new Date(Number(value) * DAY_MS);
    case LOGICAL.TIME:
    case LOGICAL.TIMESTAMP:
      return new Date(Number(value));
    case LOGICAL.DECIMAL:
      return decimalFromBytes(value as Buffer, Number(schema.parameters?.scale ?? 0));
    default:
      return value;
  }
}

export function isLogical(schema: Schema | null | undefined): boolean {
  return !!schema?.name && schema.name in LOGICAL_JS;
}

/** "12.34" at scale 2 → unscaled 1234 as minimal two's-complement big-endian bytes (BigInteger.toByteArray). */
export function decimalToBytes(text: string, scale: number): Buffer {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new DataException(`Invalid decimal "${text}"`);
  const frac = (m[3] ?? '').padEnd(scale, '0');
  if (frac.length > scale) throw new DataException(`Decimal "${text}" has more than ${scale} fraction digits`);
  let n = BigInt((m[2] || '0') + frac);
  if (m[1]) n = -n;
  const bytes: number[] = [];
  let x = n;
  do {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  } while (!((x === 0n && (bytes[0]! & 0x80) === 0) || (x === -1n && (bytes[0]! & 0x80) !== 0)));
  return Buffer.from(bytes);
}

export function decimalFromBytes(buf: Buffer, scale: number): string {
  let n = 0n;
  for (const b of buf) n = (n << 8n) | BigInt(b);
  if (buf.length > 0 && (buf[0]! & 0x80) !== 0) n -= 1n << BigInt(buf.length * 8);
  const neg = n < 0n;
  let digits = (neg ? -n : n).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return (neg ? '-' : '') + digits;
}

/** The schema Kafka infers for a schemaless value (ConnectSchema.schemaType), or null. */
export function inferType(value: unknown): SchemaType | null {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'bigint') return 'int64';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (Buffer.isBuffer(value)) return 'bytes';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Struct) return 'struct';
  if (value instanceof Map || (typeof value === 'object' && value !== null)) return 'map';
  return null;
}
