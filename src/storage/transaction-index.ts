import { join } from 'node:path';
import type { StorageIO } from './io.ts';
import { isNotFound, writeFileAtomic, writeFully } from './io.ts';

/**
 * The aborted-transaction index of one partition, kept as Kafka keeps it: one `<base>.txnindex` file per
 * segment beside its `.log`, holding a 34-byte entry per aborted transaction whose ABORT marker landed in
 * that segment: `[int16 version 0][int64 producerId][int64 firstOffset][int64 lastOffset]
 * [int64 lastStableOffset]` (Kafka's AbortedTxn). Fetch under read_committed returns the entries that
 * overlap the fetched range (Kafka's collectAbortedTransactions) so the consumer can drop aborted data.
 *
 * All entries of the partition are held in memory (aborts are rare next to data); the files make them
 * survive a restart. A torn tail entry (crash mid-write) is ignored at load, and recovery re-derives any
 * entry missing from the log's markers after the producer snapshot (`add` is idempotent per marker).
 */

export const TXN_INDEX_ENTRY_SIZE = 34;
const VERSION = 0;

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: number;
  /** Offset of the ABORT marker. */
  lastOffset: number;
  /** The partition's LSO when the abort completed. */
  lastStableOffset: number;
}

export function encodeAbortedTxn(e: AbortedTxn): Buffer {
  const b = Buffer.alloc(TXN_INDEX_ENTRY_SIZE);
  b.writeInt16BE(VERSION, 0);
  b.writeBigInt64BE(e.producerId, 2);
  b.writeBigInt64BE(BigInt(e.firstOffset), 10);
  b.writeBigInt64BE(BigInt(e.lastOffset), 18);
  b.writeBigInt64BE(BigInt(e.lastStableOffset), 26);
  return b;
}

/** Whole entries of a `.txnindex` file; a partial tail entry is dropped, an unknown version stops the read. */
export function decodeTxnIndex(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + TXN_INDEX_ENTRY_SIZE <= buf.length; at += TXN_INDEX_ENTRY_SIZE) {
    if (buf.readInt16BE(at) !== VERSION) break;
    out.push({
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: Number(buf.readBigInt64BE(at + 10)),
      lastOffset: Number(buf.readBigInt64BE(at + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(at + 26)),
    });
  }
  return out;
}

export function txnIndexFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.txnindex`;
}

export class TransactionIndex {
  readonly #io: StorageIO;
  readonly #dir: string;
  /** Sorted by lastOffset (markers are appended in offset order). */
  #entries: AbortedTxn[] = [];

  constructor(io: StorageIO, dir: string) {
    this.#io = io;
    this.#dir = dir;
  }

  get entries(): readonly AbortedTxn[] {
    return this.#entries;
  }

  /** Reads the `.txnindex` files of the given segments (missing ones are empty). */
  async load(segmentBases: readonly number[]): Promise<void> {
    const all: AbortedTxn[] = [];
    for (const base of segmentBases) {
      try {
        all.push(...decodeTxnIndex(await this.#io.readFile(join(this.#dir, txnIndexFileName(base)))));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    this.#entries = all.sort((a, b) => a.lastOffset - b.lastOffset);
  }

  /** Records an abort whose marker is at `e.lastOffset`, in the file of segment `segmentBase`. Idempotent. */
  async add(e: AbortedTxn, segmentBase: number): Promise<void> {
    if (this.#entries.some((x) => x.lastOffset === e.lastOffset && x.producerId === e.producerId)) return;
    this.#entries.push(e);
    const path = join(this.#dir, txnIndexFileName(segmentBase));
    const fh = await this.#io.open(path, 'a+');
    try {
      // Written at the current end; a torn tail from a crash is cut back to whole entries first.
      const size = (await fh.stat()).size;
      const whole = size - (size % TXN_INDEX_ENTRY_SIZE);
      if (whole !== size) await fh.truncate(whole);
      const bytes = encodeAbortedTxn(e);
      await writeFully(fh, bytes, 0, bytes.length, whole);
    } finally {
      await fh.close();
    }
  }

  /**
   * Aborted transactions that may have data in [fetchOffset, upperBound): their marker is at or after
   * fetchOffset and they started before upperBound (Kafka's collectAbortedTransactions).
   */
  collect(fetchOffset: number, upperBound: number): AbortedTxn[] {
    return this.#entries.filter((e) => e.lastOffset >= fetchOffset && e.firstOffset < upperBound);
  }

  /** The log was truncated at `offset`: forget entries whose marker is gone (files are rewritten lazily by recovery). */
  truncateFrom(offset: number): void {
    this.#entries = this.#entries.filter((e) => e.lastOffset < offset);
  }

  /**
   * The cleaner rewrote the segment [baseOffset, nextBaseOffset): its aborts become `kept` (those whose
   * ABORT marker survived; an entry whose marker was removed has no data left to filter). Called after the
   * segment swap, so a crash between leaves extra entries, which are harmless (Kafka's cleaned .txnindex).
   */
  async replaceSegment(baseOffset: number, nextBaseOffset: number, kept: readonly AbortedTxn[]): Promise<void> {
    const inSeg = (e: AbortedTxn): boolean => e.lastOffset >= baseOffset && e.lastOffset < nextBaseOffset;
    this.#entries = [...this.#entries.filter((e) => !inSeg(e)), ...kept.filter(inSeg)].sort((a, b) => a.lastOffset - b.lastOffset);
    const path = join(this.#dir, txnIndexFileName(baseOffset));
    const bytes = Buffer.concat(kept.filter(inSeg).map(encodeAbortedTxn));
    if (bytes.length === 0) {
      await this.#io.rm(path, { force: true });
      return;
    }
    await writeFileAtomic(this.#io, path, bytes);
  }

  /** Removes a segment's file only (its entries moved into a merged segment's file). */
  async removeFile(baseOffset: number): Promise<void> {
    await this.#io.rm(join(this.#dir, txnIndexFileName(baseOffset)), { force: true });
  }

  /** A segment was deleted (retention): drop its file and the entries whose markers were in it. */
  async removeSegment(baseOffset: number, nextBaseOffset: number): Promise<void> {
    this.#entries = this.#entries.filter((e) => e.lastOffset < baseOffset || e.lastOffset >= nextBaseOffset);
    await this.#io.rm(join(this.#dir, txnIndexFileName(baseOffset)), { force: true });
  }
}
