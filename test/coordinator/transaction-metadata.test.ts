import { describe, expect, it } from 'vitest';
import { TransactionMetadata } from '../../src/coordinator/transaction-metadata.ts';
import {
  TransactionStateError,
  TxnState,
  isExpirationAllowed,
  isValidTransition,
  txnStateFromId,
  txnStateFromName,
  txnStateName,
} from '../../src/coordinator/transaction-state.ts';

const meta = (state: TxnState, over: Partial<ConstructorParameters<typeof TransactionMetadata>[0]> = {}) =>
  new TransactionMetadata({ transactionalId: 'tx', producerId: 5n, producerEpoch: 2, txnTimeoutMs: 1000, state, txnLastUpdateTimestamp: 100, ...over });

describe('transaction states', () => {
  it('have Kafka’s ids and names', () => {
    const names = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];
    names.forEach((n, id) => {
      expect(txnStateName(txnStateFromId(id))).toBe(n);
      expect(txnStateFromName(n)).toBe(id);
    });
    expect(() => txnStateFromId(8)).toThrow(TransactionStateError);
    expect(txnStateFromName('ongoing')).toBeUndefined();
  });

  it('allow exactly Kafka’s transitions', () => {
    const S = TxnState;
    const allowed: [TxnState, TxnState][] = [
      [S.Empty, S.Empty], [S.CompleteCommit, S.Empty], [S.CompleteAbort, S.Empty],
      [S.Ongoing, S.Ongoing], [S.Empty, S.Ongoing], [S.CompleteCommit, S.Ongoing], [S.CompleteAbort, S.Ongoing],
      [S.Ongoing, S.PrepareCommit], [S.Ongoing, S.PrepareAbort], [S.PrepareEpochFence, S.PrepareAbort],
      [S.PrepareCommit, S.CompleteCommit], [S.PrepareAbort, S.CompleteAbort],
      [S.Empty, S.Dead], [S.CompleteAbort, S.Dead], [S.CompleteCommit, S.Dead],
      [S.Ongoing, S.PrepareEpochFence],
    ];
    let count = 0;
    for (let from = 0; from < 8; from++) {
      for (let to = 0; to < 8; to++) {
        const ok = allowed.some(([f, t]) => f === from && t === to);
        expect(isValidTransition(from as TxnState, to as TxnState), `${txnStateName(from as TxnState)} → ${txnStateName(to as TxnState)}`).toBe(ok);
        if (ok) count++;
      }
    }
    expect(count).toBe(allowed.length);
    expect([0, 1, 2, 3, 4, 5, 6, 7].filter((s) => isExpirationAllowed(s as TxnState))).toEqual([S.Empty, S.CompleteCommit, S.CompleteAbort]);
  });
});

describe('TransactionMetadata two-step transitions', () => {
  it('refuses a second prepare while one is pending, and an invalid target', () => {
    const m = meta(TxnState.Empty);
    m.prepareAddPartitions([{ topic: 't', partition: 0 }], 200);
    expect(() => m.prepareAddPartitions([{ topic: 't', partition: 1 }], 300)).toThrow(/pending/);
    m.abortPendingTransition();
    expect(() => m.prepareAbortOrCommit(TxnState.PrepareCommit, 300)).toThrow(/cannot go from Empty to PrepareCommit/);
  });

  it('completes only the transition that was prepared', () => {
    const m = meta(TxnState.Empty);
    const add = m.prepareAddPartitions([{ topic: 't', partition: 0 }], 200);
    expect(() => m.completeTransitionTo({ ...add, state: TxnState.PrepareAbort })).toThrow(/pending state is Ongoing/);
    expect(() => m.completeTransitionTo({ ...add, producerEpoch: 9 })).toThrow(/invalid add-partitions/);
    m.completeTransitionTo(add);
    expect(m.state).toBe(TxnState.Ongoing);
    expect(m.txnStartTimestamp).toBe(200);
    expect(m.pendingState).toBeNull();
    // Removing partitions is only for markers written during PrepareX.
    expect(() => m.removePartition({ topic: 't', partition: 0 })).toThrow(/removing a partition/);
  });

  it('a fence bumps the epoch once; after a failed fence write it reuses the bumped epoch', () => {
    const m = meta(TxnState.Ongoing, { txnStartTimestamp: 150 });
    expect(m.prepareFenceProducerEpoch().producerEpoch).toBe(3);
    m.abortPendingTransition();
    m.producerEpoch = 3;
    m.hasFailedEpochFence = true;
    expect(m.prepareFenceProducerEpoch().producerEpoch).toBe(3);
  });

  it('an epoch bump into Empty needs epoch+1 (or epoch 0 under a new producer id)', () => {
    const m = meta(TxnState.CompleteCommit, { txnStartTimestamp: 150 });
    const t = m.prepareIncrementProducerEpoch(2000, undefined, 300);
    expect(t).toEqual(expect.objectContaining({ producerEpoch: 3, lastProducerEpoch: -1, txnTimeoutMs: 2000, state: TxnState.Empty, txnStartTimestamp: -1 }));
    expect(() => m.completeTransitionTo({ ...(t as Exclude<typeof t, 'fenced'>), producerEpoch: 5 })).toThrow(/invalid epoch bump/);
    m.completeTransitionTo(t as Exclude<typeof t, 'fenced'>);
    expect([m.producerEpoch, m.txnTimeoutMs, m.state]).toEqual([3, 2000, TxnState.Empty]);
    const rot = m.prepareProducerIdRotation(99n, 2000, 400, true);
    m.completeTransitionTo(rot);
    expect([m.producerId, m.producerEpoch, m.lastProducerId, m.lastProducerEpoch]).toEqual([99n, 0, 5n, 3]);
  });
});
