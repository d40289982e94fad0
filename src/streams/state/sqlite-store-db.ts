/**
 * The database file of one persistent store on node:sqlite, shared by the key-value, window and
 * session byte stores: `<dir>/<store>.sqlite` in WAL mode with synchronous=NORMAL (durable enough for
 * a cache of a changelog topic, which is the source of truth), and one open transaction that collects
 * the writes until the task's flush commits it (every task commit, as Kafka's ProcessorStateManager
 * flushes): an autocommit per put cost more than all the rest of a word count. Reads on the same
 * connection see the open transaction's writes.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { StatementSync } from "node:sqlite";

export class StoreDatabase {
  private readonly db: DatabaseSync;
  private inTxn = false;
  private readonly getMeta: StatementSync | undefined;
  private readonly setMetaStmt: StatementSync | undefined;

  /** `schema` creates the store's tables; `withMeta` adds the name → integer table of meta()/setMeta(). */
  constructor(dir: string, storeName: string, schema: string, withMeta = false) {
    mkdirSync(dir, { recursive: true });
    this.db = new DatabaseSync(join(dir, `${storeName}.sqlite`));
    this.db.exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + schema + (withMeta ? ";CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, val INTEGER NOT NULL)" : ""),
    );
    if (withMeta) {
      this.getMeta = this.prepare("SELECT val FROM meta WHERE name = ?");
      this.setMetaStmt = this.prepare("INSERT OR REPLACE INTO meta (name, val) VALUES (?, ?)");
    }
  }

  prepare(sql: string): StatementSync {
    return this.db.prepare(sql);
  }

  /** A number kept beside the rows it describes (stream time, a sequence), or `dflt` in a new file. */
  meta(name: string, dflt: number): number {
    const row = this.getMeta!.get(name) as { val: number | bigint } | undefined;
    return row ? Number(row.val) : dflt;
  }
  /** Written in the open transaction, so it commits with the rows it describes. */
  setMeta(name: string, val: number): void {
    this.setMetaStmt!.run(name, val);
  }

  /** Opens the transaction the next commit() closes (once). */
  begin(): void {
    if (this.inTxn) return;
    this.db.exec("BEGIN");
    this.inTxn = true;
  }

  /** Commits the writes since the last commit; `beforeCommit` adds what must land in the same transaction. */
  commit(beforeCommit?: () => void): void {
    if (!this.inTxn) return;
    beforeCommit?.();
    this.inTxn = false;
    this.db.exec("COMMIT");
  }

  /** Commits what is open and closes the file; a second close does nothing. */
  close(beforeCommit?: () => void): void {
    if (!this.db.isOpen) return;
    this.commit(beforeCommit);
    this.db.close();
  }
}
