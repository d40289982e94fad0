import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanupStack } from '../helpers/index.ts';
import { nodeIO } from '../../src/storage/io.ts';
import { ProducerStateManager } from '../../src/storage/producer-state.ts';
import { TXN_INDEX_ENTRY_SIZE, TransactionIndex, decodeTxnIndex, encodeAbortedTxn, txnIndexFileName } from '../../src/storage/transaction-index.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

/** The storage pieces of transactions: Kafka's .txnindex entry layout and the producer snapshot's open transactions. */

const { tempDir } = useCleanupStack();

describe('.txnindex', () => {
  it('writes 34-byte entries field by field as Kafka\'s AbortedTxn: version, producerId, firstOffset, lastOffset, lastStableOffset', async () => {
    const expected = Buffer.alloc(34);
    expected.writeInt16BE(0, 0);
    expected.writeBigInt64BE(7n, 2);
    expected.writeBigInt64BE(100n, 10);
    expected.writeBigInt64BE(150n, 18);
    expected.writeBigInt64BE(151n, 26);
    const entry = { producerId: 7n, firstOffset: 100, lastOffset: 150, lastStableOffset: 151 };
    expect(encodeAbortedTxn(entry).equals(expected)).toBe(true);
    expect(TXN_INDEX_ENTRY_SIZE).toBe(34);

    const dir = await tempDir('txnindex-');
    const idx = new TransactionIndex(nodeIO, dir);
    await idx.add(entry, 0);
    await idx.add(entry, 0); // the same marker again (recovery replay): not duplicated
    await idx.add({ producerId: 9n, firstOffset: 160, lastOffset: 170, lastStableOffset: 171 }, 160);
    const file0 = await readFile(join(dir, txnIndexFileName(0)));
    expect(file0.equals(expected)).toBe(true);
    // A torn tail (crash mid-write) is ignored at load.
    const reloaded = new TransactionIndex(nodeIO, dir);
    await nodeIO.open(join(dir, txnIndexFileName(160)), 'a').then(async (fh) => {
      await fh.write(Buffer.alloc(5, 1), 0, 5, 34);
      await fh.close();
    });
    await reloaded.load([0, 160]);
    expect(reloaded.entries).toEqual([entry, { producerId: 9n, firstOffset: 160, lastOffset: 170, lastStableOffset: 171 }]);
    // Fetch's collectAbortedTransactions: entries whose range overlaps [fetchOffset, upperBound).
    expect(reloaded.collect(151, 1000).map((e) => e.producerId)).toEqual([9n]);
    expect(reloaded.collect(0, 100).map((e) => e.producerId)).toEqual([]);
    expect(reloaded.collect(0, 101).map((e) => e.producerId)).toEqual([7n]);
    expect(decodeTxnIndex(Buffer.concat([expected, Buffer.from([0, 1, 2])]))).toEqual([entry]);
  });
});

describe('producer state and open transactions', () => {
  it('the first unstable offset follows open transactions and survives a snapshot (v2); v1 snapshots still load', () => {
    const s = new ProducerStateManager();
    s.record(1n, 0, 0, 2, 10, 12, 1000);
    s.beginTransaction(1n, 10);
    s.record(2n, 0, 0, 0, 13, 13, 1000);
    s.beginTransaction(2n, 13);
    expect(s.firstUnstableOffset()).toBe(10);
    const restored = ProducerStateManager.deserialize(s.serialize(14)).state;
    expect(restored.firstUnstableOffset()).toBe(10);
    expect(restored.endTransaction(1n)).toBe(10);
    expect(restored.firstUnstableOffset()).toBe(13);
    expect(restored.endTransaction(2n)).toBe(13);
    expect(restored.firstUnstableOffset()).toBeUndefined();
    // An open transaction keeps its producer through expiry.
    const t = new ProducerStateManager();
    t.record(3n, 0, 0, 0, 0, 0, 0);
    t.beginTransaction(3n, 0);
    expect(t.expire(10_000_000, 1000)).toBe(0);
    // Markers (coordinator writes) check the epoch only.
    expect(t.checkEpoch(3n, 0).kind).toBe('append');
    t.bumpEpoch(3n, 2);
    expect(t.checkEpoch(3n, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
  });
});
