import { DataException, LOGICAL, Logical, Schemas, Struct, type Schema } from '../../data/schema.ts';

/**
 * PostgreSQL types ↔ the Connect data model, as Confluent's PostgreSqlDatabaseDialect maps them with
 * `numeric.mapping=none`: smallint → INT16, integer → INT32, bigint → INT64, real → FLOAT32, double →
 * FLOAT64, boolean → BOOLEAN, numeric(p,s) → Decimal(s) (+ connect.decimal.precision), date → Date,
 * time → Time, timestamp/timestamptz → Timestamp, bytea → BYTES, text/varchar/char and everything else
 * (uuid, json, …) → STRING as the server prints it. Values arrive as the server's text (the session is
 * UTC), so int8 and numeric are exact and timestamps keep their microseconds for the source offsets.
 */

export const OID = {
  BOOL: 16,
  BYTEA: 17,
  INT8: 20,
  INT2: 21,
  INT4: 23,
  OID: 26,
  FLOAT4: 700,
  FLOAT8: 701,
  DATE: 1082,
  TIME: 1083,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  NUMERIC: 1700,
} as const;

export interface PgColumn {
  name: string;
  typeOid: number;
  /** atttypmod: precision/scale of numeric, -1 when unconstrained. */
  typmod: number;
  nullable: boolean;
}

export const DECIMAL_PRECISION = 'connect.decimal.precision';

export function columnSchema(c: PgColumn): Schema {
  const opt = c.nullable;
  switch (c.typeOid) {
    case OID.BOOL:
      return opt ? Schemas.OPTIONAL_BOOLEAN : Schemas.BOOLEAN;
    case OID.INT2:
      return opt ? Schemas.OPTIONAL_INT16 : Schemas.INT16;
    case OID.INT4:
      return opt ? Schemas.OPTIONAL_INT32 : Schemas.INT32;
    case OID.INT8:
    case OID.OID:
      return opt ? Schemas.OPTIONAL_INT64 : Schemas.INT64;
    case OID.FLOAT4:
      return opt ? Schemas.OPTIONAL_FLOAT32 : Schemas.FLOAT32;
    case OID.FLOAT8:
      return opt ? Schemas.OPTIONAL_FLOAT64 : Schemas.FLOAT64;
    case OID.BYTEA:
      return opt ? Schemas.OPTIONAL_BYTES : Schemas.BYTES;
    case OID.DATE:
      return Logical.date(opt);
    case OID.TIME:
      return Logical.time(opt);
    case OID.TIMESTAMP:
    case OID.TIMESTAMPTZ:
      return Logical.timestamp(opt);
    case OID.NUMERIC: {
      // An unconstrained numeric has no fixed scale, which Decimal needs; it travels as FLOAT64 (best_fit's choice).
      if (c.typmod < 4) return opt ? Schemas.OPTIONAL_FLOAT64 : Schemas.FLOAT64;
      const precision = ((c.typmod - 4) >> 16) & 0xffff;
      const scale = (c.typmod - 4) & 0xffff;
      const d = Logical.decimal(scale, opt);
      return { ...d, parameters: { ...d.parameters, [DECIMAL_PRECISION]: String(precision) } };
    }
    default:
      return opt ? Schemas.OPTIONAL_STRING : Schemas.STRING;
  }
}

/** A timestamp as the server prints it in UTC → epoch milliseconds and the nanoseconds of its second. */
export function parseTimestamp(text: string): { ms: number; nanos: number } {
  const m = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([+-]\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/.exec(text);
  if (!m) throw new DataException(`cannot read timestamp "${text}" (infinity and BC dates have no Connect Timestamp)`);
  const frac = (m[7] ?? '').padEnd(9, '0');
  let ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (m[8]) {
    const sign = m[8].startsWith('-') ? -1 : 1;
    const off = (Math.abs(Number(m[8])) * 3600 + Number(m[9] ?? 0) * 60 + Number(m[10] ?? 0)) * 1000;
    ms -= sign * off;
  }
  const nanos = Number(frac);
  return { ms: ms + Math.floor(nanos / 1e6), nanos };
}

/** Epoch ms + nanos of the second → a UTC timestamp literal with microseconds, for query parameters. */
export function formatTimestamp(ms: number, nanos: number): string {
  const second = Math.floor(ms / 1000) * 1000;
  const iso = new Date(second).toISOString().slice(0, 19).replace('T', ' ');
  return `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}`;
}

function parseBytea(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  // The old "escape" output format: octal escapes for non-printables, "\\" for a backslash.
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      if (text[i + 1] === '\\') {
        out.push(0x5c);
        i++;
      } else {
        out.push(parseInt(text.slice(i + 1, i + 4), 8));
        i += 3;
      }
    } else out.push(text.charCodeAt(i));
  }
  return Buffer.from(out);
}

/** The server's text for a column value → the Connect value of `columnSchema(c)`. */
export function columnValue(c: PgColumn, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  const text = String(raw);
  switch (c.typeOid) {
    case OID.BOOL:
      return text === 't' || text === 'true';
    case OID.INT2:
    case OID.INT4:
      return Number(text);
    case OID.INT8:
    case OID.OID: {
      const n = BigInt(text);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case OID.FLOAT4:
    case OID.FLOAT8:
      return Number(text);
    case OID.BYTEA:
      return Buffer.isBuffer(raw) ? raw : parseBytea(text);
    case OID.DATE: {
      const m = /^(\d{4,})-(\d\d)-(\d\d)$/.exec(text);
      if (!m) throw new DataException(`cannot read date "${text}"`);
      return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    }
    case OID.TIME: {
      const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
      if (!m) throw new DataException(`cannot read time "${text}"`);
      return new Date((Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 + Math.floor(Number((m[4] ?? '').padEnd(3, '0').slice(0, 3))));
    }
    case OID.TIMESTAMP:
    case OID.TIMESTAMPTZ:
      return new Date(parseTimestamp(text).ms);
    case OID.NUMERIC:
      if (c.typmod < 4) return Number(text);
      if (text === 'NaN') throw new DataException(`column ${c.name}: NaN has no Decimal value`);
      return text;
    default:
      return text;
  }
}

// ---- the sink's direction: Connect schema → SQL type, Connect value → query parameter ----

/** The column type auto.create / auto.evolve give a field (PostgreSqlDatabaseDialect.getSqlType). */
export function sqlType(s: Schema): string {
  switch (s.name) {
    case LOGICAL.DECIMAL:
      return 'DECIMAL';
    case LOGICAL.DATE:
      return 'DATE';
    case LOGICAL.TIME:
      return 'TIME';
    case LOGICAL.TIMESTAMP:
      return 'TIMESTAMP';
  }
  switch (s.type) {
    case 'int8':
    case 'int16':
      return 'SMALLINT';
    case 'int32':
      return 'INT';
    case 'int64':
      return 'BIGINT';
    case 'float32':
      return 'REAL';
    case 'float64':
      return 'DOUBLE PRECISION';
    case 'boolean':
      return 'BOOLEAN';
    case 'string':
      return 'TEXT';
    case 'bytes':
      return 'BYTEA';
    default:
      throw new DataException(`${s.type.toUpperCase()} (${s.name ?? 'no name'}) has no PostgreSQL column type; the JDBC sink writes flat structs of primitives`);
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A Connect value → what pg sends as the parameter's text (or Buffer for bytea). */
export function sqlParam(s: Schema | null, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (s?.name === LOGICAL.DATE && v instanceof Date) return v.toISOString().slice(0, 10);
  if (s?.name === LOGICAL.TIME && v instanceof Date) {
    const ms = v.getTime();
    return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return typeof v === 'bigint' ? v.toString() : v;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v instanceof Struct || Array.isArray(v) || typeof v === 'object') throw new DataException('nested values (struct, array, map) have no PostgreSQL column; flatten them first (the Flatten SMT)');
  return String(v);
}
