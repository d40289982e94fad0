/**
 * Where the coordinator keeps committed offsets and group metadata. The contract is small so the
 * coordinator knows nothing of storage: the broker backs it with PartitionOffsetLog (the internal
 * `__consumer_offsets` topic), unit tests with MemoryOffsetLog.
 */
export interface OffsetLogRecord {
  key: Buffer;
  /** null = tombstone. */
  value: Buffer | null;
}

export interface OffsetLog {
  /** Resolves once all records of this call are durable; they are written all-or-nothing. */
  append(records: OffsetLogRecord[]): Promise<void>;
  /** Calls onRecord for every stored record, oldest first. */
  replay(onRecord: (r: OffsetLogRecord) => void): Promise<void>;
  close(): Promise<void>;
}

/** An OffsetLog that keeps records in memory only (unit tests, ephemeral brokers). */
export class MemoryOffsetLog implements OffsetLog {
  readonly records: OffsetLogRecord[] = [];
  /** When set, the next append rejects with it (exercises failure paths). */
  failNext: Error | null = null;
  async append(records: OffsetLogRecord[]): Promise<void> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    this.records.push(...records);
  }
  async replay(onRecord: (r: OffsetLogRecord) => void): Promise<void> {
    for (const r of this.records) onRecord(r);
  }
  async close(): Promise<void> {}
}
