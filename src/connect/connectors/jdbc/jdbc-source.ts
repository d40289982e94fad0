import type pg from 'pg';
import type { Connector, ConnectorClass, Props, SourceRecord, SourceTask, SourceTaskContext } from '../../api.ts';
import { ConfigException, parseConfig, positive, type ConfigDef } from '../../config-def.ts';
import { KAFKA_VERSION } from '../../version.ts';
import { connectPg, parseJdbcUrl, splitTableName, type ConnectionSettings } from './pg-connection.ts';
import { TableQuerier, type Mode, type QuerierSpec } from './table-querier.ts';

/**
 * Confluent's JdbcSourceConnector for PostgreSQL: copies tables (`table.whitelist`/`table.include.list`,
 * minus `table.blacklist`/`table.exclude.list`) or one `query` into topics `topic.prefix` + table name
 * (or `topic.prefix` for a query), one Struct per row, new rows found by `mode`. Tables are listed when
 * the connector starts and divided among `tasks.max` tasks; a query runs in one task.
 */

export const JDBC_SOURCE_CLASS = 'io.confluent.connect.jdbc.JdbcSourceConnector';

const MODES = ['bulk', 'timestamp', 'incrementing', 'timestamp+incrementing'];

export const CONNECTION_CONFIG: ConfigDef = [
  { name: 'connection.url', type: 'STRING', importance: 'HIGH', group: 'Database', documentation: 'JDBC connection URL (jdbc:postgresql://host:port/database).', validate: (v) => {
    try {
      parseJdbcUrl(v as string);
    } catch (e) {
      // parseConfig prefixes "Invalid value … for configuration connection.url:" itself.
      throw new Error((e as Error).message.replace(/^Invalid value .* for configuration connection\.url: /, ''));
    }
  } },
  { name: 'connection.user', type: 'STRING', defaultValue: null, importance: 'HIGH', group: 'Database', documentation: 'JDBC connection user.' },
  { name: 'connection.password', type: 'PASSWORD', defaultValue: null, importance: 'HIGH', group: 'Database', documentation: 'JDBC connection password.' },
  { name: 'connection.attempts', type: 'INT', defaultValue: '3', importance: 'LOW', group: 'Database', documentation: 'Maximum number of attempts to retrieve a valid JDBC connection.', validate: positive },
  { name: 'connection.backoff.ms', type: 'LONG', defaultValue: '10000', importance: 'LOW', group: 'Database', documentation: 'Backoff time in milliseconds between connection attempts.' },
  { name: 'dialect.name', type: 'STRING', defaultValue: '', importance: 'LOW', group: 'Database', documentation: 'The dialect; only PostgreSqlDatabaseDialect (or empty) is available.', validate: (v) => {
    if (v !== '' && v !== 'PostgreSqlDatabaseDialect') throw new Error('only PostgreSqlDatabaseDialect is available');
  } },
];

const CONFIG: ConfigDef = [
  ...CONNECTION_CONFIG,
  { name: 'table.whitelist', type: 'LIST', defaultValue: '', importance: 'MEDIUM', group: 'Database', documentation: 'List of tables to include in copying (deprecated name of table.include.list).' },
  { name: 'table.include.list', type: 'LIST', defaultValue: '', importance: 'MEDIUM', group: 'Database', documentation: 'List of tables to include in copying.' },
  { name: 'table.blacklist', type: 'LIST', defaultValue: '', importance: 'MEDIUM', group: 'Database', documentation: 'List of tables to exclude from copying (deprecated name of table.exclude.list).' },
  { name: 'table.exclude.list', type: 'LIST', defaultValue: '', importance: 'MEDIUM', group: 'Database', documentation: 'List of tables to exclude from copying.' },
  { name: 'schema.pattern', type: 'STRING', defaultValue: null, importance: 'MEDIUM', group: 'Database', documentation: 'Schema pattern (LIKE) to fetch table metadata from the database.' },
  { name: 'mode', type: 'STRING', defaultValue: '', importance: 'HIGH', group: 'Mode', documentation: 'The mode for updating a table each time it is polled: bulk, timestamp, incrementing, timestamp+incrementing.', validate: (v) => {
    if (!MODES.includes(v as string) && v !== '') throw new Error(`String must be one of: ${MODES.join(', ')}`);
  } },
  { name: 'incrementing.column.name', type: 'STRING', defaultValue: '', importance: 'MEDIUM', group: 'Mode', documentation: 'The name of the strictly incrementing column to use to detect new rows.' },
  { name: 'timestamp.column.name', type: 'LIST', defaultValue: '', importance: 'MEDIUM', group: 'Mode', documentation: 'Comma separated list of one or more timestamp columns to detect new or modified rows using the COALESCE SQL function.' },
  { name: 'timestamp.initial', type: 'LONG', defaultValue: null, importance: 'LOW', group: 'Mode', documentation: 'The epoch timestamp used for initial queries that use timestamp criteria.' },
  { name: 'validate.non.null', type: 'BOOLEAN', defaultValue: 'true', importance: 'LOW', group: 'Mode', documentation: 'By default, the JDBC connector will validate that all incrementing and timestamp tables have NOT NULL set for the columns being used as their ID/timestamp.' },
  { name: 'query', type: 'STRING', defaultValue: '', importance: 'MEDIUM', group: 'Mode', documentation: 'If specified, the query to perform to select new or updated rows.' },
  { name: 'query.suffix', type: 'STRING', defaultValue: '', importance: 'LOW', group: 'Mode', documentation: 'Suffix to append at the end of the generated query.' },
  { name: 'poll.interval.ms', type: 'INT', defaultValue: '5000', importance: 'HIGH', group: 'Connector', documentation: 'Frequency in ms to poll for new data in each table.', validate: positive },
  { name: 'batch.max.rows', type: 'INT', defaultValue: '100', importance: 'LOW', group: 'Connector', documentation: 'Maximum number of rows to include in a single batch when polling for new data.', validate: positive },
  { name: 'table.poll.interval.ms', type: 'LONG', defaultValue: '60000', importance: 'LOW', group: 'Connector', documentation: 'Frequency in ms to poll for new or removed tables (kstream lists tables when the connector starts).' },
  { name: 'topic.prefix', type: 'STRING', importance: 'HIGH', group: 'Connector', documentation: 'Prefix to prepend to table names to generate the name of the Kafka topic to publish data to, or in the case of a custom query, the full name of the topic to publish to.' },
  { name: 'timestamp.delay.interval.ms', type: 'LONG', defaultValue: '0', importance: 'HIGH', group: 'Connector', documentation: 'How long to wait after a row with certain timestamp appears before we include it in the result.' },
  { name: 'db.timezone', type: 'STRING', defaultValue: 'UTC', importance: 'MEDIUM', group: 'Connector', documentation: 'Name of the JDBC timezone used in the connector when querying with time-based criteria (kstream: UTC only).', validate: (v) => {
    if (v !== 'UTC') throw new Error('only UTC is supported');
  } },
  { name: 'numeric.mapping', type: 'STRING', defaultValue: null, importance: 'LOW', group: 'Database', documentation: 'Map NUMERIC values by precision (kstream: none only: numeric(p,s) → Decimal).' },
  { name: 'quote.sql.identifiers', type: 'STRING', defaultValue: 'ALWAYS', importance: 'MEDIUM', group: 'Database', documentation: 'When to quote table names, column names, and other identifiers in SQL statements (always quoted).' },
];

export function connectionSettings(c: Record<string, unknown>): ConnectionSettings {
  return {
    url: c['connection.url'] as string,
    user: (c['connection.user'] as string | null) ?? null,
    password: (c['connection.password'] as string | null) ?? null,
    attempts: c['connection.attempts'] as number,
    backoffMs: c['connection.backoff.ms'] as number,
  };
}

interface ModeSettings {
  mode: Mode;
  incrementingColumn: string | null;
  timestampColumns: string[];
}

function modeSettings(c: Record<string, unknown>): ModeSettings {
  const mode = c.mode as string;
  if (mode === '') throw new ConfigException(`Missing required configuration "mode": one of ${MODES.join(', ')}`);
  const inc = (c['incrementing.column.name'] as string).trim();
  const ts = c['timestamp.column.name'] as string[];
  if ((mode === 'timestamp' || mode === 'timestamp+incrementing') && ts.length === 0) throw new ConfigException(`mode ${mode} requires timestamp.column.name`);
  return { mode: mode as Mode, incrementingColumn: mode.includes('incrementing') ? inc || null : null, timestampColumns: mode.includes('timestamp') ? ts : [] };
}

class JdbcSourceConnector implements Connector {
  readonly type = 'source' as const;
  private props: Props = {};
  private tables: string[] = [];
  version(): string {
    return KAFKA_VERSION;
  }
  config(): ConfigDef {
    return CONFIG;
  }
  async start(props: Props): Promise<void> {
    const c = parseConfig(CONFIG, props);
    modeSettings(c);
    this.props = props;
    const query = (c.query as string).trim();
    const include = [...(c['table.whitelist'] as string[]), ...(c['table.include.list'] as string[])];
    const exclude = [...(c['table.blacklist'] as string[]), ...(c['table.exclude.list'] as string[])];
    if (query !== '') {
      if (include.length > 0 || exclude.length > 0) throw new ConfigException('query may not be combined with table.whitelist/table.include.list or table.blacklist/table.exclude.list');
      this.tables = [];
      return;
    }
    if (include.length > 0 && exclude.length > 0) throw new ConfigException('table.whitelist and table.blacklist are exclusive.');
    const client = await connectPg(connectionSettings(c));
    try {
      const pattern = (c['schema.pattern'] as string | null) ?? null;
      const res = await client.query({
        text: `SELECT current_database() AS db, table_schema, table_name FROM information_schema.tables
               WHERE table_type IN ('BASE TABLE', 'VIEW') AND table_schema NOT IN ('pg_catalog', 'information_schema')
                 AND ($1::text IS NULL OR table_schema LIKE $1) AND table_name <> '__kstream_connect_offsets'
               ORDER BY table_schema, table_name`,
        values: [pattern],
      });
      const all = (res.rows as Array<{ db: string; table_schema: string; table_name: string }>).map((r) => ({ fqn: `${r.db}.${r.table_schema}.${r.table_name}`, schema: r.table_schema, table: r.table_name }));
      const matches = (list: string[], t: { fqn: string; schema: string; table: string }) =>
        list.some((n) => n === t.table || n === `${t.schema}.${t.table}` || n === t.fqn);
      const picked = all.filter((t) => (include.length === 0 || matches(include, t)) && !matches(exclude, t));
      const missing = include.filter((n) => !all.some((t) => matches([n], t)));
      if (missing.length > 0) throw new ConfigException(`table(s) ${missing.join(', ')} not found in the database`);
      if (picked.length === 0) throw new ConfigException('No tables were found so there are no tasks to start.');
      this.tables = picked.map((t) => t.fqn);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  taskConfigs(maxTasks: number): Props[] {
    if (this.tables.length === 0) return [{ ...this.props }];
    // ConnectorUtils.groupPartitions: contiguous groups, as even as possible.
    const n = Math.min(maxTasks, this.tables.length);
    const out: Props[] = [];
    let at = 0;
    for (let i = 0; i < n; i++) {
      const size = Math.floor(this.tables.length / n) + (i < this.tables.length % n ? 1 : 0);
      out.push({ ...this.props, tables: this.tables.slice(at, at + size).join(',') });
      at += size;
    }
    return out;
  }
  stop(): void {}
  createTask(): SourceTask {
    return new JdbcSourceTask();
  }
}

export class JdbcSourceTask implements SourceTask {
  private client: pg.Client | null = null;
  private settings: ConnectionSettings | null = null;
  private queriers: TableQuerier[] = [];
  private pollIntervalMs = 5000;
  private batchMaxRows = 100;
  private stopped = false;
  private next = 0;

  async start(props: Props, context: SourceTaskContext): Promise<void> {
    const c = parseConfig(CONFIG, props);
    const m = modeSettings(c);
    this.settings = connectionSettings(c);
    this.pollIntervalMs = c['poll.interval.ms'] as number;
    this.batchMaxRows = c['batch.max.rows'] as number;
    const prefix = c['topic.prefix'] as string;
    const query = (c.query as string).trim();
    this.client = await connectPg(this.settings, () => this.stopped);
    const base = {
      mode: m.mode,
      querySuffix: c['query.suffix'] as string,
      timestampColumns: m.timestampColumns,
      timestampDelayMs: c['timestamp.delay.interval.ms'] as number,
      timestampInitial: (c['timestamp.initial'] as number | null) ?? null,
      fetchLimit: this.batchMaxRows * 10,
    };
    if (query !== '') {
      const partition = { query: 'query' };
      if (m.mode.includes('incrementing') && !m.incrementingColumn) throw new ConfigException('incrementing.column.name is required with a query in incrementing modes');
      const spec: QuerierSpec = { ...base, table: null, query, topic: prefix, partition, incrementingColumn: m.incrementingColumn };
      this.queriers = [new TableQuerier(spec, context.offset(partition))];
      return;
    }
    const tables = (props.tables ?? '').split(',').filter((t) => t !== '');
    for (const fqn of tables) {
      const t = splitTableName(fqn);
      const table = { schema: t.schema ?? 'public', table: t.table };
      const inc = m.mode.includes('incrementing') ? (m.incrementingColumn ?? (await this.autoIncrementColumn(table))) : null;
      // COALESCE over several timestamp columns is how nullable ones are meant to be used: only a single one is checked.
      const checked = [...(inc ? [inc] : []), ...(m.timestampColumns.length === 1 ? m.timestampColumns : [])];
      if (c['validate.non.null'] === true) await this.validateNonNull(table, checked);
      // Confluent's partition is protocol 1 with the unquoted catalog.schema.table; fall back to v0 ({"table"}).
      const partition = { protocol: '1', table: fqn };
      const stored = context.offset(partition) ?? context.offset({ table: t.table });
      this.queriers.push(new TableQuerier({ ...base, table, query: null, topic: prefix + t.table, partition, incrementingColumn: inc }, stored));
    }
  }

  private async autoIncrementColumn(t: { schema: string; table: string }): Promise<string> {
    const res = await this.client!.query({
      text: `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
             AND (is_identity = 'YES' OR column_default LIKE 'nextval(%') ORDER BY ordinal_position`,
      values: [t.schema, t.table],
    });
    if (res.rows.length !== 1) throw new ConfigException(`Cannot pick an incrementing column for ${t.schema}.${t.table}: set incrementing.column.name (${res.rows.length} auto-increment columns)`);
    return (res.rows[0] as { column_name: string }).column_name;
  }

  private async validateNonNull(t: { schema: string; table: string }, columns: string[]): Promise<void> {
    if (columns.length === 0) return;
    const res = await this.client!.query({
      text: 'SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      values: [t.schema, t.table],
    });
    const rows = res.rows as Array<{ column_name: string; is_nullable: string }>;
    for (const col of columns) {
      const r = rows.find((x) => x.column_name === col);
      if (!r) throw new ConfigException(`Column ${col} not found in table ${t.schema}.${t.table}`);
      if (r.is_nullable === 'YES') {
        throw new ConfigException(`Cannot make incremental queries using ${col} of ${t.schema}.${t.table}: the column is nullable (set validate.non.null=false to allow it)`);
      }
    }
  }

  async poll(): Promise<SourceRecord[] | null> {
    if (this.stopped || this.queriers.length === 0) return null;
    // A querier with buffered rows first (round robin), else the one due soonest.
    for (let i = 0; i < this.queriers.length; i++) {
      const q = this.queriers[(this.next + i) % this.queriers.length]!;
      if (q.pending > 0) {
        this.next = (this.next + i + 1) % this.queriers.length;
        return q.take(this.batchMaxRows);
      }
    }
    const due = this.queriers.reduce((a, b) => (b.nextQueryAt < a.nextQueryAt ? b : a));
    const wait = due.nextQueryAt - Date.now();
    if (wait > 0) {
      // Return now and then so the runtime can commit offsets, pause or stop.
      await new Promise((r) => setTimeout(r, Math.min(wait, 250)));
      return [];
    }
    if (!this.client) this.client = await connectPg(this.settings!, () => this.stopped);
    try {
      await due.query(this.client, this.pollIntervalMs);
    } catch (e) {
      // The task fails (restart it over REST); a new connection is opened if it is restarted.
      await this.client.end().catch(() => undefined);
      this.client = null;
      throw e;
    }
    return due.take(this.batchMaxRows);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}

export const JdbcSource: ConnectorClass = {
  className: JDBC_SOURCE_CLASS,
  type: 'source',
  create: () => new JdbcSourceConnector(),
};
