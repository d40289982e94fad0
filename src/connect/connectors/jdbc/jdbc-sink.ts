import { configOnlyConnector } from '../config-only-connector.ts';
import type pg from 'pg';
import type { ConnectorClass, Props, SinkRecord, SinkTask, SinkTaskContext } from '../../api.ts';
import { ConfigException, parseConfig, positive, type ConfigDef } from '../../config-def.ts';
import { DataException, Schemas, Struct, type Schema } from '../../data/schema.ts';
import { CONNECTION_CONFIG, connectionSettings } from './jdbc-source.ts';
import { connectPg, quoteIdent, quoteTable, splitTableName, type ConnectionSettings } from './pg-connection.ts';
import { sqlParam } from './pg-types.ts';
import { TableManager, type SinkColumn, type TableRef } from './table-manager.ts';

/**
 * Confluent's JdbcSinkConnector for PostgreSQL: each record's Struct value becomes a row of table
 * `table.name.format` (`${topic}` replaced), written by `insert.mode` (insert, upsert = INSERT … ON
 * CONFLICT DO UPDATE, update), keyed by `pk.mode`/`pk.fields`; tombstones delete the row when
 * `delete.enabled`. `auto.create`/`auto.evolve` create the table or add missing (optional) columns.
 *
 * Exactly-once (a kstream addition, on by default, `exactly.once=false` for Confluent's at-least-once):
 * each put() writes its rows and the next Kafka offsets of its partitions into the
 * `__kstream_connect_offsets` table in ONE PostgreSQL transaction; on start the task resumes from the
 * offsets in that table, whatever the consumer group committed, and drops records below them. So a
 * crash anywhere leaves every record applied exactly once.
 */

export const JDBC_SINK_CLASS = 'io.confluent.connect.jdbc.JdbcSinkConnector';
export const OFFSETS_TABLE = '__kstream_connect_offsets';

const KAFKA_PK = ['__connect_topic', '__connect_partition', '__connect_offset'];

const oneOf = (name: string, values: string[]) => (v: unknown) => {
  if (!values.includes(String(v).toLowerCase())) throw new Error(`String must be one of (case insensitive): ${values.join(', ')}`);
};

const CONFIG: ConfigDef = [
  ...CONNECTION_CONFIG,
  { name: 'insert.mode', type: 'STRING', defaultValue: 'insert', importance: 'HIGH', group: 'Writes', documentation: 'The insertion mode to use: insert, upsert, update.', validate: oneOf('insert.mode', ['insert', 'upsert', 'update']) },
  { name: 'batch.size', type: 'INT', defaultValue: '3000', importance: 'MEDIUM', group: 'Writes', documentation: 'Specifies how many records to attempt to batch together for insertion into the destination table, when possible.', validate: positive },
  { name: 'delete.enabled', type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', group: 'Writes', documentation: 'Whether to treat null record values as deletes. Requires pk.mode to be record_key.' },
  { name: 'table.name.format', type: 'STRING', defaultValue: '${topic}', importance: 'MEDIUM', group: 'Data Mapping', documentation: "A format string for the destination table name, which may contain '${topic}' as a placeholder for the originating topic name." },
  { name: 'pk.mode', type: 'STRING', defaultValue: 'none', importance: 'HIGH', group: 'Data Mapping', documentation: 'The primary key mode: none, kafka, record_key, record_value.', validate: oneOf('pk.mode', ['none', 'kafka', 'record_key', 'record_value']) },
  { name: 'pk.fields', type: 'LIST', defaultValue: '', importance: 'MEDIUM', group: 'Data Mapping', documentation: 'List of comma-separated primary key field names. The runtime interpretation of this config depends on the pk.mode.' },
  { name: 'fields.whitelist', type: 'LIST', defaultValue: '', importance: 'MEDIUM', group: 'Data Mapping', documentation: 'List of comma-separated record value field names. If empty, all fields from the record value are utilized.' },
  { name: 'auto.create', type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', group: 'DDL Support', documentation: 'Whether to automatically create the destination table based on record schema if it is found to be missing by issuing CREATE.' },
  { name: 'auto.evolve', type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', group: 'DDL Support', documentation: 'Whether to automatically add columns in the table schema when found to be missing relative to the record schema by issuing ALTER.' },
  { name: 'quote.sql.identifiers', type: 'STRING', defaultValue: 'ALWAYS', importance: 'MEDIUM', group: 'Data Mapping', documentation: 'When to quote table names, column names, and other identifiers in SQL statements (always quoted).' },
  { name: 'db.timezone', type: 'STRING', defaultValue: 'UTC', importance: 'MEDIUM', group: 'Data Mapping', documentation: 'Name of the JDBC timezone that should be used in the connector when inserting time-based values (kstream: UTC only).', validate: (v) => {
    if (v !== 'UTC') throw new Error('only UTC is supported');
  } },
  { name: 'max.retries', type: 'INT', defaultValue: '10', importance: 'MEDIUM', group: 'Retries', documentation: 'The maximum number of times to retry on errors before failing the task.' },
  { name: 'retry.backoff.ms', type: 'INT', defaultValue: '3000', importance: 'MEDIUM', group: 'Retries', documentation: 'The time in milliseconds to wait following an error before a retry attempt is made.' },
  { name: 'exactly.once', type: 'BOOLEAN', defaultValue: 'true', importance: 'LOW', group: 'Writes', documentation: `kstream: commit the Kafka offsets in the ${OFFSETS_TABLE} table in the same transaction as the rows, and resume from there` },
];

interface Settings {
  insertMode: 'insert' | 'upsert' | 'update';
  pkMode: 'none' | 'kafka' | 'record_key' | 'record_value';
  pkFields: string[];
  fieldsWhitelist: string[];
  tableFormat: string;
  deleteEnabled: boolean;
  batchSize: number;
  maxRetries: number;
  retryBackoffMs: number;
  exactlyOnce: boolean;
}

function settings(c: Record<string, unknown>): Settings {
  const s: Settings = {
    insertMode: String(c['insert.mode']).toLowerCase() as Settings['insertMode'],
    pkMode: String(c['pk.mode']).toLowerCase() as Settings['pkMode'],
    pkFields: c['pk.fields'] as string[],
    fieldsWhitelist: c['fields.whitelist'] as string[],
    tableFormat: c['table.name.format'] as string,
    deleteEnabled: c['delete.enabled'] as boolean,
    batchSize: c['batch.size'] as number,
    maxRetries: c['max.retries'] as number,
    retryBackoffMs: c['retry.backoff.ms'] as number,
    exactlyOnce: c['exactly.once'] as boolean,
  };
  if (s.deleteEnabled && s.pkMode !== 'record_key') throw new ConfigException('Primary key mode must be \'record_key\' when delete support is enabled');
  if ((s.insertMode === 'upsert' || s.insertMode === 'update') && s.pkMode === 'none') throw new ConfigException(`insert.mode=${s.insertMode} needs a primary key: set pk.mode`);
  if (s.pkMode === 'kafka' && s.pkFields.length !== 0 && s.pkFields.length !== 3) throw new ConfigException('PK mode for kafka requires exactly 3 fields (topic, partition, offset) in pk.fields, or none');
  return s;
}


type Op = 'write' | 'delete';

/** One row to apply: where, how, and its columns with values (pk first). */
interface Row {
  table: TableRef;
  op: Op;
  columns: SinkColumn[];
  values: unknown[];
}

type Offsets = Map<string, { topic: string; partition: number; offset: number }>;

export class JdbcSinkTask implements SinkTask {
  private s!: Settings;
  private conn!: ConnectionSettings;
  private connector = '';
  private client: pg.Client | null = null;
  private tables!: TableManager;
  /** Next offset per partition as committed in the offsets table. */
  private readonly committed: Offsets = new Map();

  async start(props: Props, context: SinkTaskContext): Promise<void> {
    const c = parseConfig(CONFIG, props);
    this.s = settings(c);
    this.conn = connectionSettings(c);
    this.connector = props.name ?? '';
    this.tables = new TableManager(c['auto.create'] as boolean, c['auto.evolve'] as boolean);
    const client = await this.connection();
    if (!this.s.exactlyOnce) return;
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(OFFSETS_TABLE)} (connector TEXT NOT NULL, topic TEXT NOT NULL, "partition" INT NOT NULL, next_offset BIGINT NOT NULL, PRIMARY KEY (connector, topic, "partition"))`,
    );
    const res = await client.query({ text: `SELECT topic, "partition", next_offset FROM ${quoteIdent(OFFSETS_TABLE)} WHERE connector = $1`, values: [this.connector] });
    for (const r of res.rows as Array<{ topic: string; partition: string; next_offset: string }>) {
      const o = { topic: r.topic, partition: Number(r.partition), offset: Number(r.next_offset) };
      this.committed.set(`${o.topic}-${o.partition}`, o);
    }
    if (this.committed.size > 0) context.offset(new Map(this.committed));
  }

  private async connection(): Promise<pg.Client> {
    this.client ??= await connectPg(this.conn);
    return this.client;
  }

  async put(records: SinkRecord[]): Promise<void> {
    // Records below the committed offsets were applied before a crash (the consumer re-read them).
    const fresh = this.s.exactlyOnce
      ? records.filter((r) => r.originalKafkaOffset >= (this.committed.get(`${r.originalTopic}-${r.originalKafkaPartition}`)?.offset ?? -1))
      : records;
    if (fresh.length === 0) return;
    const rows: Row[] = [];
    for (const r of fresh) {
      const row = this.toRow(r);
      if (row) rows.push(row);
    }
    const next: Offsets = new Map();
    for (const r of fresh) {
      const k = `${r.originalTopic}-${r.originalKafkaPartition}`;
      const o = r.originalKafkaOffset + 1;
      if ((next.get(k)?.offset ?? -1) < o) next.set(k, { topic: r.originalTopic, partition: r.originalKafkaPartition, offset: o });
    }
    await this.transaction(async (client) => {
      await this.apply(client, rows);
      if (this.s.exactlyOnce) await this.saveOffsets(client, next);
    });
    if (this.s.exactlyOnce) for (const [k, o] of next) this.committed.set(k, o);
  }

  async flush(offsets: Offsets): Promise<void> {
    // Everything put() is committed already; record offsets that moved past records put() never saw
    // (dropped by a transform or sent to the DLQ), so a restart does not re-read them.
    if (!this.s.exactlyOnce) return;
    const moved: Offsets = new Map([...offsets].filter(([k, o]) => (this.committed.get(k)?.offset ?? -1) < o.offset));
    if (moved.size === 0) return;
    await this.transaction((client) => this.saveOffsets(client, moved));
    for (const [k, o] of moved) this.committed.set(k, { ...o });
  }

  private async saveOffsets(client: pg.Client, offsets: Offsets): Promise<void> {
    if (offsets.size === 0) return;
    const values: unknown[] = [];
    const tuples = [...offsets.values()].map((o) => {
      values.push(this.connector, o.topic, o.partition, o.offset);
      const n = values.length;
      return `($${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
    });
    await client.query({
      text: `INSERT INTO ${quoteIdent(OFFSETS_TABLE)} (connector, topic, "partition", next_offset) VALUES ${tuples.join(', ')}
             ON CONFLICT (connector, topic, "partition") DO UPDATE SET next_offset = EXCLUDED.next_offset`,
      values,
    });
  }

  /** BEGIN … COMMIT with Confluent's max.retries/retry.backoff.ms on failures (a new connection each retry). */
  private async transaction(fn: (client: pg.Client) => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.Client | null = null;
      try {
        client = await this.connection();
        await client.query('BEGIN');
        await fn(client);
        await client.query('COMMIT');
        return;
      } catch (e) {
        await client?.query('ROLLBACK').catch(() => undefined);
        this.tables.invalidate();
        // Bad data fails the same way every time: only database/connection errors are retried.
        if (e instanceof DataException || attempt >= this.s.maxRetries) throw e;
        await this.client?.end().catch(() => undefined);
        this.client = null;
        await new Promise((r) => setTimeout(r, this.s.retryBackoffMs));
      }
    }
  }

  private tableFor(topic: string): TableRef {
    return splitTableName(this.s.tableFormat.replace(/\$\{topic\}/g, topic));
  }

  private where(r: SinkRecord): string {
    return `(topic='${r.topic}',partition=${r.kafkaPartition},offset=${r.kafkaOffset},timestamp=${r.timestamp})`;
  }

  /** The record as a row: pk columns first, then the value's (whitelisted) fields. null = skip. */
  private toRow(r: SinkRecord): Row | null {
    const s = this.s;
    const table = this.tableFor(r.topic);
    if (r.value === null || r.value === undefined) {
      if (!s.deleteEnabled) return null;
      const pk = this.keyColumns(r);
      return { table, op: 'delete', columns: pk.map((p) => p.column), values: pk.map((p) => p.value) };
    }
    if (!(r.value instanceof Struct) || !r.valueSchema || r.valueSchema.type !== 'struct') {
      throw new DataException(
        `Sink connector '${this.connector}' is configured with 'delete.enabled=${s.deleteEnabled}' and 'pk.mode=${s.pkMode}' and therefore requires records with a non-null Struct value and non-null Struct schema, but found record at ${this.where(r)} with a ${r.value instanceof Struct ? 'Struct' : typeof r.value} value and ${r.valueSchema ? r.valueSchema.type.toUpperCase() : 'null'} value schema.`,
      );
    }
    const value = r.value;
    let pk: Array<{ column: SinkColumn; value: unknown }> = [];
    if (s.pkMode === 'kafka') {
      const names = s.pkFields.length === 3 ? s.pkFields : KAFKA_PK;
      pk = [
        { column: { name: names[0]!, schema: Schemas.STRING, isPrimaryKey: true }, value: r.topic },
        { column: { name: names[1]!, schema: Schemas.INT32, isPrimaryKey: true }, value: r.kafkaPartition },
        { column: { name: names[2]!, schema: Schemas.INT64, isPrimaryKey: true }, value: r.kafkaOffset },
      ];
    } else if (s.pkMode === 'record_key') {
      pk = this.keyColumns(r);
    } else if (s.pkMode === 'record_value') {
      const fields = s.pkFields.length > 0 ? s.pkFields : r.valueSchema.fields!.map((f) => f.name);
      pk = fields.map((name) => {
        const f = r.valueSchema!.fields!.find((x) => x.name === name);
        if (!f) throw new DataException(`PK mode for table '${quoteTable(table)}' is RECORD_VALUE with configured PK fields [${fields.join(', ')}], but record value schema does not contain field: ${name}`);
        return { column: { name, schema: f.schema, isPrimaryKey: true }, value: value.get(name) };
      });
    }
    const pkNames = new Set(pk.map((p) => p.column.name));
    const rest = r.valueSchema.fields!.filter((f) => !pkNames.has(f.name) && (s.fieldsWhitelist.length === 0 || s.fieldsWhitelist.includes(f.name)));
    return {
      table,
      op: 'write',
      columns: [...pk.map((p) => p.column), ...rest.map((f) => ({ name: f.name, schema: f.schema, isPrimaryKey: false }))],
      values: [...pk.map((p) => sqlParam(p.column.schema, p.value)), ...rest.map((f) => sqlParam(f.schema, value.get(f.name)))],
    };
  }

  private keyColumns(r: SinkRecord): Array<{ column: SinkColumn; value: unknown }> {
    const s = this.s;
    if (r.key === null || r.key === undefined || !r.keySchema) {
      throw new DataException(
        `Sink connector '${this.connector}' is configured with 'delete.enabled=${s.deleteEnabled}' and 'pk.mode=${s.pkMode}' and therefore requires records with a non-null key and non-null Struct or primitive key schema, but found record at ${this.where(r)} with a ${r.key === null || r.key === undefined ? 'null' : typeof r.key} key and ${r.keySchema ? r.keySchema.type.toUpperCase() : 'null'} key schema.`,
      );
    }
    const ks: Schema = r.keySchema;
    if (ks.type !== 'struct') {
      if (s.pkFields.length !== 1) {
        throw new DataException(`Need exactly one PK column defined since the key schema for records is a primitive type, defined columns are: [${s.pkFields.join(', ')}]`);
      }
      return [{ column: { name: s.pkFields[0]!, schema: ks, isPrimaryKey: true }, value: sqlParam(ks, r.key) }];
    }
    const key = r.key as Struct;
    const names = s.pkFields.length > 0 ? s.pkFields : ks.fields!.map((f) => f.name);
    return names.map((name) => {
      const f = ks.fields!.find((x) => x.name === name);
      if (!f) throw new DataException(`PK mode is RECORD_KEY with configured PK fields [${names.join(', ')}], but record key schema does not contain field: ${name}`);
      return { column: { name, schema: f.schema, isPrimaryKey: true }, value: sqlParam(f.schema, key.get(name)) };
    });
  }

  /** Consecutive rows for the same table, operation and columns go in one statement (up to batch.size). */
  private async apply(client: pg.Client, rows: Row[]): Promise<void> {
    let chunk: Row[] = [];
    let pkSeen = new Set<string>();
    const flush = async () => {
      if (chunk.length > 0) await this.execute(client, chunk);
      chunk = [];
      pkSeen = new Set();
    };
    const shape = (r: Row) => `${quoteTable(r.table)}|${r.op}|${r.columns.map((c) => c.name).join(',')}`;
    const maxRows = (r: Row) => Math.max(1, Math.min(this.s.batchSize, Math.floor(60000 / Math.max(1, r.columns.length))));
    for (const row of rows) {
      const pkCount = row.columns.filter((c) => c.isPrimaryKey).length;
      const pkKey = JSON.stringify(row.values.slice(0, pkCount), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      // One statement may not touch a row twice (ON CONFLICT DO UPDATE refuses it): start another.
      if (chunk.length > 0 && (shape(chunk[0]!) !== shape(row) || chunk.length >= maxRows(row) || (pkCount > 0 && pkSeen.has(pkKey)))) await flush();
      if (row.op === 'write') await this.tables.ensure(client, row.table, row.columns);
      chunk.push(row);
      if (pkCount > 0) pkSeen.add(pkKey);
    }
    await flush();
  }

  private async execute(client: pg.Client, rows: Row[]): Promise<void> {
    const first = rows[0]!;
    const table = quoteTable(first.table);
    const cols = first.columns;
    const pk = cols.filter((c) => c.isPrimaryKey);
    const nonPk = cols.filter((c) => !c.isPrimaryKey);
    if (first.op === 'delete') {
      for (const r of rows) {
        await client.query({ text: `DELETE FROM ${table} WHERE ${cols.map((c, i) => `${quoteIdent(c.name)} = $${i + 1}`).join(' AND ')}`, values: r.values });
      }
      return;
    }
    if (this.s.insertMode === 'update') {
      if (nonPk.length === 0) return;
      for (const r of rows) {
        const set = nonPk.map((c, i) => `${quoteIdent(c.name)} = $${i + 1}`).join(', ');
        const where = pk.map((c, i) => `${quoteIdent(c.name)} = $${nonPk.length + i + 1}`).join(' AND ');
        await client.query({ text: `UPDATE ${table} SET ${set} WHERE ${where}`, values: [...r.values.slice(pk.length), ...r.values.slice(0, pk.length)] });
      }
      return;
    }
    const values: unknown[] = [];
    const tuples = rows.map((r) => `(${r.values.map((v) => (values.push(v), `$${values.length}`)).join(',')})`);
    let sql = `INSERT INTO ${table} (${cols.map((c) => quoteIdent(c.name)).join(',')}) VALUES ${tuples.join(',')}`;
    if (this.s.insertMode === 'upsert') {
      const target = pk.map((c) => quoteIdent(c.name)).join(',');
      sql += nonPk.length === 0 ? ` ON CONFLICT (${target}) DO NOTHING` : ` ON CONFLICT (${target}) DO UPDATE SET ${nonPk.map((c) => `${quoteIdent(c.name)}=EXCLUDED.${quoteIdent(c.name)}`).join(',')}`;
    }
    await client.query({ text: sql, values });
  }

  async stop(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}

export const JdbcSink: ConnectorClass = configOnlyConnector({
  className: JDBC_SINK_CLASS,
  type: 'sink',
  config: CONFIG,
  validate: settings,
  tasks: 'max-tasks',
  createTask: () => new JdbcSinkTask(),
});
