import type pg from 'pg';
import type { SourceRecord } from '../../api.ts';
import { Struct, type Schema, Schemas } from '../../data/schema.ts';
import { columnSchema, columnValue, formatTimestamp, parseTimestamp, type PgColumn } from './pg-types.ts';
import { quoteIdent, quoteTable } from './pg-connection.ts';

/**
 * One table (or the `query`) of a JDBC source task, as Confluent's TableQuerier family: it builds the
 * mode's query, remembers the offset of the last row it handed out and turns rows into Structs.
 *
 *   bulk                     SELECT * FROM t                       (every poll.interval.ms, no offset)
 *   incrementing             … WHERE inc > ? ORDER BY inc
 *   timestamp                … WHERE ts > ? AND ts < now-delay ORDER BY ts
 *   timestamp+incrementing   … WHERE ts < now-delay AND ((ts = ? AND inc > ?) OR ts > ?) ORDER BY ts, inc
 *
 * The offsets are Confluent's: {"incrementing": n} and/or {"timestamp": ms, "timestamp_nanos": ns};
 * the source partition is {"protocol":"1","table":"db.schema.table"} or {"query":"…"}.
 */

export type Mode = 'bulk' | 'incrementing' | 'timestamp' | 'timestamp+incrementing';

export interface QuerierSpec {
  mode: Mode;
  /** A table (schema-qualified) or null for query mode. */
  table: { schema: string; table: string } | null;
  query: string | null;
  querySuffix: string;
  topic: string;
  partition: Record<string, string>;
  incrementingColumn: string | null;
  timestampColumns: string[];
  timestampDelayMs: number;
  timestampInitial: number | null;
  /** Rows per query in the incrementing modes (a total order, so a LIMIT loses nothing). */
  fetchLimit: number;
}

export interface QuerierOffset {
  incrementing: number | bigint | null;
  tsMs: number | null;
  tsNanos: number;
}

export function offsetFromMap(m: Record<string, unknown> | null): QuerierOffset {
  const o: QuerierOffset = { incrementing: null, tsMs: null, tsNanos: 0 };
  if (!m) return o;
  const inc = m.incrementing;
  if (typeof inc === 'number' || typeof inc === 'bigint') o.incrementing = inc;
  if (typeof m.timestamp === 'number') {
    o.tsMs = m.timestamp;
    const n = m.timestamp_nanos;
    o.tsNanos = typeof n === 'number' ? n : (m.timestamp % 1000) * 1e6;
  }
  return o;
}

export class TableQuerier {
  readonly spec: QuerierSpec;
  offset: QuerierOffset;
  /** Rows fetched and not yet handed out, with the offset after each. */
  private buffer: SourceRecord[] = [];
  nextQueryAt = 0;
  private nullable: Map<string, boolean> | null = null;
  private schemaCache: { key: string; schema: Schema; columns: PgColumn[] } | null = null;

  constructor(spec: QuerierSpec, stored: Record<string, unknown> | null) {
    this.spec = spec;
    this.offset = offsetFromMap(stored);
  }

  get pending(): number {
    return this.buffer.length;
  }

  take(n: number): SourceRecord[] {
    return this.buffer.splice(0, n);
  }

  private tsExpr(): string {
    const cols = this.spec.timestampColumns.map(quoteIdent);
    return cols.length === 1 ? cols[0]! : `COALESCE(${cols.join(', ')})`;
  }

  private base(): string {
    return this.spec.table ? `SELECT * FROM ${quoteTable(this.spec.table)}` : this.spec.query!;
  }

  /** Runs the mode's query and buffers its rows as records; returns how many. */
  async query(client: pg.Client, pollIntervalMs: number): Promise<number> {
    if (this.spec.table && !this.nullable) await this.loadNullability(client);
    const { mode } = this.spec;
    const params: unknown[] = [];
    let where = '';
    let order = '';
    let limit = '';
    const inc = this.spec.incrementingColumn ? quoteIdent(this.spec.incrementingColumn) : '';
    const tsParam = () => {
      const ms = this.offset.tsMs ?? this.spec.timestampInitial ?? 0;
      params.push(formatTimestamp(ms, this.offset.tsMs === null ? (ms % 1000) * 1e6 : this.offset.tsNanos));
      return `$${params.length}`;
    };
    const upper = () => {
      // Rows stamped "now" may still have siblings in uncommitted transactions: stay below the database's
      // current time minus timestamp.delay.interval.ms, as Confluent's querier does.
      params.push(this.spec.timestampDelayMs);
      return `(LOCALTIMESTAMP - ($${params.length}::bigint * INTERVAL '1 millisecond'))`;
    };
    if (mode === 'incrementing') {
      params.push(String(this.offset.incrementing ?? -1));
      where = ` WHERE ${inc} > $1`;
      order = ` ORDER BY ${inc} ASC`;
      limit = ` LIMIT ${this.spec.fetchLimit}`;
    } else if (mode === 'timestamp') {
      const ts = this.tsExpr();
      where = ` WHERE ${ts} > ${tsParam()} AND ${ts} < ${upper()}`;
      order = ` ORDER BY ${ts} ASC`;
    } else if (mode === 'timestamp+incrementing') {
      const ts = this.tsExpr();
      const p = tsParam();
      params.push(String(this.offset.incrementing ?? -1));
      const i = `$${params.length}`;
      where = ` WHERE ${ts} < ${upper()} AND ((${ts} = ${p} AND ${inc} > ${i}) OR ${ts} > ${p})`;
      order = ` ORDER BY ${ts}, ${inc} ASC`;
      limit = ` LIMIT ${this.spec.fetchLimit}`;
    }
    const suffix = this.spec.querySuffix ? ` ${this.spec.querySuffix}` : '';
    const res = await client.query({ text: `${this.base()}${where}${order}${limit}${suffix}`, values: params });
    const columns: PgColumn[] = res.fields.map((f) => ({
      name: f.name,
      typeOid: f.dataTypeID,
      typmod: f.dataTypeModifier,
      nullable: this.nullable?.get(f.name) ?? true,
    }));
    const schema = this.schemaFor(columns);
    for (const row of res.rows as Record<string, unknown>[]) this.buffer.push(this.record(schema, columns, row));
    const full = limit !== '' && res.rows.length >= this.spec.fetchLimit;
    this.nextQueryAt = full ? 0 : Date.now() + pollIntervalMs;
    return res.rows.length;
  }

  private schemaFor(columns: PgColumn[]): Schema {
    const key = JSON.stringify(columns);
    if (this.schemaCache?.key === key) return this.schemaCache.schema;
    const schema = Schemas.struct(
      columns.map((c) => [c.name, columnSchema(c)]),
      this.spec.table ? { name: this.spec.table.table, optional: false } : {},
    );
    this.schemaCache = { key, schema, columns };
    return schema;
  }

  private record(schema: Schema, columns: PgColumn[], row: Record<string, unknown>): SourceRecord {
    const s = new Struct(schema);
    for (const c of columns) s.put(c.name, columnValue(c, row[c.name]));
    let sourceOffset: Record<string, unknown> | null = null;
    if (this.spec.mode !== 'bulk') {
      if (this.spec.incrementingColumn) {
        const raw = row[this.spec.incrementingColumn];
        if (raw === null || raw === undefined) throw new Error(`incrementing column ${this.spec.incrementingColumn} is null in a row of ${this.spec.topic}`);
        const n = BigInt(String(raw));
        this.offset.incrementing = n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n;
      }
      if (this.spec.mode !== 'incrementing') {
        const raw = this.spec.timestampColumns.map((c) => row[c]).find((v) => v !== null && v !== undefined);
        if (raw !== undefined) {
          const t = parseTimestamp(String(raw));
          this.offset.tsMs = t.ms;
          this.offset.tsNanos = t.nanos;
        }
      }
      sourceOffset = {};
      if (this.offset.incrementing !== null) sourceOffset.incrementing = this.offset.incrementing;
      if (this.offset.tsMs !== null) {
        sourceOffset.timestamp = this.offset.tsMs;
        sourceOffset.timestamp_nanos = this.offset.tsNanos;
      }
    }
    return {
      topic: this.spec.topic,
      kafkaPartition: null,
      keySchema: null,
      key: null,
      valueSchema: schema,
      value: s,
      timestamp: null,
      headers: [],
      sourcePartition: this.spec.partition,
      sourceOffset,
    };
  }

  private async loadNullability(client: pg.Client): Promise<void> {
    const t = this.spec.table!;
    const res = await client.query({
      text: 'SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      values: [t.schema, t.table],
    });
    this.nullable = new Map((res.rows as Array<{ column_name: string; is_nullable: string }>).map((r) => [r.column_name, r.is_nullable === 'YES']));
  }
}
