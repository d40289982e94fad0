import { describe, expect, it } from 'vitest';
import { errorForVersion } from '../../src/coordinator/transaction-coordinator.ts';
import { TxnState } from '../../src/coordinator/transaction-state.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { flush } from '../helpers/index.ts';
import { logEntries, makeTxnCoordinator } from './txn-helpers.ts';

const t0 = { topic: 't', partition: 0 };
const t1 = { topic: 't', partition: 1 };

describe('TransactionCoordinator: InitProducerId', () => {
  it('gives a new transactional id a producer id at epoch 0 and persists it as Empty', async () => {
    const { tc, init, log } = await makeTxnCoordinator();
    expect(await init('tx')).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
    expect(tc.metadata('tx')!.state).toBe(TxnState.Empty);
    expect(logEntries(log)).toEqual([
      { id: 'tx', value: expect.objectContaining({ producerId: 1000n, producerEpoch: 0, state: TxnState.Empty, txnTimeoutMs: 60_000, txnStartTimestamp: -1 }) },
    ]);
  });

  it('bumps the epoch for the next producer instance and fences the previous one', async () => {
    const { tc, init } = await makeTxnCoordinator();
    await init('tx');
    expect(await init('tx')).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
    const zombie = await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0] });
    expect(zombie).toBe(ErrorCode.PRODUCER_FENCED);
    expect(errorForVersion('AddPartitionsToTxn', 1, zombie)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(errorForVersion('AddPartitionsToTxn', 2, zombie)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(errorForVersion('InitProducerId', 3, zombie)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(errorForVersion('InitProducerId', 4, zombie)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(errorForVersion('EndTxn', 1, ErrorCode.CONCURRENT_TRANSACTIONS)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
  });

  it('rejects bad requests: empty id, half a KIP-360 pair, timeouts outside (0, transaction.max.timeout.ms]', async () => {
    const { init } = await makeTxnCoordinator({ transactionMaxTimeoutMs: 100_000 });
    expect((await init('')).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await init('tx', { producerId: -1n, producerEpoch: 3 })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await init('tx', { transactionTimeoutMs: 0 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init('tx', { transactionTimeoutMs: 100_001 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init('tx', { transactionTimeoutMs: 100_000 })).errorCode).toBe(ErrorCode.NONE);
  });

  it('KIP-360: the current producer recovers with its id/epoch; a lost-response retry gets the same epoch; stale epochs are fenced', async () => {
    const { init } = await makeTxnCoordinator();
    await init('tx'); // epoch 0
    expect(await init('tx', { producerId: 1000n, producerEpoch: 0 })).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
    // The response was lost; the producer retries with the epoch it still holds.
    expect(await init('tx', { producerId: 1000n, producerEpoch: 0 })).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
    expect(await init('tx', { producerId: 1000n, producerEpoch: 1 })).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 2 });
    // A new instance (no id/epoch) bumps and forgets the last epoch: the old holder of epoch 2 is fenced.
    expect((await init('tx')).producerEpoch).toBe(3);
    expect((await init('tx', { producerId: 1000n, producerEpoch: 2 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await init('tx', { producerId: 999n, producerEpoch: 3 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('hands out a new producer id when the epoch is exhausted, and recognises the old id in a KIP-360 retry', async () => {
    const { tc, init, producerIds } = await makeTxnCoordinator();
    await init('tx');
    const m = tc.metadata('tx')!;
    m.producerEpoch = 0x7fff - 1; // as if 32766 epochs had gone by
    expect(await init('tx', { producerId: 1000n, producerEpoch: 0x7fff - 1 })).toEqual({ errorCode: ErrorCode.NONE, producerId: 1001n, producerEpoch: 0 });
    expect(producerIds.allocated).toEqual([1000n, 1001n]);
    expect(m.lastProducerId).toBe(1000n);
    // Retry of that call (response lost): same new id and epoch, no further allocation.
    expect(await init('tx', { producerId: 1000n, producerEpoch: 0x7fff - 1 })).toEqual({ errorCode: ErrorCode.NONE, producerId: 1001n, producerEpoch: 0 });
    expect(producerIds.allocated).toEqual([1000n, 1001n]);
  });

  it('fences an Ongoing transaction of the previous producer: aborts it with a bumped epoch and answers CONCURRENT_TRANSACTIONS until done', async () => {
    const { tc, init, writer } = await makeTxnCoordinator();
    await init('tx'); // epoch 0
    await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0, t1] });
    writer.hold();
    expect((await init('tx')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    const m = tc.metadata('tx')!;
    expect(m.state).toBe(TxnState.PrepareAbort);
    expect(m.producerEpoch).toBe(1);
    expect((await init('tx')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    // The zombie cannot commit what was aborted under it.
    const zombie = await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: true });
    expect(zombie).toBe(ErrorCode.PRODUCER_FENCED);
    expect(errorForVersion('EndTxn', 1, zombie)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    writer.release();
    await tc.idle();
    expect(m.state).toBe(TxnState.CompleteAbort);
    expect(writer.written.map((w) => [w.topic, w.partition, w.result, w.producerEpoch])).toEqual([
      ['t', 0, 'abort', 1],
      ['t', 1, 'abort', 1],
    ]);
    expect(await init('tx')).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 2 });
  });
});

describe('TransactionCoordinator: AddPartitionsToTxn / AddOffsetsToTxn', () => {
  it('starts the transaction on the first partition and adds the group offsets partition', async () => {
    const { tc, init, scheduler, log } = await makeTxnCoordinator();
    await init('tx');
    const start = scheduler.now();
    expect(await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t1] })).toBe(ErrorCode.NONE);
    scheduler.advance(5);
    expect(await tc.addOffsetsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, groupId: 'g' })).toBe(ErrorCode.NONE);
    const m = tc.metadata('tx')!;
    expect(m.state).toBe(TxnState.Ongoing);
    expect(m.txnStartTimestamp).toBe(start);
    expect(m.partitions).toEqual([{ topic: '__consumer_offsets', partition: 0 }, t1]);
    const records = log.records.length;
    // Re-adding partitions already in the transaction answers at once and writes nothing.
    expect(await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t1] })).toBe(ErrorCode.NONE);
    expect(log.records.length).toBe(records);
    expect(logEntries(log).at(-1)!.value!.partitions).toEqual([{ topic: '__consumer_offsets', partition: 0 }, t1]);
  });

  it('refuses unknown ids, other producer ids and empty ids', async () => {
    const { tc, init } = await makeTxnCoordinator();
    await init('tx');
    expect(await tc.addPartitionsToTxn({ transactionalId: 'nope', producerId: 1000n, producerEpoch: 0, partitions: [t0] })).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 5n, producerEpoch: 0, partitions: [t0] })).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await tc.addPartitionsToTxn({ transactionalId: '', producerId: 1000n, producerEpoch: 0, partitions: [t0] })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await tc.addOffsetsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 7, groupId: 'g' })).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('verify-only (v4+, broker to broker) reports membership without changing anything', async () => {
    const { tc, init } = await makeTxnCoordinator();
    await init('tx');
    await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0] });
    expect(tc.verifyPartitionsInTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0, t1] })).toEqual([
      { ...t0, errorCode: ErrorCode.NONE },
      { ...t1, errorCode: ErrorCode.TRANSACTION_ABORTABLE },
    ]);
    expect(tc.verifyPartitionsInTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 9, partitions: [t0] })).toEqual([{ ...t0, errorCode: ErrorCode.PRODUCER_FENCED }]);
    expect(tc.metadata('tx')!.partitions).toEqual([t0]);
  });

  it('a failed log write answers COORDINATOR_NOT_AVAILABLE and leaves nothing pending, so the retry works', async () => {
    const { tc, init, log } = await makeTxnCoordinator();
    await init('tx');
    log.failNext = new Error('disk full');
    expect(await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0] })).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const m = tc.metadata('tx')!;
    expect(m.state).toBe(TxnState.Empty);
    expect(m.pendingState).toBeNull();
    expect(await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0] })).toBe(ErrorCode.NONE);
    expect(m.state).toBe(TxnState.Ongoing);
  });
});

describe('TransactionCoordinator: EndTxn', () => {
  it('commit: PrepareCommit is durable before the answer, markers go to every partition, then CompleteCommit', async () => {
    const { tc, init, writer, log } = await makeTxnCoordinator({ coordinatorEpoch: 4 });
    await init('tx');
    await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0, t1] });
    await tc.addOffsetsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, groupId: 'g' });
    writer.hold();
    expect(await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: true })).toBe(ErrorCode.NONE);
    const m = tc.metadata('tx')!;
    expect(m.state).toBe(TxnState.PrepareCommit);
    expect(m.pendingState).toBe(TxnState.CompleteCommit);
    expect(logEntries(log).at(-1)!.value!.state).toBe(TxnState.PrepareCommit);
    writer.release();
    await tc.idle();
    expect(m.state).toBe(TxnState.CompleteCommit);
    expect(m.partitions).toEqual([]);
    expect(writer.written).toEqual([
      { topic: '__consumer_offsets', partition: 0, result: 'commit', producerId: 1000n, producerEpoch: 0, coordinatorEpoch: 4 },
      { ...t0, result: 'commit', producerId: 1000n, producerEpoch: 0, coordinatorEpoch: 4 },
      { ...t1, result: 'commit', producerId: 1000n, producerEpoch: 0, coordinatorEpoch: 4 },
    ]);
    expect(logEntries(log).map((e) => e.value!.state)).toEqual([TxnState.Empty, TxnState.Ongoing, TxnState.Ongoing, TxnState.PrepareCommit, TxnState.CompleteCommit]);
    // A retry of the same EndTxn after completion succeeds; the opposite outcome is refused.
    expect(await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: true })).toBe(ErrorCode.NONE);
    expect(await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: false })).toBe(ErrorCode.INVALID_TXN_STATE);
    // The next transaction starts from CompleteCommit.
    expect(await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t1] })).toBe(ErrorCode.NONE);
    expect(m.partitions).toEqual([t1]);
  });

  it('abort: abort markers, CompleteAbort; commit afterwards is INVALID_TXN_STATE, abort retry is NONE', async () => {
    const { tc, init, writer } = await makeTxnCoordinator();
    await init('tx');
    await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0] });
    expect(await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: false })).toBe(ErrorCode.NONE);
    await tc.idle();
    expect(tc.metadata('tx')!.state).toBe(TxnState.CompleteAbort);
    expect(writer.written.map((w) => w.result)).toEqual(['abort']);
    expect(await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: false })).toBe(ErrorCode.NONE);
    expect(await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: true })).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('EndTxn without a transaction is INVALID_TXN_STATE; unknown id is INVALID_PRODUCER_ID_MAPPING', async () => {
    const { tc, init } = await makeTxnCoordinator();
    await init('tx');
    expect(await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: true })).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await tc.endTxn({ transactionalId: 'other', producerId: 1000n, producerEpoch: 0, committed: true })).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await tc.endTxn({ transactionalId: '', producerId: 1000n, producerEpoch: 0, committed: true })).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('answers CONCURRENT_TRANSACTIONS to every request while the markers are being written', async () => {
    const { tc, init, writer } = await makeTxnCoordinator();
    await init('tx');
    await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0] });
    writer.hold();
    await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: true });
    const p = { transactionalId: 'tx', producerId: 1000n, producerEpoch: 0 };
    expect(await tc.endTxn({ ...p, committed: true })).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await tc.endTxn({ ...p, committed: false })).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await tc.addPartitionsToTxn({ ...p, partitions: [t1] })).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(tc.verifyPartitionsInTxn({ ...p, partitions: [t0] })[0]!.errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect((await init('tx')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    writer.release();
    await tc.idle();
    expect(await tc.addPartitionsToTxn({ ...p, partitions: [t1] })).toBe(ErrorCode.NONE);
  });

  it('retries a partition whose marker failed retriably, drops a deleted partition, then completes', async () => {
    const { tc, init, writer, advance, messages } = await makeTxnCoordinator({ markerRetryBackoffMs: 100 });
    await init('tx');
    await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0, t1, { topic: 'gone', partition: 0 }] });
    writer.failures.set('t:1', [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.REQUEST_TIMED_OUT]);
    writer.failures.set('gone:0', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: true });
    await flush();
    const m = tc.metadata('tx')!;
    expect(m.state).toBe(TxnState.PrepareCommit);
    expect(m.partitions).toEqual([t1]);
    await advance(100);
    expect(m.state).toBe(TxnState.PrepareCommit);
    await advance(100);
    await tc.idle();
    expect(m.state).toBe(TxnState.CompleteCommit);
    expect(writer.calls.map((c) => c.partitions.length)).toEqual([3, 1, 1]);
    expect(writer.written.map((w) => `${w.topic}-${w.partition}`)).toEqual(['t-0', 't-1']);
    expect(messages.some((s) => s.includes('gone-0') && s.includes('UNKNOWN_TOPIC_OR_PARTITION'))).toBe(true);
  });

  it('a writer that throws is retried after the backoff', async () => {
    const { tc, init, writer, advance } = await makeTxnCoordinator({ markerRetryBackoffMs: 50 });
    await init('tx');
    await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t0] });
    writer.rejectNext = new Error('connection reset');
    await tc.endTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, committed: false });
    await flush();
    expect(tc.metadata('tx')!.state).toBe(TxnState.PrepareAbort);
    await advance(50);
    await tc.idle();
    expect(tc.metadata('tx')!.state).toBe(TxnState.CompleteAbort);
    expect(writer.calls.length).toBe(2);
  });
});

describe('TransactionCoordinator: DescribeTransactions / ListTransactions', () => {
  it('describes state, producer, timeout, start time and partitions grouped by topic', async () => {
    const { tc, init, scheduler } = await makeTxnCoordinator();
    await init('tx');
    await tc.addPartitionsToTxn({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, partitions: [t1, t0, { topic: 'u', partition: 3 }] });
    expect(tc.describeTransactions(['tx', 'missing', ''])).toEqual([
      {
        transactionalId: 'tx',
        errorCode: ErrorCode.NONE,
        transactionState: 'Ongoing',
        transactionTimeoutMs: 60_000,
        transactionStartTimeMs: scheduler.now(),
        producerId: 1000n,
        producerEpoch: 0,
        topics: [
          { topic: 't', partitions: [0, 1] },
          { topic: 'u', partitions: [3] },
        ],
      },
      expect.objectContaining({ transactionalId: 'missing', errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND }),
      expect.objectContaining({ transactionalId: '', errorCode: ErrorCode.INVALID_REQUEST }),
    ]);
  });

  it('lists with state, producer id and duration filters, reporting unknown state names', async () => {
    const { tc, init, scheduler } = await makeTxnCoordinator();
    await init('a'); // 1000, Empty
    await init('b'); // 1001
    await tc.addPartitionsToTxn({ transactionalId: 'b', producerId: 1001n, producerEpoch: 0, partitions: [t0] });
    scheduler.advance(10_000);
    const names = (r: ReturnType<typeof tc.listTransactions>) => r.transactionStates.map((s) => `${s.transactionalId}:${s.transactionState}`).sort();
    expect(names(tc.listTransactions())).toEqual(['a:Empty', 'b:Ongoing']);
    expect(names(tc.listTransactions({ stateFilters: ['Ongoing'] }))).toEqual(['b:Ongoing']);
    expect(names(tc.listTransactions({ producerIdFilters: [1000n] }))).toEqual(['a:Empty']);
    expect(names(tc.listTransactions({ durationFilterMs: 5_000 }))).toEqual(['a:Empty', 'b:Ongoing']); // Empty's start is -1: "running" forever, as in Kafka
    expect(names(tc.listTransactions({ durationFilterMs: 20_000, stateFilters: ['Ongoing'] }))).toEqual([]);
    const r = tc.listTransactions({ stateFilters: ['Ongoing', 'Bogus'] });
    expect(r.unknownStateFilters).toEqual(['Bogus']);
    expect(names(r)).toEqual(['b:Ongoing']);
  });
});
