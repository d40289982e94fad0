import type pg from 'pg';
import { DataException, type Schema } from '../../data/schema.ts';
import { quoteIdent, quoteTable } from './pg-connection.ts';
import { sqlType } from './pg-types.ts';

/**
 * The JDBC sink's view of its destination tables (Confluent's DbStructure): which columns a table has,
 * creating it (`auto.create`) or adding missing columns (`auto.evolve`) inside the caller's transaction
 * — PostgreSQL DDL is transactional, so a rolled-back batch also rolls back its CREATE/ALTER, and the
 * cache is dropped then.
 */

export interface SinkColumn {
  name: string;
  schema: Schema;
  isPrimaryKey: boolean;
}

export interface TableRef {
  schema: string | null;
  table: string;
}

export class TableManager {
  private readonly known = new Map<string, Set<string>>();
  private readonly autoCreate: boolean;
  private readonly autoEvolve: boolean;
  constructor(autoCreate: boolean, autoEvolve: boolean) {
    this.autoCreate = autoCreate;
    this.autoEvolve = autoEvolve;
  }

  invalidate(): void {
    this.known.clear();
  }

  private async columnsOf(client: pg.Client, t: TableRef): Promise<Set<string> | null> {
    const r = await client.query({ text: 'SELECT to_regclass($1)::oid AS oid', values: [quoteTable(t)] });
    const oid = (r.rows[0] as { oid: string | null }).oid;
    if (oid === null) return null;
    const res = await client.query({ text: 'SELECT attname FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped', values: [oid] });
    return new Set((res.rows as Array<{ attname: string }>).map((x) => x.attname));
  }

  /** Makes sure `t` exists with every column in `columns` (creating/evolving as configured). */
  async ensure(client: pg.Client, t: TableRef, columns: SinkColumn[]): Promise<void> {
    const key = quoteTable(t);
    let have = this.known.get(key);
    if (have && columns.every((c) => have!.has(c.name))) return;
    have = (await this.columnsOf(client, t)) ?? undefined;
    if (!have) {
      if (!this.autoCreate) throw new DataException(`Table ${key} is missing and auto-creation is disabled`);
      await client.query(createSql(t, columns));
      this.known.set(key, new Set(columns.map((c) => c.name)));
      return;
    }
    const missing = columns.filter((c) => !have!.has(c.name));
    if (missing.length > 0) {
      if (!this.autoEvolve) throw new DataException(`Table ${key} is missing fields (${missing.map((c) => c.name).join(', ')}) and auto-evolution is disabled`);
      for (const c of missing) {
        if (c.isPrimaryKey) throw new DataException(`Cannot ALTER TABLE ${key} to add missing field ${c.name}: it is part of the primary key`);
        if (!c.schema.optional && c.schema.defaultValue === undefined) {
          throw new DataException(`Cannot ALTER TABLE ${key} to add missing field ${c.name}, as the field is not optional and does not have a default value`);
        }
      }
      await client.query(`ALTER TABLE ${key} ${missing.map((c) => `ADD ${columnDef(c)}`).join(', ')}`);
      for (const c of missing) have.add(c.name);
    }
    this.known.set(key, have);
  }
}

function literal(s: Schema, v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return `'${v.toISOString()}'`;
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  throw new DataException(`default value of ${s.type} cannot be written as SQL`);
}

function columnDef(c: SinkColumn): string {
  const nullable = c.isPrimaryKey ? ' NOT NULL' : c.schema.optional ? ' NULL' : ' NOT NULL';
  const dflt = c.schema.defaultValue !== undefined && c.schema.defaultValue !== null ? ` DEFAULT ${literal(c.schema, c.schema.defaultValue)}` : '';
  return `${quoteIdent(c.name)} ${sqlType(c.schema)}${dflt}${nullable}`;
}

export function createSql(t: TableRef, columns: SinkColumn[]): string {
  const pk = columns.filter((c) => c.isPrimaryKey).map((c) => quoteIdent(c.name));
  const defs = columns.map(columnDef);
  if (pk.length > 0) defs.push(`PRIMARY KEY(${pk.join(',')})`);
  return `CREATE TABLE ${quoteTable(t)} (\n${defs.join(',\n')})`;
}
