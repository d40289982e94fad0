/**
 * The broker's replica manager (Kafka's ReplicaManager + Partition, 3.9): makes this broker's partition
 * logs follow the states the cluster layer hands it (replication-seam.ts), as leader or follower.
 *
 * - A partition it was never told about is not managed: it behaves exactly as on a single node
 *   (high watermark = log end, every request served). Handlers ask `partitionState()` first.
 * - Leader: on becoming leader (a newer leader epoch) the epoch and the log end it starts at go into
 *   the leader-epoch cache; an IsrTracker (src/cluster/isr.ts) follows each follower's fetch offset,
 *   moves the high watermark (min log end over the ISR, never back), proposes ISR shrinks every
 *   replica.lag.time.max.ms / 2 and expansions on catch-up through the IsrChangeSink (AlterPartition,
 *   CAS on the partition epoch), and completes acks=all produces (the purgatory below).
 * - Follower: the partition is handed to the fetcher of its leader (replica-fetcher.ts), which appends
 *   what the leader has, truncates where the logs diverge and takes the leader's high watermark.
 * - Not a replica any more: fetching stops, waiting produces fail with NOT_LEADER_OR_FOLLOWER, the log
 *   is kept on disk, and requests for it get NOT_LEADER_OR_FOLLOWER.
 */
import type { IsrTracker, IsrProposal } from '../cluster/isr.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { LogManager } from '../storage/log-manager.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import type { IsrChangeSink, PartitionAssignment, ReplicaControl, ReplicaEndpoint } from './replication-seam.ts';
import type { ReplicaFetcherManager, FetcherSettings } from './replica-fetcher.ts';

export interface ReplicationLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

/** The broker settings replication reads (names as Kafka's; see src/config/broker-settings.ts). */
export interface ReplicationSettings extends FetcherSettings {
  replicaLagTimeMaxMs: number;
  /** broker.rack of this broker ('' = none). */
  rack: string;
  /** replica.selector.class ('' = none: consumers are always told to read from the leader). */
  replicaSelectorClass: string;
}

export interface ReplicaManagerDeps {
  nodeId: number;
  logs: LogManager;
  settings: ReplicationSettings;
  logger: ReplicationLogger;
  now?: () => number;
  isrChangeSink?: IsrChangeSink;
}

export type ReplicaRole = 'leader' | 'follower' | 'none';

/** What handlers see of a managed partition. */
export interface ReplicaState {
  readonly role: ReplicaRole;
  readonly assignment: PartitionAssignment;
  readonly log: PartitionLog;
}

interface AckWaiter {
  requiredOffset: number;
  resolve: (errorCode: number) => void;
  timer: NodeJS.Timeout;
}

/** Kafka's RackAwareReplicaSelector, the one replica.selector.class served. */
export const RACK_AWARE_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

class ManagedPartition implements ReplicaState {
  role: ReplicaRole = 'none';
  assignment: PartitionAssignment;
  readonly log: PartitionLog;
  tracker: IsrTracker | null = null;
  waiters: AckWaiter[] = [];
  /** An AlterPartition in flight (one at a time, as Kafka). */
  altering = false;

  constructor(assignment: PartitionAssignment, log: PartitionLog) {
    this.assignment = assignment;
    this.log = log;
  }

  get key(): string {
    return `${this.assignment.topic}-${this.assignment.partition}`;
  }
}

/** The replication settings from the broker's config (names as Kafka's). */
export function replicationSettings(config: { number(name: string): number; string(name: string): string }): ReplicationSettings {
  return {
    replicaLagTimeMaxMs: config.number('replica.lag.time.max.ms'),
    numReplicaFetchers: config.number('num.replica.fetchers'),
    replicaFetchMaxBytes: config.number('replica.fetch.max.bytes'),
    replicaFetchResponseMaxBytes: config.number('replica.fetch.response.max.bytes'),
    replicaFetchWaitMaxMs: config.number('replica.fetch.wait.max.ms'),
    replicaFetchMinBytes: config.number('replica.fetch.min.bytes'),
    replicaFetchBackoffMs: config.number('replica.fetch.backoff.ms'),
    rack: config.string('broker.rack').trim(),
    replicaSelectorClass: config.string('replica.selector.class').trim(),
  };
}

export class ReplicaManager implements ReplicaControl {
  readonly nodeId: number;
  private readonly logs: LogManager;
  readonly settings: ReplicationSettings;
  private readonly logger: ReplicationLogger;
  private readonly now: () => number;
  private sink: IsrChangeSink | null;
  private readonly partitions = new Map<string, ManagedPartition>();
  private endpoints: ReadonlyMap<number, ReplicaEndpoint> = new Map();
  /**
   * The fetchers of the partitions this broker follows; made (and replica-fetcher.ts with its client and
   * inter-broker security loaded) when the first partition becomes a follower — never on a single node.
   */
  private fetchers: ReplicaFetcherManager | null = null;
  private shrinkTimer: NodeJS.Timeout | null = null;
  /** applyAssignments calls run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(deps: ReplicaManagerDeps) {
    this.nodeId = deps.nodeId;
    this.logs = deps.logs;
    this.settings = deps.settings;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.sink = deps.isrChangeSink ?? null;
  }

  /** Where ISR changes go (the cluster layer's AlterPartition); may be set after construction. */
  setIsrChangeSink(sink: IsrChangeSink): void {
    this.sink = sink;
  }

  /** The managed state of a partition; undefined = not replicated (single-node behaviour). */
  partitionState(topic: string, partition: number): ReplicaState | undefined {
    const p = this.partitions.get(`${topic}-${partition}`);
    // A topic deleted (and maybe made again) since: the state belonged to the old log.
    return p && this.logs.partition(topic, partition) === p.log ? p : undefined;
  }

  /** The committed ISR of a partition this broker leads (tests, describe). */
  inSyncReplicas(topic: string, partition: number): number[] | undefined {
    return this.partitions.get(`${topic}-${partition}`)?.tracker?.inSyncReplicas;
  }

  endpoint(nodeId: number): ReplicaEndpoint | undefined {
    return this.endpoints.get(nodeId);
  }

  applyAssignments(assignments: PartitionAssignment[], endpoints: ReadonlyMap<number, ReplicaEndpoint>): Promise<void> {
    const run = this.queue.then(() => this.applyNow(assignments, endpoints));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(assignments: PartitionAssignment[], endpoints: ReadonlyMap<number, ReplicaEndpoint>): Promise<void> {
    if (this.closed) return;
    this.endpoints = new Map(endpoints);
    await this.createMissingLogs(assignments);
    for (const a of assignments) {
      try {
        await this.applyOne(a);
      } catch (e) {
        this.logger.error(`replication: applying ${a.topic}-${a.partition} (leader ${a.leader}, epoch ${a.leaderEpoch}) failed: ${(e as Error).message}`);
      }
    }
    this.ensureShrinkTimer();
  }

  /** Kafka creates a replica's log when it is first assigned (createLogIfNotExists). */
  private async createMissingLogs(assignments: PartitionAssignment[]): Promise<void> {
    const byTopic = new Map<string, { topicId: string; count: number }>();
    for (const a of assignments) {
      if (!a.replicas.includes(this.nodeId)) continue;
      const t = byTopic.get(a.topic);
      byTopic.set(a.topic, { topicId: a.topicId, count: Math.max(t?.count ?? 0, a.partition + 1) });
    }
    for (const [topic, { topicId, count }] of byTopic) {
      const existing = this.logs.getTopic(topic);
      if (existing && existing.topicId !== topicId) {
        this.logger.warn(`replication: local topic ${topic} has id ${existing.topicId}, the cluster says ${topicId}; fetches name the cluster's`);
      }
      try {
        if (!existing) await this.logs.createTopic(topic, { partitions: count, topicId });
        else if (existing.partitionCount < count) await this.logs.createPartitions(topic, count);
      } catch (e) {
        // A concurrent auto-create may have won; anything else is logged per partition below.
        if (!this.logs.getTopic(topic)) this.logger.error(`replication: creating the log of ${topic}: ${(e as Error).message}`);
      }
    }
  }

  private async applyOne(a: PartitionAssignment): Promise<void> {
    const key = `${a.topic}-${a.partition}`;
    let p = this.partitions.get(key);
    if (!a.replicas.includes(this.nodeId)) {
      if (p && p.role !== 'none') await this.stopReplica(p, a);
      return;
    }
    const log = this.logs.partition(a.topic, a.partition);
    if (!log) throw new Error(`no local log for ${key}`);
    if (p && p.log !== log) {
      // The topic was deleted and created again: the old state goes with its log.
      await this.stopReplica(p, p.assignment);
      this.partitions.delete(key);
      p = undefined;
    }
    if (!p) {
      p = new ManagedPartition(a, log);
      this.partitions.set(key, p);
      // From now on the high watermark is replication's: start from the checkpointed one, as Kafka.
      const hw = this.logs.checkpointedHighWatermark(a.topic, a.partition);
      if (hw !== undefined) log.setHighWatermark(Math.min(hw, log.logEndOffset));
      log.localEndListener = (end) => this.onLocalAppend(key, end);
    } else {
      const cur = p.assignment;
      if (p.role !== 'none' && a.leaderEpoch < cur.leaderEpoch) return;
      // (A leader change always comes with a new leader epoch; one without is treated as a transition.)
      if (p.role !== 'none' && a.leaderEpoch === cur.leaderEpoch && a.leader === cur.leader) {
        if (a.partitionEpoch <= cur.partitionEpoch) return;
        // Same leadership, newer partition state (an ISR or replica-set change).
        p.assignment = a;
        if (p.role === 'leader' && p.tracker) {
          if (p.tracker.onPartitionStateCommitted(a)) this.onHighWatermarkMoved(p);
        }
        return;
      }
    }
    p.assignment = a;
    if (a.leader === this.nodeId) await this.makeLeader(p);
    else await this.makeFollower(p);
  }

  private async makeLeader(p: ManagedPartition): Promise<void> {
    // Imported with the first partition this broker leads as a replica (never on a single node).
    const { IsrTracker } = await import('../cluster/isr.ts');
    const a = p.assignment;
    await this.fetchers?.removePartition(p.key);
    const log = p.log;
    log.leaderEpoch = a.leaderEpoch;
    const startOffset = log.logEndOffset;
    await log.epochCache.assign(a.leaderEpoch, startOffset);
    p.tracker = new IsrTracker({
      localBrokerId: this.nodeId,
      replicas: a.replicas,
      isr: a.isr,
      leaderEpoch: a.leaderEpoch,
      partitionEpoch: a.partitionEpoch,
      leaderEpochStartOffset: startOffset,
      leaderLogEndOffset: log.logEndOffset,
      highWatermark: log.highWatermark,
      replicaLagTimeMaxMs: this.settings.replicaLagTimeMaxMs,
      minInsyncReplicas: this.minInsyncReplicas(a.topic),
      clock: { now: this.now },
    });
    p.role = 'leader';
    this.logger.info(`replication: ${p.key} leader at epoch ${a.leaderEpoch} from offset ${startOffset} (ISR [${a.isr}], high watermark ${log.highWatermark})`);
    // A leader alone in its ISR commits at once.
    if (p.tracker.onLeaderAppend(log.logEndOffset)) this.onHighWatermarkMoved(p);
  }

  private async makeFollower(p: ManagedPartition): Promise<void> {
    const a = p.assignment;
    this.failWaiters(p, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    p.tracker = null;
    p.role = 'follower';
    p.log.leaderEpoch = a.leaderEpoch;
    await this.fetchers?.removePartition(p.key);
    const leader = a.leader >= 0 ? this.endpoints.get(a.leader) : undefined;
    if (!leader) {
      this.logger.warn(`replication: ${p.key} follower at epoch ${a.leaderEpoch} with no reachable leader (${a.leader})`);
      return;
    }
    // Without any epoch to compare (a log never replicated), the safe point is the high watermark
    // (Kafka's truncateToHighWatermark when the leader epoch cache is empty).
    if (p.log.epochCache.latestEpoch < 0 && p.log.logEndOffset > p.log.highWatermark) await p.log.truncateTo(p.log.highWatermark);
    this.logger.info(`replication: ${p.key} follower of ${a.leader} at epoch ${a.leaderEpoch} from offset ${p.log.logEndOffset}`);
    (await this.followerFetchers()).addPartition(p.key, { topic: a.topic, topicId: a.topicId, partition: a.partition, leaderEpoch: a.leaderEpoch, leader, log: p.log });
  }

  private async stopReplica(p: ManagedPartition, a: PartitionAssignment): Promise<void> {
    await this.fetchers?.removePartition(p.key);
    this.failWaiters(p, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    p.tracker = null;
    p.role = 'none';
    p.assignment = a;
    this.logger.info(`replication: ${p.key} is no longer assigned to broker ${this.nodeId}; stopped`);
  }

  private minInsyncReplicas(topic: string): number {
    const v = Number(this.logs.effectiveConfig(topic)['min.insync.replicas'] ?? '1');
    return Number.isInteger(v) && v >= 1 ? v : 1;
  }

  // ---- leader side ---------------------------------------------------------------------------

  /** The log of a leader partition wrote up to `end` (durable per the fsync mode). */
  private onLocalAppend(key: string, end: number): void {
    const p = this.partitions.get(key);
    if (p?.role === 'leader' && p.tracker && p.tracker.onLeaderAppend(end)) this.onHighWatermarkMoved(p);
  }

  /**
   * A follower's Fetch for one partition (before its read): checks leadership and the replica, then
   * records the follower's position (Partition.updateFollowerFetchState). Returns the error for the
   * partition, or NONE.
   */
  onFollowerFetch(topic: string, partition: number, replicaId: number, fetchOffset: number, logStartOffset: number): number {
    const p = this.partitions.get(`${topic}-${partition}`);
    if (!p || p.role !== 'leader' || !p.tracker) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (!p.tracker.replicas.includes(replicaId) || replicaId === this.nodeId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (fetchOffset < p.log.logStartOffset || fetchOffset > p.log.logEndOffset) return ErrorCode.NONE; // the read answers OFFSET_OUT_OF_RANGE
    const { highWatermarkChanged, proposal } = p.tracker.onFollowerFetch(replicaId, fetchOffset, logStartOffset);
    if (highWatermarkChanged) this.onHighWatermarkMoved(p);
    if (proposal) void this.sendIsrChange(p, proposal);
    return ErrorCode.NONE;
  }

  /**
   * KIP-320/595 on the leader (Partition.fetchRecords): a follower whose last fetched epoch ends
   * earlier here than its fetch offset, or that this leader does not know, has diverged; it is told
   * the epoch and end offset to truncate to, and its position is not recorded.
   */
  divergingEpoch(log: PartitionLog, fetchOffset: number, lastFetchedEpoch: number): { epoch: number; endOffset: number } | null {
    if (lastFetchedEpoch < 0) return null;
    const e = log.endOffsetForEpoch(lastFetchedEpoch);
    if (e.epoch < lastFetchedEpoch || e.endOffset < fetchOffset) return e;
    return null;
  }

  /** Before an append: NOT_LEADER_OR_FOLLOWER off the leader, NOT_ENOUGH_REPLICAS for acks=all below min ISR. */
  checkProduce(state: ReplicaState, acks: number): number {
    const p = state as ManagedPartition;
    if (p.role !== 'leader' || !p.tracker) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return p.tracker.checkAppendAllowed(acks);
  }

  /**
   * acks=all after the append (Kafka's DelayedProduce): resolves with NONE once the high watermark
   * reaches `requiredOffset`, NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min ISR
   * meanwhile, REQUEST_TIMED_OUT after `timeoutMs`, NOT_LEADER_OR_FOLLOWER when leadership moves.
   */
  awaitReplication(state: ReplicaState, requiredOffset: number, timeoutMs: number): Promise<number> {
    const p = state as ManagedPartition;
    if (p.role !== 'leader' || !p.tracker) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const now = p.tracker.checkEnoughReplicasReachOffset(requiredOffset);
    if (now.done) return Promise.resolve(now.errorCode);
    return new Promise((resolve) => {
      const w: AckWaiter = {
        requiredOffset,
        resolve: (code) => {
          clearTimeout(w.timer);
          p.waiters = p.waiters.filter((x) => x !== w);
          resolve(code);
        },
        timer: setTimeout(() => w.resolve(ErrorCode.REQUEST_TIMED_OUT), Math.max(0, timeoutMs)),
      };
      p.waiters.push(w);
    });
  }

  private onHighWatermarkMoved(p: ManagedPartition): void {
    const tracker = p.tracker;
    if (!tracker) return;
    p.log.setHighWatermark(tracker.highWatermark);
    for (const w of [...p.waiters]) {
      const check = tracker.checkEnoughReplicasReachOffset(w.requiredOffset);
      if (check.done) w.resolve(check.errorCode);
    }
  }

  private failWaiters(p: ManagedPartition, code: number): void {
    for (const w of [...p.waiters]) w.resolve(code);
  }

  /** AlterPartition through the sink; the outcome is applied only if leadership did not move meanwhile. */
  private async sendIsrChange(p: ManagedPartition, proposal: IsrProposal): Promise<void> {
    const tracker = p.tracker;
    if (!tracker) return;
    if (!this.sink) {
      // Nowhere to propose: keep the committed ISR (a later check proposes again once a sink is set).
      tracker.onProposalFailed();
      return;
    }
    p.altering = true;
    const a = p.assignment;
    try {
      const r = await this.sink.alterPartition({ topic: a.topic, partition: a.partition, leaderEpoch: proposal.leaderEpoch, partitionEpoch: proposal.partitionEpoch, newIsr: proposal.newIsr });
      if (p.tracker !== tracker) return;
      if (r.ok) {
        p.assignment = r.assignment;
        this.logger.info(`replication: ${p.key} ISR ${proposal.kind === 'shrink' ? 'shrunk' : 'expanded'} to [${r.assignment.isr}] (partition epoch ${r.assignment.partitionEpoch})`);
        tracker.onPartitionStateCommitted(r.assignment);
        // Also when the high watermark did not move: waiting acks re-check the ISR against min ISR.
        this.onHighWatermarkMoved(p);
      } else {
        this.logger.warn(`replication: ${p.key} ISR change to [${proposal.newIsr}] refused (error ${r.error})`);
        tracker.onProposalFailed();
        const cur = r.current;
        if (cur && cur.leaderEpoch === tracker.leaderEpoch && cur.leader === this.nodeId && cur.partitionEpoch > tracker.partitionEpoch) {
          p.assignment = cur;
          if (tracker.onPartitionStateCommitted(cur)) this.onHighWatermarkMoved(p);
        }
      }
    } catch (e) {
      this.logger.warn(`replication: ${p.key} ISR change failed: ${(e as Error).message}`);
      if (p.tracker === tracker) tracker.onProposalFailed();
    } finally {
      p.altering = false;
    }
  }

  /** Kafka's isr-expiration task: every replica.lag.time.max.ms / 2, lagging followers leave the ISR. */
  private ensureShrinkTimer(): void {
    if (this.shrinkTimer || this.closed) return;
    const every = Math.max(10, Math.floor(this.settings.replicaLagTimeMaxMs / 2));
    this.shrinkTimer = setInterval(() => this.maybeShrinkIsr(), every);
    this.shrinkTimer.unref();
  }

  /** One pass of the ISR-expiration check over every partition this broker leads. */
  maybeShrinkIsr(): void {
    for (const p of this.partitions.values()) {
      if (p.role !== 'leader' || !p.tracker || p.altering) continue;
      const proposal = p.tracker.maybeShrinkIsr();
      if (proposal) void this.sendIsrChange(p, proposal);
    }
  }

  // ---- consumers (KIP-392) -------------------------------------------------------------------

  /**
   * The replica a consumer in `clientRack` should read from (Kafka's RackAwareReplicaSelector, used
   * only when replica.selector.class names it): a replica in the consumer's rack that has the offset,
   * the leader when it is one of them; null = the leader (no preferred read replica).
   */
  preferredReadReplica(state: ReplicaState, clientRack: string, fetchOffset: number): number | null {
    const p = state as ManagedPartition;
    if (p.role !== 'leader' || !p.tracker || this.settings.replicaSelectorClass !== RACK_AWARE_SELECTOR || clientRack === '') return null;
    if (this.settings.rack === clientRack) return null;
    let best: { id: number; leo: number; caughtUp: number } | null = null;
    for (const id of p.tracker.replicas) {
      if (id === this.nodeId) continue;
      const f = p.tracker.follower(id);
      const ep = this.endpoints.get(id);
      // As Kafka 3.9: only in-sync replicas holding the offset (a lagging one would keep the consumer behind).
      if (!f || !ep || (ep.rack ?? '') !== clientRack || !p.tracker.inSyncReplicas.includes(id)) continue;
      if (f.logEndOffset < fetchOffset || f.logStartOffset > fetchOffset) continue;
      if (!best || f.logEndOffset > best.leo || (f.logEndOffset === best.leo && f.lastCaughtUpTimeMs > best.caughtUp)) {
        best = { id, leo: f.logEndOffset, caughtUp: f.lastCaughtUpTimeMs };
      }
    }
    return best?.id ?? null;
  }

  // ---- follower side (called by the fetchers) ------------------------------------------------

  /** Is `key` still followed at `leaderEpoch`? Fetch responses for an older state are dropped. */
  isFollowing(key: string, leaderEpoch: number): boolean {
    const p = this.partitions.get(key);
    return p?.role === 'follower' && p.assignment.leaderEpoch === leaderEpoch;
  }

  private async followerFetchers(): Promise<ReplicaFetcherManager> {
    if (!this.fetchers) {
      const { ReplicaFetcherManager } = await import('./replica-fetcher.ts');
      this.fetchers ??= new ReplicaFetcherManager({ nodeId: this.nodeId, settings: this.settings, logger: this.logger, replicas: this });
    }
    return this.fetchers;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.shrinkTimer) clearInterval(this.shrinkTimer);
    this.shrinkTimer = null;
    await this.queue.catch(() => undefined);
    await this.fetchers?.close();
    for (const p of this.partitions.values()) this.failWaiters(p, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }
}
