import { describe, expect, it } from 'vitest';
import { MemoryOffsetLog } from '../../src/coordinator/offset-log.ts';
import { ManualScheduler } from '../../src/coordinator/scheduler.ts';
import { encodeTransactionLogKey } from '../../src/coordinator/transaction-log-codec.ts';
import { TxnState } from '../../src/coordinator/transaction-state.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { flush } from '../helpers/index.ts';
import { CountingProducerIds, RecordingMarkerWriter, logEntries, makeTxnCoordinator } from './txn-helpers.ts';

const t0 = { topic: 't', partition: 0 };
const t1 = { topic: 't', partition: 1 };
const t2 = { topic: 't', partition: 2 };

describe('TransactionCoordinator: timeouts', () => {
  it('aborts a transaction open longer than its timeout on the cleanup interval, fencing its producer', async () => {
    const { tc, init, advance, writer, messages } = await makeTxnCoordinator({ abortTimedOutTransactionCleanupIntervalMs: 10_000 });
    await init('slow', { transactionTimeoutMs: 15_000 });
    await init('fast', { transactionTimeoutMs: 60_000 });
    await tc.addPartitionsToTxn({ transactionalId: 'slow', producerId: 1000n, producerEpoch: 0, partitions: [t0] });
    await tc.addPartitionsToTxn({ transactionalId: 'fast', producerId: 1001n, producerEpoch: 0, partitions: [t1] });
    await advance(10_000); // 10 s in: neither has timed out
    expect(tc.metadata('slow')!.state).toBe(TxnState.Ongoing);
    await advance(10_000); // 20 s: 'slow' (15 s) is over its timeout
    await tc.idle();
    const slow = tc.metadata('slow')!;
    expect(slow.state).toBe(TxnState.CompleteAbort);
    expect(slow.producerEpoch).toBe(1);
    expect(writer.written).toEqual([{ ...t0, result: 'abort', producerId: 1000n, producerEpoch: 1, coordinatorEpoch: 0 }]);
    expect(tc.metadata('fast')!.state).toBe(TxnState.Ongoing);
    expect(messages.some((m) => m.includes('slow') && m.includes('timed out'))).toBe(true);
    // The producer that went quiet is fenced: its commit fails, and it must re-initialise.
    expect(await tc.endTxn({ transactionalId: 'slow', producerId: 1000n, producerEpoch: 0, committed: true })).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await tc.addPartitionsToTxn({ transactionalId: 'slow', producerId: 1000n, producerEpoch: 0, partitions: [t0] })).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await init('slow')).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 2 });
  });

  it('does not bump the epoch twice when the fencing write failed', async () => {
    const { tc, init, advance, log } = await makeTxnCoordinator({ abortTimedOutTransactionCleanupIntervalMs: 1_000 });
    await init('tx', { transactionTimeoutMs: 500 });
    await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0] });
    log.failNext = new Error('disk full');
    await advance(1_000);
    const m = tc.metadata('tx')!;
    expect(m.state).toBe(TxnState.Ongoing);
    expect(m.hasFailedEpochFence).toBe(true);
    expect(m.producerEpoch).toBe(1);
    await advance(1_000);
    await tc.idle();
    expect(m.state).toBe(TxnState.CompleteAbort);
    expect(m.producerEpoch).toBe(1);
    expect(logEntries(log).at(-1)!.value).toEqual(expect.objectContaining({ state: TxnState.CompleteAbort, producerEpoch: 1 }));
  });
});

describe('TransactionCoordinator: transactional id expiration', () => {
  it('forgets ids idle for transactional.id.expiration.ms with a tombstone, but never one mid-transaction', async () => {
    const cfg = { transactionalIdExpirationMs: 60_000, removeExpiredTransactionalIdCleanupIntervalMs: 10_000, abortTimedOutTransactionCleanupIntervalMs: 1_000_000 };
    const { tc, init, advance, log } = await makeTxnCoordinator(cfg);
    await init('idle');
    await init('busy', { transactionTimeoutMs: 900_000 });
    await tc.addPartitionsToTxn({ transactionalId: 'busy', producerId: 1001n, producerEpoch: 0, partitions: [t0] });
    await advance(50_000);
    expect(tc.metadata('idle')).toBeDefined();
    await advance(20_000); // 70 s since 'idle' was last updated
    expect(tc.metadata('idle')).toBeUndefined();
    expect(tc.metadata('busy')!.state).toBe(TxnState.Ongoing);
    expect(logEntries(log).at(-1)).toEqual({ id: 'idle', value: null });
    expect(tc.describeTransactions(['idle'])[0]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    // The id can be used again: a new producer id.
    expect(await init('idle')).toEqual({ errorCode: ErrorCode.NONE, producerId: 1002n, producerEpoch: 0 });
  });

  it('keeps the id when the tombstone cannot be written', async () => {
    const { tc, init, advance, log } = await makeTxnCoordinator({ transactionalIdExpirationMs: 1_000, removeExpiredTransactionalIdCleanupIntervalMs: 5_000 });
    await init('tx');
    log.failNext = new Error('disk full');
    await advance(5_000);
    const m = tc.metadata('tx')!;
    expect(m.pendingState).toBeNull();
    expect(m.state).toBe(TxnState.Empty);
    await advance(5_000);
    expect(tc.metadata('tx')).toBeUndefined();
  });
});

describe('TransactionCoordinator: reload from __transaction_state', () => {
  async function crashedMidCommit(result: 'commit' | 'abort', markersDone: number) {
    const log = new MemoryOffsetLog();
    const scheduler = new ManualScheduler();
    const producerIds = new CountingProducerIds();
    const first = await makeTxnCoordinator({}, { log, scheduler, producerIds });
    await first.init('tx');
    await first.tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0, t1, t2] });
    // The first markers land, then the writer stalls: the broker dies with PrepareX as the last record.
    first.writer.failures.set('t:1', [ErrorCode.REQUEST_TIMED_OUT]);
    first.writer.failures.set('t:2', [ErrorCode.REQUEST_TIMED_OUT]);
    if (markersDone === 0) first.writer.failures.set('t:0', [ErrorCode.REQUEST_TIMED_OUT]);
    expect(await first.tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: result === 'commit' })).toBe(ErrorCode.NONE);
    await flush();
    await first.tc.close(); // "crash": nothing more is written by this instance
    expect(logEntries(log).at(-1)!.value!.state).toBe(result === 'commit' ? TxnState.PrepareCommit : TxnState.PrepareAbort);
    expect(first.writer.written.length).toBe(markersDone);
    const second = await makeTxnCoordinator({}, { log, scheduler, producerIds, writer: new RecordingMarkerWriter() });
    return { first, second };
  }

  it('completes a commit whose markers were not all written before the crash', async () => {
    const { second } = await crashedMidCommit('commit', 1);
    await second.tc.idle();
    const m = second.tc.metadata('tx')!;
    expect(m.state).toBe(TxnState.CompleteCommit);
    // Markers are idempotent on the partition side, so every partition of the transaction gets one again.
    expect(second.writer.written.map((w) => [w.partition, w.result, w.producerId, w.producerEpoch])).toEqual([
      [0, 'commit', 1000n, 0],
      [1, 'commit', 1000n, 0],
      [2, 'commit', 1000n, 0],
    ]);
    expect(logEntries(second.log).at(-1)!.value!.state).toBe(TxnState.CompleteCommit);
    // The producer carries on with its next transaction.
    expect(await second.tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0] })).toBe(ErrorCode.NONE);
  });

  it('completes an abort interrupted before any marker', async () => {
    const { second } = await crashedMidCommit('abort', 0);
    await second.tc.idle();
    expect(second.tc.metadata('tx')!.state).toBe(TxnState.CompleteAbort);
    expect(second.writer.written.map((w) => w.result)).toEqual(['abort', 'abort', 'abort']);
  });

  it('restores ids, epochs, Ongoing transactions (which then time out) and honours tombstones', async () => {
    const log = new MemoryOffsetLog();
    const scheduler = new ManualScheduler();
    const producerIds = new CountingProducerIds();
    const first = await makeTxnCoordinator({}, { log, scheduler, producerIds });
    await first.init('a');
    await first.init('a'); // epoch 1
    await first.init('b', { transactionTimeoutMs: 20_000 });
    await first.tc.addPartitionsToTxn({ transactionalId: 'b', producerId: 1001n, producerEpoch: 0, partitions: [t2] });
    await first.init('c');
    log.records.push({ key: encodeTransactionLogKey('c'), value: null }); // c expired
    log.records.push({ key: Buffer.from([0, 9, 0, 0]), value: Buffer.from('x') }); // a future key version
    await first.tc.close();

    const second = await makeTxnCoordinator({ abortTimedOutTransactionCleanupIntervalMs: 10_000 }, { log, scheduler, producerIds });
    expect(second.tc.loadReport).toEqual({ records: log.records.length, unknownKeys: 1 });
    expect(second.tc.describeTransactions(['a', 'b', 'c']).map((d) => [d.transactionState, d.producerId, d.producerEpoch, d.errorCode])).toEqual([
      ['Empty', 1000n, 1, ErrorCode.NONE],
      ['Ongoing', 1001n, 0, ErrorCode.NONE],
      ['', 0n, 0, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND],
    ]);
    expect(second.tc.metadata('b')!.partitions).toEqual([t2]);
    // The last epoch is not persisted (as in Kafka): a KIP-360 retry with the previous epoch is fenced after a reload.
    expect((await second.init('a', { producerId: 1000n, producerEpoch: 0 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    await second.advance(30_000);
    await second.tc.idle();
    expect(second.tc.metadata('b')!.state).toBe(TxnState.CompleteAbort);
    expect(second.writer.written).toEqual([{ ...t2, result: 'abort', producerId: 1001n, producerEpoch: 1, coordinatorEpoch: 0 }]);
  });

  it('close() stops the timers', async () => {
    const { tc, scheduler } = await makeTxnCoordinator();
    expect(scheduler.pending).toBe(2);
    await tc.close();
    expect(scheduler.pending).toBe(0);
  });
});
