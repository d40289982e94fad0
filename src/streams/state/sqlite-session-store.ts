/**
 * A persistent session byte store on node:sqlite (Kafka's RocksDB session store), with the in-memory
 * session store's semantics: sessions keyed by (key bytes, end, start) as Kafka's SessionKeySchema
 * orders them, writes to sessions ending at or before `observed stream time − retention` dropped,
 * expired sessions deleted. One database file per store in the task directory; writes go into one
 * SQLite transaction that flush() commits (every task commit), so the file matches the checkpoint
 * written after it and a restart restores only the changelog tail, as the window store does.
 */
import type { StatementSync } from "node:sqlite";
import type { SessionBytesStore } from "./bytes-stores.ts";
import { StoreDatabase } from "./sqlite-store-db.ts";

export class SqliteSessionBytesStore implements SessionBytesStore {
  readonly persistent = true;
  readonly retentionMs: number;
  private readonly db: StoreDatabase;
  private readonly stmts: { [name: string]: StatementSync };
  private observedStreamTime: number;
  private expiredUpTo: number;

  constructor(dir: string, storeName: string, retentionMs: number) {
    this.retentionMs = retentionMs;
    this.db = new StoreDatabase(
      dir,
      storeName,
      "CREATE TABLE IF NOT EXISTS s (k BLOB NOT NULL, e INTEGER NOT NULL, b INTEGER NOT NULL, v BLOB NOT NULL, PRIMARY KEY (k, e, b)) WITHOUT ROWID;" +
        "CREATE INDEX IF NOT EXISTS s_e ON s (e)",
      true,
    );
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      upsert: p("INSERT OR REPLACE INTO s (k, e, b, v) VALUES (?, ?, ?, ?)"),
      del: p("DELETE FROM s WHERE k = ? AND e = ? AND b = ?"),
      expire: p("DELETE FROM s WHERE e <= ?"),
      find: p("SELECT b, e, v FROM s WHERE k = ? AND e >= ? AND b <= ? AND e > ? ORDER BY e, b"),
    };
    // Stream time survives a restart with the rows it describes, so retention keeps holding.
    this.observedStreamTime = this.db.meta("observedStreamTime", -1);
    this.expiredUpTo = this.observedStreamTime - retentionMs;
  }

  put(key: Buffer, start: number, end: number, value: Buffer | null): void {
    this.observedStreamTime = Math.max(this.observedStreamTime, end);
    const minLive = this.observedStreamTime - this.retentionMs;
    if (end <= minLive && value !== null) return;
    this.db.begin();
    if (value === null) this.stmts.del!.run(key, end, start);
    else this.stmts.upsert!.run(key, end, start, value);
    if (minLive > this.expiredUpTo) {
      this.stmts.expire!.run(minLive);
      this.expiredUpTo = minLive;
    }
  }

  find(key: Buffer, earliestEnd: number, latestStart: number): Array<{ start: number; end: number; value: Buffer }> {
    const minLive = this.observedStreamTime - this.retentionMs;
    const rows = this.stmts.find!.all(key, earliestEnd, Math.min(latestStart, Number.MAX_SAFE_INTEGER), minLive) as Array<{ b: number | bigint; e: number | bigint; v: Uint8Array }>;
    return rows.map((r) => ({ start: Number(r.b), end: Number(r.e), value: Buffer.from(r.v) }));
  }

  private readonly saveMeta = (): void => this.db.setMeta("observedStreamTime", this.observedStreamTime);

  flush(): void {
    this.db.commit(this.saveMeta);
  }

  close(): void {
    this.db.close(this.saveMeta);
  }
}
