/**
 * A persistent window byte store on node:sqlite (Kafka's RocksDB window store), with the in-memory
 * window store's semantics: entries keyed by (key bytes, window start, sequence number), writes to
 * windows at or before `observed stream time − retention` dropped, expired windows deleted.
 * One database file per store in the task directory; writes go into one SQLite transaction that
 * flush() commits (every task commit), so the file matches the checkpoint written after it and a
 * restart restores only the changelog tail instead of the whole changelog.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { StatementSync } from "node:sqlite";

export interface WindowBytesStore {
  readonly retentionMs: number;
  readonly retainDuplicates: boolean;
  put(key: Buffer, value: Buffer | null, start: number): void;
  fetch(key: Buffer, from: number, to: number): Array<{ start: number; value: Buffer }>;
  fetchAll(from: number, to: number): Array<{ key: Buffer; start: number; value: Buffer }>;
  flush?(): void;
  close?(): void;
}

export class SqliteWindowBytesStore implements WindowBytesStore {
  readonly persistent = true;
  readonly retentionMs: number;
  readonly retainDuplicates: boolean;
  private readonly db: DatabaseSync;
  private readonly stmts: { [name: string]: StatementSync };
  private observedStreamTime: number;
  private expiredUpTo: number;
  private seq: number;
  private inTxn = false;

  constructor(dir: string, storeName: string, retentionMs: number, retainDuplicates: boolean) {
    this.retentionMs = retentionMs;
    this.retainDuplicates = retainDuplicates;
    mkdirSync(dir, { recursive: true });
    this.db = new DatabaseSync(join(dir, `${storeName}.sqlite`));
    this.db.exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" +
        "CREATE TABLE IF NOT EXISTS w (k BLOB NOT NULL, s INTEGER NOT NULL, q INTEGER NOT NULL, v BLOB NOT NULL, PRIMARY KEY (k, s, q)) WITHOUT ROWID;" +
        "CREATE INDEX IF NOT EXISTS w_s ON w (s);" +
        "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, val INTEGER NOT NULL)",
    );
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      upsert: p("INSERT OR REPLACE INTO w (k, s, q, v) VALUES (?, ?, ?, ?)"),
      del: p("DELETE FROM w WHERE k = ? AND s = ?"),
      expire: p("DELETE FROM w WHERE s <= ?"),
      fetch: p("SELECT s, v FROM w WHERE k = ? AND s >= ? AND s <= ? AND s > ? ORDER BY s, q"),
      fetchAll: p("SELECT k, s, v FROM w WHERE s >= ? AND s <= ? AND s > ? ORDER BY k, s, q"),
      getMeta: p("SELECT val FROM meta WHERE name = ?"),
      setMeta: p("INSERT OR REPLACE INTO meta (name, val) VALUES (?, ?)"),
    };
    const meta = (name: string, dflt: number): number => {
      const row = this.stmts.getMeta!.get(name) as { val: number | bigint } | undefined;
      return row ? Number(row.val) : dflt;
    };
    // Stream time and the duplicate sequence survive a restart with the rows they describe.
    this.observedStreamTime = meta("observedStreamTime", -1);
    this.seq = meta("seq", 0);
    this.expiredUpTo = this.observedStreamTime - retentionMs;
  }

  private begin(): void {
    if (this.inTxn) return;
    this.db.exec("BEGIN");
    this.inTxn = true;
  }

  put(key: Buffer, value: Buffer | null, start: number): void {
    this.observedStreamTime = Math.max(this.observedStreamTime, start);
    const minLive = this.observedStreamTime - this.retentionMs;
    // Kafka drops writes to windows already outside retention.
    if (start <= minLive) return;
    this.begin();
    if (!this.retainDuplicates) {
      if (value === null) this.stmts.del!.run(key, start);
      else this.stmts.upsert!.run(key, start, 0, value);
    } else if (value !== null) {
      this.seq = (this.seq + 1) & 0x7fffffff;
      this.stmts.upsert!.run(key, start, this.seq, value);
    }
    if (minLive > this.expiredUpTo) {
      this.stmts.expire!.run(minLive);
      this.expiredUpTo = minLive;
    }
  }

  fetch(key: Buffer, from: number, to: number): Array<{ start: number; value: Buffer }> {
    const minLive = this.observedStreamTime - this.retentionMs;
    return (this.stmts.fetch!.all(key, from, to, minLive) as Array<{ s: number | bigint; v: Uint8Array }>).map((r) => ({ start: Number(r.s), value: Buffer.from(r.v) }));
  }

  fetchAll(from: number, to: number): Array<{ key: Buffer; start: number; value: Buffer }> {
    const minLive = this.observedStreamTime - this.retentionMs;
    return (this.stmts.fetchAll!.all(from, Math.min(to, Number.MAX_SAFE_INTEGER), minLive) as Array<{ k: Uint8Array; s: number | bigint; v: Uint8Array }>).map((r) => ({
      key: Buffer.from(r.k),
      start: Number(r.s),
      value: Buffer.from(r.v),
    }));
  }

  flush(): void {
    if (!this.inTxn) return;
    this.stmts.setMeta!.run("observedStreamTime", this.observedStreamTime);
    this.stmts.setMeta!.run("seq", this.seq);
    this.inTxn = false;
    this.db.exec("COMMIT");
  }

  close(): void {
    if (!this.db.isOpen) return;
    this.flush();
    this.db.close();
  }
}
