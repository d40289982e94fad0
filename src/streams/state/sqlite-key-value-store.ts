/**
 * A persistent key-value byte store on Node's built-in node:sqlite (works inside the single binary, no
 * native addon). One database file per store under <state.dir>/<application.id>/<store>.sqlite; BLOB
 * keys compare with memcmp, i.e. Kafka's byte order for range queries.
 * Writes go into one SQLite transaction that flush() commits (the task flushes its stores at every
 * commit, as Kafka's ProcessorStateManager does): an autocommit per put cost more than all the rest of
 * a word count. Reads on the same connection see the open transaction's writes.
 */
import type { StatementSync } from "node:sqlite";
import type { BytesKeyValueStore } from "./bytes-stores.ts";
import { StoreDatabase } from "./sqlite-store-db.ts";

export class SqliteKeyValueBytesStore implements BytesKeyValueStore {
  readonly persistent = true;
  private readonly db: StoreDatabase;
  private readonly getStmt: StatementSync;
  private readonly putStmt: StatementSync;
  private readonly delStmt: StatementSync;
  private readonly countStmt: StatementSync;

  constructor(dir: string, storeName: string) {
    this.db = new StoreDatabase(dir, storeName, "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
    this.getStmt = this.db.prepare("SELECT v FROM kv WHERE k = ?");
    this.putStmt = this.db.prepare("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)");
    this.delStmt = this.db.prepare("DELETE FROM kv WHERE k = ?");
    this.countStmt = this.db.prepare("SELECT count(*) AS n FROM kv");
  }

  get(key: Buffer): Buffer | null {
    const row = this.getStmt.get(key) as { v: Uint8Array } | undefined;
    return row ? Buffer.from(row.v) : null;
  }
  /** Commits the writes since the last flush. */
  flush(): void {
    this.db.commit();
  }
  put(key: Buffer, value: Buffer | null): void {
    this.db.begin();
    if (value === null) this.delStmt.run(key);
    else this.putStmt.run(key, value);
  }
  delete(key: Buffer): Buffer | null {
    const old = this.get(key);
    if (old) {
      this.db.begin();
      this.delStmt.run(key);
    }
    return old;
  }
  range(from: Buffer | undefined, to: Buffer | undefined): Array<[Buffer, Buffer]> {
    const where: string[] = [];
    const args: Buffer[] = [];
    if (from) { where.push("k >= ?"); args.push(from); }
    if (to) { where.push("k <= ?"); args.push(to); }
    const sql = `SELECT k, v FROM kv ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY k`;
    return (this.db.prepare(sql).all(...args) as Array<{ k: Uint8Array; v: Uint8Array }>).map((r) => [Buffer.from(r.k), Buffer.from(r.v)]);
  }
  size(): number {
    return (this.countStmt.get() as { n: number }).n;
  }
  close(): void {
    this.db.close();
  }
}
