import pg from 'pg';
import { ConfigException } from '../../config-def.ts';

/**
 * Connections for the JDBC-style connectors: Confluent's `connection.url`
 * (`jdbc:postgresql://host[:port]/database[?user=…&password=…&sslmode=…]`), `connection.user`,
 * `connection.password`, `connection.attempts` and `connection.backoff.ms`, opened with the pure-JS
 * `pg` driver (no native code, so it works inside the single binary). Every session runs in UTC so
 * timestamps without a time zone mean the same instant on both sides (Confluent's `db.timezone=UTC`).
 */

export interface PgTarget {
  host: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
  ssl: boolean;
}

export function parseJdbcUrl(url: string): PgTarget {
  const m = /^jdbc:postgresql:(?:\/\/([^/?]*)\/?)?([^?]*)(?:\?(.*))?$/.exec(url.trim());
  if (!m) throw new ConfigException(`Invalid value ${url} for configuration connection.url: only PostgreSQL URLs (jdbc:postgresql://host:port/database) are supported`);
  const hostPort = m[1] ?? '';
  let host = 'localhost';
  let port = 5432;
  if (hostPort !== '') {
    if (hostPort.includes(',')) throw new ConfigException(`Invalid value ${url} for configuration connection.url: multiple hosts are not supported`);
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
    if (!hp) throw new ConfigException(`Invalid value ${url} for configuration connection.url: bad host "${hostPort}"`);
    host = hp[1]!.replace(/^\[|\]$/g, '');
    if (hp[2]) port = Number(hp[2]);
  }
  const params = new URLSearchParams(m[3] ?? '');
  const sslmode = params.get('sslmode');
  const t: PgTarget = {
    host,
    port,
    database: decodeURIComponent(m[2] || params.get('user') || 'postgres'),
    ssl: params.get('ssl') === 'true' || (sslmode !== null && sslmode !== 'disable' && sslmode !== 'allow' && sslmode !== 'prefer'),
  };
  if (params.get('user') !== null) t.user = params.get('user')!;
  if (params.get('password') !== null) t.password = params.get('password')!;
  return t;
}

export interface ConnectionSettings {
  url: string;
  user: string | null;
  password: string | null;
  attempts: number;
  backoffMs: number;
}

/** Values come back as the server's text so nothing is rounded (int8, numeric) or shifted (timestamps). */
const RAW_TYPES = { getTypeParser: (_oid: number, format?: string) => (format === 'binary' ? (v: Buffer) => v : (v: string) => v) } as unknown as pg.CustomTypesConfig;

export async function connectPg(s: ConnectionSettings, isStopped: () => boolean = () => false): Promise<pg.Client> {
  const t = parseJdbcUrl(s.url);
  let last: Error | null = null;
  for (let attempt = 1; attempt <= Math.max(1, s.attempts); attempt++) {
    const client = new pg.Client({
      host: t.host,
      port: t.port,
      database: t.database,
      user: s.user ?? t.user,
      password: s.password ?? t.password,
      ssl: t.ssl ? { rejectUnauthorized: false } : false,
      types: RAW_TYPES,
      application_name: 'kstream-connect',
    });
    // A dropped connection is reported by the next query; without a listener the error would crash the worker.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query("SET TIME ZONE 'UTC'");
      return client;
    } catch (e) {
      last = e as Error;
      await client.end().catch(() => undefined);
      if (attempt >= s.attempts || isStopped()) break;
      await new Promise((r) => setTimeout(r, s.backoffMs));
    }
  }
  throw new Error(`Could not connect to ${s.url} after ${s.attempts} attempt(s): ${last?.message}`);
}

/** "a"."b" quoting, as Confluent's `quote.sql.identifiers=always`. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.table` or `table` → a quoted SQL name. */
export function quoteTable(t: { schema: string | null; table: string }): string {
  return t.schema ? `${quoteIdent(t.schema)}.${quoteIdent(t.table)}` : quoteIdent(t.table);
}

export function splitTableName(name: string): { schema: string | null; table: string } {
  const parts = name.split('.');
  if (parts.length === 1) return { schema: null, table: parts[0]! };
  // catalog.schema.table: the catalog is the database we are connected to.
  return { schema: parts[parts.length - 2]!, table: parts[parts.length - 1]! };
}
