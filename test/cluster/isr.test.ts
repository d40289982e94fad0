/** The leader's ISR bookkeeping on a fake clock: shrink, expand, high watermark, acks=all and min ISR. */
import { describe, expect, it } from 'vitest';
import { IsrTracker, type IsrTrackerOptions } from '../../src/cluster/isr.ts';
import { errorName } from '../../src/protocol/error-codes.ts';

function tracker(over: Partial<IsrTrackerOptions> = {}) {
  const clock = { t: 1_000_000, now() { return this.t; } };
  const t = new IsrTracker({
    localBrokerId: 1, replicas: [1, 2, 3], isr: [1, 2, 3], leaderEpoch: 5, partitionEpoch: 9,
    leaderEpochStartOffset: 0, leaderLogEndOffset: 0, highWatermark: 0,
    replicaLagTimeMaxMs: 30_000, minInsyncReplicas: 2, clock, ...over,
  });
  return { t, clock };
}

describe('high watermark', () => {
  it('is the minimum log end offset of the ISR and never moves back', () => {
    const { t } = tracker();
    t.onLeaderAppend(10);
    expect(t.highWatermark).toBe(0);
    t.onFollowerFetch(2, 10, 0);
    expect(t.highWatermark).toBe(0); // 3 has not fetched
    expect(t.onFollowerFetch(3, 7, 0).highWatermarkChanged).toBe(true);
    expect(t.highWatermark).toBe(7);
    t.onFollowerFetch(3, 10, 0);
    expect(t.highWatermark).toBe(10);
    t.onLeaderAppend(15);
    expect(t.highWatermark).toBe(10);
  });

  it('does not advance while the ISR is below min.insync.replicas', () => {
    const { t } = tracker({ isr: [1], minInsyncReplicas: 2 });
    expect(t.onLeaderAppend(5)).toBe(false);
    expect(t.highWatermark).toBe(0);
  });
});

describe('ISR shrink', () => {
  it('drops a follower that has not caught up within replica.lag.time.max.ms, and only then', () => {
    const { t, clock } = tracker();
    t.onLeaderAppend(100);
    t.onFollowerFetch(2, 100, 0);
    t.onFollowerFetch(3, 40, 0); // 3 is behind from here on
    clock.t += 30_000;
    t.onFollowerFetch(2, 100, 0);
    expect(t.maybeShrinkIsr()).toBeNull(); // exactly at the limit: still in sync
    clock.t += 1;
    const p = t.maybeShrinkIsr();
    expect(p).toEqual({ kind: 'shrink', newIsr: [1, 2], leaderEpoch: 5, partitionEpoch: 9 });
    // Until the controller commits, the old ISR still counts (the laggard holds the HW back).
    expect(t.maximalIsr).toEqual([1, 2, 3]);
    expect(t.highWatermark).toBe(40);
    expect(t.maybeShrinkIsr()).toBeNull(); // one change in flight at a time
    t.onPartitionStateCommitted({ isr: [1, 2], leaderEpoch: 5, partitionEpoch: 10 });
    expect(t.inSyncReplicas).toEqual([1, 2]);
    expect(t.highWatermark).toBe(100);
  });

  it('keeps a follower that is slow to fetch but sits at the leader end', () => {
    const { t, clock } = tracker();
    t.onLeaderAppend(50);
    t.onFollowerFetch(2, 50, 0);
    t.onFollowerFetch(3, 50, 0);
    clock.t += 120_000;
    expect(t.maybeShrinkIsr()).toBeNull();
  });

  it('credits a follower that reached the leader end seen at its previous fetch (Replica.updateFetchState)', () => {
    const { t, clock } = tracker();
    t.onLeaderAppend(10);
    t.onFollowerFetch(3, 10, 0); // caught up at T
    t.onFollowerFetch(2, 10, 0);
    clock.t += 20_000;
    t.onLeaderAppend(20);
    t.onFollowerFetch(3, 10, 0); // fetch at T+20s, leader end 20 (lastFetchLeaderLEO becomes 20)
    clock.t += 20_000;
    t.onLeaderAppend(30);
    t.onFollowerFetch(3, 20, 0); // reached 20 = leader end at its last fetch → caught up as of T+20s
    expect(t.follower(3)!.lastCaughtUpTimeMs).toBe(1_000_000 + 20_000);
    clock.t += 5_000; // 45 s after T but 25 s after the credited time: still in sync
    t.onFollowerFetch(2, 30, 0);
    expect(t.maybeShrinkIsr()).toBeNull();
    clock.t += 6_000; // 31 s after the credited time: out
    t.onFollowerFetch(2, 30, 0);
    expect(t.maybeShrinkIsr()?.newIsr).toEqual([1, 2]);
  });
});

describe('ISR expand', () => {
  it('proposes adding a follower once it reaches the high watermark and the leader epoch start; counts it at once', () => {
    const { t } = tracker({ isr: [1, 2], leaderEpochStartOffset: 20, leaderLogEndOffset: 30, highWatermark: 30 });
    t.onFollowerFetch(2, 30, 0);
    expect(t.onFollowerFetch(3, 25, 0).proposal).toBeNull(); // below the HW
    const { proposal } = t.onFollowerFetch(3, 30, 0);
    expect(proposal).toEqual({ kind: 'expand', newIsr: [1, 2, 3], leaderEpoch: 5, partitionEpoch: 9 });
    expect(t.maximalIsr).toEqual([1, 2, 3]);
    expect(t.inSyncReplicas).toEqual([1, 2]);
    // A rejected proposal is dropped; the next fetch proposes again.
    t.onProposalFailed();
    expect(t.onFollowerFetch(3, 30, 0).proposal).not.toBeNull();
  });

  it('never proposes an ineligible replica (fenced or shutting down)', () => {
    const { t } = tracker({ isr: [1, 2], isReplicaIsrEligible: (id) => id !== 3 });
    t.onLeaderAppend(10);
    t.onFollowerFetch(2, 10, 0);
    expect(t.onFollowerFetch(3, 10, 0).proposal).toBeNull();
  });
});

describe('acks=all and min.insync.replicas', () => {
  it('rejects up front with NOT_ENOUGH_REPLICAS when the ISR is too small (acks=1 still allowed)', () => {
    const { t } = tracker({ isr: [1], minInsyncReplicas: 2 });
    expect(errorName(t.checkAppendAllowed(-1))).toBe('NOT_ENOUGH_REPLICAS');
    expect(errorName(t.checkAppendAllowed(1))).toBe('NONE');
    // min ISR above the replication factor is capped at it, as Kafka's effectiveMinIsr.
    const capped = tracker({ replicas: [1], isr: [1], minInsyncReplicas: 3 }).t;
    expect(errorName(capped.checkAppendAllowed(-1))).toBe('NONE');
  });

  it('completes when the high watermark reaches the append, with NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank meanwhile', () => {
    const { t, clock } = tracker({ minInsyncReplicas: 3 });
    expect(errorName(t.checkAppendAllowed(-1))).toBe('NONE');
    t.onLeaderAppend(5);
    expect(t.checkEnoughReplicasReachOffset(5)).toEqual({ done: false });
    t.onFollowerFetch(2, 5, 0);
    clock.t += 31_000; // 3 never fetched: out of sync
    t.onFollowerFetch(2, 5, 0);
    expect(t.maybeShrinkIsr()!.newIsr).toEqual([1, 2]);
    t.onPartitionStateCommitted({ isr: [1, 2], leaderEpoch: 5, partitionEpoch: 10 });
    // ISR (2) < min ISR (3): the HW doesn't move, the request keeps waiting...
    expect(t.checkEnoughReplicasReachOffset(5)).toEqual({ done: false });
    // ...and if the HW had reached it (ISR 3 → shrink after the HW moved), the answer is AFTER_APPEND.
    const b = tracker({ minInsyncReplicas: 3 });
    b.t.onLeaderAppend(5);
    b.t.onFollowerFetch(2, 5, 0);
    b.t.onFollowerFetch(3, 5, 0);
    expect(b.t.checkEnoughReplicasReachOffset(5)).toEqual({ done: true, errorCode: 0 });
    b.t.onPartitionStateCommitted({ isr: [1, 2], leaderEpoch: 5, partitionEpoch: 10 });
    const r = b.t.checkEnoughReplicasReachOffset(5);
    expect(r.done && errorName(r.errorCode)).toBe('NOT_ENOUGH_REPLICAS_AFTER_APPEND');
  });

  it('ignores stale partition states and refuses unknown replicas by name', () => {
    const { t } = tracker();
    t.onPartitionStateCommitted({ isr: [1], leaderEpoch: 5, partitionEpoch: 3 });
    expect(t.inSyncReplicas).toEqual([1, 2, 3]);
    expect(() => t.onFollowerFetch(7, 0, 0)).toThrow(/broker 7 is not a replica/);
  });
});
