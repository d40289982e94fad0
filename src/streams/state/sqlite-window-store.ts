/**
 * A persistent window byte store on node:sqlite (Kafka's RocksDB window store), with the in-memory
 * window store's semantics: entries keyed by (key bytes, window start, sequence number), writes to
 * windows at or before `observed stream time − retention` dropped, expired windows deleted.
 * One database file per store in the task directory; writes go into one SQLite transaction that
 * flush() commits (every task commit), so the file matches the checkpoint written after it and a
 * restart restores only the changelog tail instead of the whole changelog.
 */
import type { StatementSync } from "node:sqlite";
import { StoreDatabase } from "./sqlite-store-db.ts";

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
  private readonly db: StoreDatabase;
  private readonly stmts: { [name: string]: StatementSync };
  private observedStreamTime: number;
  private expiredUpTo: number;
  private seq: number;

  constructor(dir: string, storeName: string, retentionMs: number, retainDuplicates: boolean) {
    this.retentionMs = retentionMs;
    this.retainDuplicates = retainDuplicates;
    this.db = new StoreDatabase(
      dir,
      storeName,
      "CREATE TABLE IF NOT EXISTS w (k BLOB NOT NULL, s INTEGER NOT NULL, q INTEGER NOT NULL, v BLOB NOT NULL, PRIMARY KEY (k, s, q)) WITHOUT ROWID;" +
        "CREATE INDEX IF NOT EXISTS w_s ON w (s)",
      true,
    );
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      upsert: p("INSERT OR REPLACE INTO w (k, s, q, v) VALUES (?, ?, ?, ?)"),
      del: p("DELETE FROM w WHERE k = ? AND s = ?"),
      expire: p("DELETE FROM w WHERE s <= ?"),
      fetch: p("SELECT s, v FROM w WHERE k = ? AND s >= ? AND s <= ? AND s > ? ORDER BY s, q"),
      fetchAll: p("SELECT k, s, v FROM w WHERE s >= ? AND s <= ? AND s > ? ORDER BY k, s, q"),
    };
    // Stream time and the duplicate sequence survive a restart with the rows they describe.
    this.observedStreamTime = this.db.meta("observedStreamTime", -1);
    this.seq = this.db.meta("seq", 0);
    this.expiredUpTo = this.observedStreamTime - retentionMs;
  }

  put(key: Buffer, value: Buffer | null, start: number): void {
    this.observedStreamTime = Math.max(this.observedStreamTime, start);
    const minLive = this.observedStreamTime - this.retentionMs;
    // Kafka drops writes to windows already outside retention.
    if (start <= minLive) return;
    this.db.begin();
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

  private readonly saveMeta = (): void => {
    this.db.setMeta("observedStreamTime", this.observedStreamTime);
    this.db.setMeta("seq", this.seq);
  };

  flush(): void {
    this.db.commit(this.saveMeta);
  }

  close(): void {
    this.db.close(this.saveMeta);
  }
}
