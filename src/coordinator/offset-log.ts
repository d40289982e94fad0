/**
 * Where the coordinator keeps committed offsets and group metadata. The contract is small so the
 * coordinator knows nothing of storage: the broker backs it with PartitionOffsetLog (the internal
 * `__consumer_offsets` topic), unit tests with MemoryOffsetLog.
 */
export interface OffsetLogRecord {
  key: Buffer;
  /** null = tombstone. */
  value: Buffer | null;
  /**
   * Set on replay for records of a transactional batch (TxnOffsetCommit): the producer whose
   * transaction they belong to. They count only once that producer's COMMIT marker follows.
   */
  producerId?: bigint;
  /** Set on replay for an end-transaction marker of `producerId` (key/value are the marker's). */
  control?: 'commit' | 'abort';
}

export interface OffsetLog {
  /** Resolves once all records of this call are durable; they are written all-or-nothing. */
  append(records: OffsetLogRecord[]): Promise<void>;
  /** Calls onRecord for every stored record, oldest first. */
  replay(onRecord: (r: OffsetLogRecord) => void): Promise<void>;
  /**
   * Appends records as one transactional batch of the producer (TxnOffsetCommit); replay marks them
   * with `producerId`. Resolves once durable.
   */
  appendTransactional(records: OffsetLogRecord[], producerId: bigint, producerEpoch: number): Promise<void>;
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
  async appendTransactional(records: OffsetLogRecord[], producerId: bigint): Promise<void> {
    await this.append(records.map((r) => ({ ...r, producerId })));
  }
  /** What the broker's marker writer appends to the offsets partition (tests of reload). */
  appendMarker(producerId: bigint, control: 'commit' | 'abort'): void {
    this.records.push({ key: Buffer.alloc(4), value: null, producerId, control });
  }
  async close(): Promise<void> {}
}
