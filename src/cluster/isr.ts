/**
 * The leader's in-sync-replica bookkeeping for one partition, as pure logic on an injected clock —
 * ported from Kafka's Partition/Replica (3.9):
 *
 * - Each follower fetch updates its log end offset and "last caught-up time" exactly as
 *   Replica.updateFetchStateOrThrow: caught up now if it fetched at the leader's end; caught up as of
 *   its previous fetch if it reached the leader end seen then.
 * - Shrink: ISR members (other than the leader) with now − lastCaughtUp > replica.lag.time.max.ms and
 *   not at the leader's end are proposed for removal (getOutOfSyncReplicas).
 * - Expand: a follower outside the ISR joins once its end ≥ high watermark and ≥ the start offset of
 *   the leader's current epoch, and it is eligible (alive, not shutting down) (isFollowerInSync).
 * - ISR changes go through AlterPartition: while one is in flight the "maximal ISR" is used for safety
 *   (expansion counts the joiner for the high watermark and acks at once; a shrink doesn't take
 *   effect until committed), and no second change is proposed.
 * - High watermark = min log end over the maximal ISR, plus caught-up eligible followers not yet in
 *   it (maybeIncrementLeaderHW); it never moves backwards and does not advance below min.insync.replicas.
 * - acks=all: rejected up front with NOT_ENOUGH_REPLICAS when ISR < min ISR; complete when the high
 *   watermark reaches the request's end, with NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below
 *   min ISR meanwhile (checkEnoughReplicasReachOffset).
 */
import { ErrorCode } from '../protocol/error-codes.ts';

export interface IsrClock {
  now(): number;
}

export interface FollowerState {
  logEndOffset: number;
  logStartOffset: number;
  lastCaughtUpTimeMs: number;
  lastFetchTimeMs: number;
  lastFetchLeaderLogEndOffset: number;
}

/** A proposed AlterPartition: the new ISR, based on `partitionEpoch`. */
export interface IsrProposal {
  kind: 'expand' | 'shrink';
  newIsr: number[];
  leaderEpoch: number;
  partitionEpoch: number;
}

export interface IsrTrackerOptions {
  localBrokerId: number;
  replicas: number[];
  isr: number[];
  leaderEpoch: number;
  partitionEpoch: number;
  /** First offset written in the current leader epoch (the leader's end when it became leader). */
  leaderEpochStartOffset: number;
  leaderLogEndOffset: number;
  highWatermark: number;
  replicaLagTimeMaxMs: number;
  /** The topic's min.insync.replicas; the effective value is min(this, replication factor) as Kafka. */
  minInsyncReplicas: number;
  clock: IsrClock;
  /** Alive and not in controlled shutdown; defaults to every replica. */
  isReplicaIsrEligible?: (brokerId: number) => boolean;
}

export type AcksAllCheck = { done: false } | { done: true; errorCode: number };

export class IsrTracker {
  readonly localBrokerId: number;
  readonly replicas: number[];
  private isr: number[];
  private pending: IsrProposal | null = null;
  leaderEpoch: number;
  partitionEpoch: number;
  private leaderEpochStartOffset: number;
  private leaderLeo: number;
  private hw: number;
  private readonly lagMaxMs: number;
  private readonly minIsr: number;
  private readonly clock: IsrClock;
  private readonly eligible: (brokerId: number) => boolean;
  private readonly followers = new Map<number, FollowerState>();

  constructor(o: IsrTrackerOptions) {
    if (!o.replicas.includes(o.localBrokerId)) throw new Error(`broker ${o.localBrokerId} leads a partition it is not a replica of ([${o.replicas}])`);
    this.localBrokerId = o.localBrokerId;
    this.replicas = [...o.replicas];
    this.isr = [...o.isr];
    this.leaderEpoch = o.leaderEpoch;
    this.partitionEpoch = o.partitionEpoch;
    this.leaderEpochStartOffset = o.leaderEpochStartOffset;
    this.leaderLeo = o.leaderLogEndOffset;
    this.hw = o.highWatermark;
    this.lagMaxMs = o.replicaLagTimeMaxMs;
    this.minIsr = Math.min(o.minInsyncReplicas, o.replicas.length);
    this.clock = o.clock;
    this.eligible = o.isReplicaIsrEligible ?? (() => true);
    const now = o.clock.now();
    for (const r of o.replicas) {
      if (r === o.localBrokerId) continue;
      // As Kafka on becoming leader: ISR members count as caught up now, others as never.
      const inIsr = o.isr.includes(r);
      this.followers.set(r, { logEndOffset: -1, logStartOffset: -1, lastCaughtUpTimeMs: inIsr ? now : 0, lastFetchTimeMs: inIsr ? now : 0, lastFetchLeaderLogEndOffset: inIsr ? o.leaderLogEndOffset : 0 });
    }
  }

  get highWatermark(): number {
    return this.hw;
  }
  get logEndOffset(): number {
    return this.leaderLeo;
  }
  /** The committed ISR. */
  get inSyncReplicas(): number[] {
    return [...this.isr];
  }
  /** ISR assumed for safety while an AlterPartition is in flight. */
  get maximalIsr(): number[] {
    if (this.pending?.kind === 'expand') return [...this.pending.newIsr];
    return [...this.isr];
  }
  get pendingProposal(): IsrProposal | null {
    return this.pending;
  }
  follower(id: number): FollowerState | undefined {
    const f = this.followers.get(id);
    return f ? { ...f } : undefined;
  }

  /** The leader appended locally. Returns true when the high watermark moved. */
  onLeaderAppend(newLogEndOffset: number): boolean {
    this.leaderLeo = newLogEndOffset;
    return this.maybeIncrementHighWatermark();
  }

  /**
   * A follower fetched at `fetchOffset` (its log end). Returns whether the high watermark moved and an
   * ISR expansion to send if this fetch brought it in sync.
   */
  onFollowerFetch(followerId: number, fetchOffset: number, followerLogStartOffset: number): { highWatermarkChanged: boolean; proposal: IsrProposal | null } {
    const f = this.followers.get(followerId);
    if (!f) throw new Error(`broker ${followerId} is not a replica of this partition ([${this.replicas}])`);
    const now = this.clock.now();
    if (fetchOffset >= this.leaderLeo) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, now);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
    f.logStartOffset = followerLogStartOffset;
    f.logEndOffset = fetchOffset;
    f.lastFetchLeaderLogEndOffset = Math.max(this.leaderLeo, f.lastFetchLeaderLogEndOffset);
    f.lastFetchTimeMs = now;
    const proposal = this.maybeExpandIsr(followerId);
    return { highWatermarkChanged: this.maybeIncrementHighWatermark(), proposal };
  }

  /** Periodic check (Kafka: every replica.lag.time.max.ms / 2): followers to drop from the ISR. */
  maybeShrinkIsr(): IsrProposal | null {
    if (this.pending) return null;
    const now = this.clock.now();
    const outOfSync = this.isr.filter((r) => {
      if (r === this.localBrokerId) return false;
      const f = this.followers.get(r);
      if (!f) return true;
      const caughtUp = f.logEndOffset === this.leaderLeo || now - f.lastCaughtUpTimeMs <= this.lagMaxMs;
      return !caughtUp;
    });
    if (outOfSync.length === 0) return null;
    this.pending = { kind: 'shrink', newIsr: this.isr.filter((r) => !outOfSync.includes(r)), leaderEpoch: this.leaderEpoch, partitionEpoch: this.partitionEpoch };
    return this.pending;
  }

  /** The controller accepted an ISR change (or the metadata watch delivered a newer partition state). */
  onPartitionStateCommitted(state: { isr: number[]; leaderEpoch: number; partitionEpoch: number }): boolean {
    if (state.partitionEpoch < this.partitionEpoch) return false;
    this.isr = [...state.isr];
    this.leaderEpoch = state.leaderEpoch;
    this.partitionEpoch = state.partitionEpoch;
    this.pending = null;
    return this.maybeIncrementHighWatermark();
  }

  /** The AlterPartition was rejected (e.g. INVALID_UPDATE_VERSION): drop it; a later check retries. */
  onProposalFailed(): void {
    this.pending = null;
  }

  /** Before appending with acks=all: Kafka refuses outright when the ISR is below min.insync.replicas. */
  checkAppendAllowed(acks: number): number {
    if (acks === -1 && this.isr.length < this.minIsr) return ErrorCode.NOT_ENOUGH_REPLICAS;
    return ErrorCode.NONE;
  }

  /** Is an acks=all append ending at `requiredOffset` (its last offset + 1) complete? */
  checkEnoughReplicasReachOffset(requiredOffset: number): AcksAllCheck {
    if (this.hw < requiredOffset) return { done: false };
    const errorCode = this.minIsr <= this.maximalIsr.length ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
    return { done: true, errorCode };
  }

  private isFollowerInSync(f: FollowerState): boolean {
    return f.logEndOffset >= this.hw && f.logEndOffset >= this.leaderEpochStartOffset;
  }

  private maybeExpandIsr(followerId: number): IsrProposal | null {
    if (this.pending || this.isr.includes(followerId)) return null;
    const f = this.followers.get(followerId)!;
    if (!this.eligible(followerId) || !this.isFollowerInSync(f)) return null;
    this.pending = { kind: 'expand', newIsr: [...this.isr, followerId], leaderEpoch: this.leaderEpoch, partitionEpoch: this.partitionEpoch };
    return this.pending;
  }

  private maybeIncrementHighWatermark(): boolean {
    if (this.isr.length < this.minIsr) return false;
    const now = this.clock.now();
    const maximal = this.maximalIsr;
    let newHw = this.leaderLeo;
    for (const [id, f] of this.followers) {
      const waitToJoin = (f.logEndOffset === this.leaderLeo || now - f.lastCaughtUpTimeMs <= this.lagMaxMs) && this.eligible(id);
      if (f.logEndOffset < newHw && (maximal.includes(id) || waitToJoin)) newHw = Math.max(f.logEndOffset, 0);
    }
    if (newHw > this.hw) {
      this.hw = newHw;
      return true;
    }
    return false;
  }
}
