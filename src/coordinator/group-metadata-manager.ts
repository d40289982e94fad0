import { ErrorCode } from '../protocol/error-codes.ts';
import type { FetchedPartition, OffsetFetchResult } from './coordinator-api.ts';
import type { CoordinatorLogger } from './coordinator-config.ts';
import { Group, GroupState, Member, type OffsetEntry } from './group.ts';
import type { OffsetLog, OffsetLogRecord } from './offset-log.ts';
import {
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  encodeGroupKey,
  encodeGroupValue,
  encodeOffsetKey,
  encodeOffsetValue,
  type StoredGroup,
} from './offsets-codec.ts';
import type { Scheduler } from './scheduler.ts';
import { PendingTransactionalOffsets } from './pending-txn-offsets.ts';

/**
 * The group metadata cache and its persistence (Kafka's GroupMetadataManager): which groups exist,
 * their committed offsets, and every record they cost in the offsets log — group metadata after a
 * completed SyncGroup, offset commits, and tombstones for deleted, expired and orphaned offsets.
 * The membership protocol (GroupCoordinator) decides *what* happens; this class makes it durable
 * and rebuilds it at start. It keeps no timers of its own except offset retention's.
 */

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface AcceptedCommit extends TopicPartitionRef {
  entry: OffsetEntry;
}

/** What a start-up load read and kept (logged, and asserted by tests). */
export interface LoadStats {
  /** Records read from the offsets log: its history since the last compaction. */
  records: number;
  /** Live records whose key or value could not be decoded (unknown versions); skipped. */
  skipped: number;
  /** Live committed offsets and group metadata records after the load. */
  offsets: number;
  groupRecords: number;
  /** Largest number of keys held at any moment of the load: bounded by the live keys, not by history. */
  peakKeys: number;
  durationMs: number;
}

export class GroupMetadataManager {
  readonly #log: OffsetLog;
  readonly #scheduler: Scheduler;
  readonly #logger: CoordinatorLogger;
  readonly #groups = new Map<string, Group>();
  /** TxnOffsetCommit offsets waiting for their transaction's marker. */
  readonly pendingTxn = new PendingTransactionalOffsets();
  loadStats: LoadStats = { records: 0, skipped: 0, offsets: 0, groupRecords: 0, peakKeys: 0, durationMs: 0 };

  constructor(log: OffsetLog, scheduler: Scheduler, logger: CoordinatorLogger) {
    this.#log = log;
    this.#scheduler = scheduler;
    this.#logger = logger;
  }

  // ---------------------------------------------------------------- the cache

  get(groupId: string): Group | undefined {
    return this.#groups.get(groupId);
  }

  getOrCreate(groupId: string): Group {
    let g = this.#groups.get(groupId);
    if (!g) this.#groups.set(groupId, (g = new Group(groupId, this.#scheduler.now())));
    return g;
  }

  get groupIds(): string[] {
    return [...this.#groups.keys()];
  }

  groups(): IterableIterator<Group> {
    return this.#groups.values();
  }

  // ---------------------------------------------------------------- loading

  /**
   * Rebuilds the cache by streaming the offsets log once, oldest first: each record replaces the
   * previous value of its key and a tombstone removes it, so what is held is the live keys only
   * (Kafka's doLoadGroupsAndOffsets); only those are decoded, once. Groups with stored members come back Stable; the caller
   * starts their members' session timers.
   */
  async load(): Promise<void> {
    const started = this.#scheduler.now();
    const t0 = performance.now();
    const stats: LoadStats = { records: 0, skipped: 0, offsets: 0, groupRecords: 0, peakKeys: 0, durationMs: 0 };
    // Pass 1, streaming: the latest raw value per key (a tombstone drops the key). Values are copied
    // out of the read buffer so no chunk of history stays referenced; nothing is decoded yet.
    const latest = new Map<string, Buffer>();
    // Transactional commits are held per producer until their marker: COMMIT applies them in log
    // order (as if written there), ABORT drops them; undecided ones stay pending.
    const txn = new Map<bigint, Map<string, Buffer | null>>();
    await this.#log.replay((r) => {
      stats.records++;
      if (r.control !== undefined && r.producerId !== undefined) {
        const held = txn.get(r.producerId);
        txn.delete(r.producerId);
        if (r.control === 'commit') for (const [k, v] of held ?? []) v === null ? latest.delete(k) : latest.set(k, v);
        return;
      }
      const k = r.key.toString('latin1');
      if (r.producerId !== undefined) {
        let held = txn.get(r.producerId);
        if (!held) txn.set(r.producerId, (held = new Map()));
        held.set(k, r.value === null ? null : Buffer.from(r.value));
        return;
      }
      if (r.value === null) latest.delete(k);
      else latest.set(k, Buffer.from(r.value));
      if (latest.size > stats.peakKeys) stats.peakKeys = latest.size;
    });
    for (const [pid, held] of txn) {
      for (const [k, v] of held) {
        try {
          const key = decodeKey(Buffer.from(k, 'latin1'));
          if (key.kind === 'offset' && v !== null) this.pendingTxn.add(pid, key.groupId, [{ topic: key.topic, partition: key.partition, entry: decodeOffsetValue(v) }]);
        } catch {
          stats.skipped++;
        }
      }
    }
    // Pass 2: decode only what is live.
    const stored = new Map<string, StoredGroup>();
    for (const [k, value] of latest) {
      try {
        const key = decodeKey(Buffer.from(k, 'latin1'));
        if (key.kind === 'offset') {
          this.getOrCreate(key.groupId).setOffset(key.topic, key.partition, decodeOffsetValue(value));
          stats.offsets++;
        } else {
          stored.set(key.groupId, decodeGroupValue(value));
        }
      } catch {
        stats.skipped++;
      }
    }
    latest.clear();
    for (const [id, g] of stored) this.#restoreGroup(this.getOrCreate(id), g, started);
    stats.groupRecords = stored.size;
    stats.durationMs = Math.round(performance.now() - t0);
    this.loadStats = stats;
    this.#logger.info(
      `Finished loading offsets and group metadata in ${stats.durationMs} ms: read ${stats.records} records, ` +
        `kept ${stats.offsets} offsets and ${stats.groupRecords} group records of ${this.#groups.size} groups` +
        (stats.skipped > 0 ? ` (${stats.skipped} undecodable records skipped)` : ''),
    );
  }

  #restoreGroup(g: Group, s: StoredGroup, now: number): void {
    g.protocolType = s.protocolType;
    g.generationId = s.generationId;
    g.protocolName = s.protocolName;
    const since = s.stateTimestamp >= 0 ? s.stateTimestamp : now;
    if (s.members.length === 0 || s.protocolName === null) {
      g.transitionTo(GroupState.Empty, since);
      return;
    }
    // Members come back as a Stable group; those that do not heartbeat within their session
    // timeout are removed and the group rebalances, as after a Kafka coordinator failover.
    for (const sm of s.members) {
      const m = new Member({
        memberId: sm.memberId,
        groupInstanceId: sm.groupInstanceId,
        clientId: sm.clientId,
        clientHost: sm.clientHost,
        rebalanceTimeoutMs: sm.rebalanceTimeoutMs,
        sessionTimeoutMs: sm.sessionTimeoutMs,
        protocolType: s.protocolType,
        protocols: [{ name: s.protocolName, metadata: sm.subscription }],
      });
      m.assignment = sm.assignment;
      g.add(m);
    }
    if (s.leaderId !== null && g.members.has(s.leaderId)) g.leaderId = s.leaderId;
    g.transitionTo(GroupState.Stable, since);
  }

  // ---------------------------------------------------------------- writing

  /** Writes the group's metadata (members, their subscriptions and these assignments). */
  storeGroup(group: Group, assignments?: Map<string, Buffer>): Promise<void> {
    const stored: StoredGroup = {
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      stateTimestamp: group.stateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadataFor(group.protocolName ?? ''),
        assignment: assignments?.get(m.memberId) ?? m.assignment,
      })),
    };
    return this.#log.append([{ key: encodeGroupKey(group.groupId), value: encodeGroupValue(stored) }]);
  }

  /**
   * Makes a validated commit durable (one append, all-or-nothing), then applies it. Rejects when the
   * append fails; the cache is then unchanged. A group deleted while the append was in flight is
   * re-created (its records are in the log and would come back at the next load anyway).
   */
  async storeOffsets(groupId: string, commits: AcceptedCommit[]): Promise<void> {
    await this.#log.append(commits.map((c) => ({ key: encodeOffsetKey(groupId, c.topic, c.partition), value: encodeOffsetValue(c.entry) })));
    const target = this.getOrCreate(groupId);
    for (const c of commits) target.setOffset(c.topic, c.partition, c.entry);
  }

  /** Makes a transactional commit durable as the producer's transactional batch; it stays pending until the marker. */
  async storeTxnOffsets(groupId: string, producerId: bigint, producerEpoch: number, commits: AcceptedCommit[]): Promise<void> {
    await this.#log.appendTransactional(
      commits.map((c) => ({ key: encodeOffsetKey(groupId, c.topic, c.partition), value: encodeOffsetValue(c.entry) })),
      producerId,
      producerEpoch,
    );
    this.getOrCreate(groupId);
    this.pendingTxn.add(producerId, groupId, commits);
  }

  /** The producer's transaction was decided (its marker is durable in the offsets partition). */
  completeTxnOffsets(producerId: bigint, commit: boolean): void {
    for (const [groupId, commits] of this.pendingTxn.take(producerId)) {
      if (!commit) continue;
      const g = this.getOrCreate(groupId);
      for (const c of commits) g.setOffset(c.topic, c.partition, c.entry);
    }
  }

  /** `topics` null = every committed offset of the group. Partitions without a commit get offset -1. */
  getOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): OffsetFetchResult {
    const group = this.#groups.get(groupId);
    const partition = (topic: string, partitionIndex: number): FetchedPartition => {
      const e = group?.getOffset(topic, partitionIndex);
      return e
        ? { partitionIndex, committedOffset: e.offset, committedLeaderEpoch: e.leaderEpoch, metadata: e.metadata, errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    };
    if (topics === null) {
      if (!group) return { errorCode: ErrorCode.NONE, topics: [] };
      return {
        errorCode: ErrorCode.NONE,
        topics: [...group.offsets].map(([name, parts]) => ({ name, partitions: [...parts.keys()].sort((a, b) => a - b).map((i) => partition(name, i)) })),
      };
    }
    return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => partition(t.name, i)) })) };
  }

  /**
   * Kafka's cleanupGroupMetadata: removes the offsets `selector` picks from each group and writes
   * their tombstones; an Empty group left with no offsets (and nobody joining) is removed with a
   * tombstone for its metadata, unless `keepEmptyGroups` (OffsetDelete keeps the group, as Kafka's
   * newer coordinator does, so a following DeleteGroups still finds it). Returns the number of
   * offsets removed. The cache changes first; a failed append rejects (the tombstones are then not
   * durable and the offsets return at restart).
   */
  async cleanupGroupMetadata(groups: Iterable<Group>, selector: (g: Group) => TopicPartitionRef[], keepEmptyGroups = false): Promise<number> {
    const now = this.#scheduler.now();
    const records: OffsetLogRecord[] = [];
    let removed = 0;
    for (const g of [...groups]) {
      for (const { topic, partition } of selector(g)) {
        if (!g.getOffset(topic, partition)) continue;
        g.deleteOffset(topic, partition);
        records.push({ key: encodeOffsetKey(g.groupId, topic, partition), value: null });
        removed++;
      }
      if (!keepEmptyGroups && g.is(GroupState.Empty) && !g.hasOffsets && g.members.size === 0 && g.pendingMembers.size === 0) {
        g.transitionTo(GroupState.Dead, now);
        this.#groups.delete(g.groupId);
        if (g.protocolType !== null) records.push({ key: encodeGroupKey(g.groupId), value: null });
      }
    }
    await this.#log.append(records);
    return removed;
  }

  /** DeleteGroups: the (already Dead) groups lose their offsets and metadata, durably. */
  async deleteGroups(groups: Group[]): Promise<void> {
    const records: OffsetLogRecord[] = [];
    for (const g of groups) {
      for (const [topic, parts] of g.offsets) for (const partition of parts.keys()) records.push({ key: encodeOffsetKey(g.groupId, topic, partition), value: null });
      records.push({ key: encodeGroupKey(g.groupId), value: null });
      this.#groups.delete(g.groupId);
    }
    await this.#log.append(records);
  }

  /**
   * A deleted topic's offsets go from every group, durably (Kafka's GroupCoordinator.onPartitionsDeleted
   * → cleanupGroupMetadata), so a topic re-created under the same name starts without stale commits.
   */
  async removeTopicOffsets(topics: readonly string[]): Promise<number> {
    const names = new Set(topics);
    const affected = [...this.#groups.values()].filter((g) => [...g.offsets.keys()].some((t) => names.has(t)));
    const removed = await this.cleanupGroupMetadata(affected, (g) => {
      const refs: TopicPartitionRef[] = [];
      for (const [topic, parts] of g.offsets) if (names.has(topic)) for (const partition of parts.keys()) refs.push({ topic, partition });
      return refs;
    });
    if (removed > 0) this.#logger.info(`Removed ${removed} offsets of deleted topics ${[...names].join(', ')} from ${affected.length} groups`);
    return removed;
  }

  /**
   * Kafka's offset retention (KIP-211): offsets of an Empty group expire `retentionMs` after it
   * became empty; a standalone group's offsets (never had members) per commit timestamp; a Stable
   * consumer group loses offsets of topics it no longer subscribes to. Explicit expire timestamps
   * (OffsetCommit v1–v4 retention) win. An Empty group left without offsets is removed.
   */
  async expireOffsets(retentionMs: number): Promise<number> {
    const now = this.#scheduler.now();
    const t0 = performance.now();
    const before = this.#groups.size;
    const removed = await this.cleanupGroupMetadata(this.#groups.values(), (group) => {
      const due: TopicPartitionRef[] = [];
      const consider = (topic: string, partition: number, e: OffsetEntry, base: number): void => {
        if (e.expireTimestamp !== null ? now >= e.expireTimestamp : now >= base + retentionMs) due.push({ topic, partition });
      };
      if (group.is(GroupState.Empty)) {
        for (const [topic, parts] of group.offsets) {
          for (const [partition, e] of parts) consider(topic, partition, e, group.protocolType !== null ? group.stateTimestamp : e.commitTimestamp);
        }
      } else if (group.is(GroupState.Stable) && group.protocolType === 'consumer') {
        const subscribed = group.subscribedTopics();
        if (subscribed) {
          for (const [topic, parts] of group.offsets) {
            if (subscribed.has(topic)) continue;
            for (const [partition, e] of parts) consider(topic, partition, e, e.commitTimestamp);
          }
        }
      }
      return due;
    });
    const groupsRemoved = before - this.#groups.size;
    if (removed > 0 || groupsRemoved > 0) {
      this.#logger.info(`Removed ${removed} expired offsets and ${groupsRemoved} empty groups in ${Math.round(performance.now() - t0)} ms`);
    }
    return removed;
  }

  close(): Promise<void> {
    return this.#log.close();
  }
}
