import { ErrorCode } from './errors.ts';
import { Group, GroupState, Member, type JoinGroupResult, type JoinProtocol, type OffsetEntry, type SyncGroupResult } from './group.ts';
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
import { systemScheduler, type Scheduler } from './scheduler.ts';

/**
 * The classic group coordinator (Kafka's GroupCoordinator semantics), without any network code:
 * the broker's handlers translate decoded requests into these calls and the results back.
 * JoinGroup and SyncGroup return Promises that settle when the rebalance round allows it; every
 * timeout runs on the injected Scheduler, so tests drive time with a ManualScheduler.
 * Committed offsets and group metadata go to an OffsetLog before they are acknowledged, and are
 * rebuilt from it by `GroupCoordinator.load`.
 */

export interface CoordinatorConfig {
  /** group.initial.rebalance.delay.ms: how long a brand-new group waits for more members. */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms. */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** offsets.retention.minutes, in ms. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms. */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes. */
  offsetMetadataMaxBytes: number;
  /** How long a member that has never completed a join round may wait in one (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
}

export const defaultCoordinatorConfig: CoordinatorConfig = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 300_000,
};

export interface JoinGroupParams {
  groupId: string;
  /** "" for a first join. */
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+: an unknown member must first get its id via MEMBER_ID_REQUIRED (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: the response can carry SkipAssignment (KIP-814). */
  supportsSkipAssignment: boolean;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  /** JoinGroup v0 has none: pass -1 (the session timeout is used). */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: JoinProtocol[];
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v5+, else null. */
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface CommitPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
  /** OffsetCommit v1 only; -1 = now. */
  commitTimestamp?: number;
}

export interface OffsetCommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2–v4 retention_time; -1 = broker default. */
  retentionTimeMs?: number;
  topics: { name: string; partitions: CommitPartition[] }[];
}

export type PartitionErrors = { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];

export interface FetchedPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface OffsetFetchResult {
  errorCode: number;
  topics: { name: string; partitions: FetchedPartition[] }[];
}

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

const EMPTY = Buffer.alloc(0);

function joinError(errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

export class GroupCoordinator {
  readonly config: CoordinatorConfig;
  readonly #scheduler: Scheduler;
  readonly #log: OffsetLog;
  readonly #groups = new Map<string, Group>();
  #expiryTimer: unknown = null;
  #closed = false;
  /** Groups whose running join timer is Kafka's InitialDelayedJoin (it never completes early). */
  readonly #joinIsInitial = new WeakSet<Group>();
  /** Records in the log that could not be decoded at load (unknown versions); they were skipped. */
  skippedRecords = 0;

  private constructor(log: OffsetLog, scheduler: Scheduler, config: CoordinatorConfig) {
    this.#log = log;
    this.#scheduler = scheduler;
    this.config = config;
  }

  /** Rebuilds groups and offsets by replaying the log, then starts the offset-expiry timer. */
  static async load(log: OffsetLog, opts: { scheduler?: Scheduler; config?: Partial<CoordinatorConfig> } = {}): Promise<GroupCoordinator> {
    const c = new GroupCoordinator(log, opts.scheduler ?? systemScheduler, { ...defaultCoordinatorConfig, ...opts.config });
    await c.#replay();
    c.#scheduleExpiry();
    return c;
  }

  get groupIds(): string[] {
    return [...this.#groups.keys()];
  }

  /** Test/diagnostic view of a group; do not mutate. */
  group(groupId: string): Group | undefined {
    return this.#groups.get(groupId);
  }

  // ---------------------------------------------------------------- JoinGroup

  joinGroup(p: JoinGroupParams): Promise<JoinGroupResult> {
    if (this.#closed) return Promise.resolve(joinError(ErrorCode.NOT_COORDINATOR, p.memberId));
    if (!p.groupId) return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, p.memberId));
    if (p.sessionTimeoutMs < this.config.minSessionTimeoutMs || p.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, p.memberId));
    }
    const params = { ...p, rebalanceTimeoutMs: p.rebalanceTimeoutMs < 0 ? p.sessionTimeoutMs : p.rebalanceTimeoutMs };
    let group = this.#groups.get(p.groupId);
    if (!group) {
      if (p.memberId !== '') return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
      group = new Group(p.groupId, this.#scheduler.now());
      this.#groups.set(p.groupId, group);
    }
    const g = group;
    return new Promise((resolve) => {
      if (params.memberId === '') this.#unknownMemberJoin(g, params, resolve);
      else this.#knownMemberJoin(g, params, resolve);
    });
  }

  #unknownMemberJoin(group: Group, p: JoinGroupParams, resolve: (r: JoinGroupResult) => void): void {
    if (group.is(GroupState.Dead)) return resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, p.memberId));
    if (!group.supportsProtocols(p.protocolType, p.protocols)) return resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, p.memberId));
    const newMemberId = `${p.clientId}-${process.getBuiltinModule('node:crypto').randomUUID()}`;
    if (p.groupInstanceId !== null) {
      const oldMemberId = group.staticMemberId(p.groupInstanceId);
      if (oldMemberId !== undefined) return this.#replaceStaticMember(group, oldMemberId, newMemberId, p, resolve);
      return this.#addMemberAndRebalance(group, newMemberId, p, resolve);
    }
    if (p.requireKnownMemberId) {
      // KIP-394: hand out the id and wait for the client to come back with it, so a client that
      // times out mid-join cannot leave a ghost member behind.
      const timer = this.#scheduler.setTimeout(() => this.#expirePendingMember(group, newMemberId), p.sessionTimeoutMs);
      group.pendingMembers.set(newMemberId, timer);
      return resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId));
    }
    this.#addMemberAndRebalance(group, newMemberId, p, resolve);
  }

  #knownMemberJoin(group: Group, p: JoinGroupParams, resolve: (r: JoinGroupResult) => void): void {
    if (group.is(GroupState.Dead)) return resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, p.memberId));
    if (!group.supportsProtocols(p.protocolType, p.protocols)) return resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, p.memberId));
    const pending = group.pendingMembers.get(p.memberId);
    if (pending !== undefined) {
      this.#scheduler.clearTimeout(pending);
      group.pendingMembers.delete(p.memberId);
      return this.#addMemberAndRebalance(group, p.memberId, p, resolve);
    }
    if (group.isStaticMemberFenced(p.groupInstanceId, p.memberId)) return resolve(joinError(ErrorCode.FENCED_INSTANCE_ID, p.memberId));
    const member = group.members.get(p.memberId);
    if (!member) return resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return this.#updateMemberAndRebalance(group, member, p, resolve);
      case GroupState.CompletingRebalance:
        // The member lost its JoinGroup response: send it again unless its subscription changed.
        if (member.matches(p.protocols)) {
          this.#heartbeatOk(group, member);
          return resolve(this.#joinResult(group, member, group.leaderId === member.memberId));
        }
        return this.#updateMemberAndRebalance(group, member, p, resolve);
      case GroupState.Stable:
        // A rejoining leader forces a rebalance (it wants to recompute assignments); so does a changed subscription.
        if (group.leaderId === member.memberId || !member.matches(p.protocols)) return this.#updateMemberAndRebalance(group, member, p, resolve);
        this.#heartbeatOk(group, member);
        return resolve(this.#joinResult(group, member, false));
      default:
        return resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
    }
  }

  #joinResult(group: Group, member: Member, withMembers: boolean, leader = group.leaderId ?? '', skipAssignment = false): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader,
      skipAssignment,
      memberId: member.memberId,
      members: withMembers
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(group.protocolName ?? '') }))
        : [],
    };
  }

  #newMember(memberId: string, p: JoinGroupParams): Member {
    return new Member({
      memberId,
      groupInstanceId: p.groupInstanceId,
      clientId: p.clientId,
      clientHost: p.clientHost,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs,
      sessionTimeoutMs: p.sessionTimeoutMs,
      protocolType: p.protocolType,
      protocols: p.protocols,
    });
  }

  #addMemberAndRebalance(group: Group, memberId: string, p: JoinGroupParams, resolve: (r: JoinGroupResult) => void): void {
    const member = this.#newMember(memberId, p);
    member.isNew = true;
    member.joinedAt = this.#scheduler.now();
    member.awaitingJoin = resolve;
    group.add(member);
    if (group.is(GroupState.PreparingRebalance) && group.generationId === 0) group.newMemberAdded = true;
    this.#scheduleHeartbeat(group, member);
    this.#maybePrepareRebalance(group);
    this.#tryCompleteJoin(group);
  }

  #updateMemberAndRebalance(group: Group, member: Member, p: JoinGroupParams, resolve: (r: JoinGroupResult) => void): void {
    member.protocols = p.protocols;
    member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    member.sessionTimeoutMs = p.sessionTimeoutMs;
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
    // A second JoinGroup from the same member supersedes the first (its client has given up on it).
    member.awaitingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    member.awaitingJoin = resolve;
    this.#scheduleHeartbeat(group, member);
    this.#maybePrepareRebalance(group);
    this.#tryCompleteJoin(group);
  }

  #replaceStaticMember(group: Group, oldMemberId: string, newMemberId: string, p: JoinGroupParams, resolve: (r: JoinGroupResult) => void): void {
    const previousLeader = group.leaderId ?? '';
    const replacement = this.#newMember(newMemberId, p);
    const old = group.replaceStaticMember(p.groupInstanceId!, oldMemberId, replacement);
    if (old.heartbeatTimer !== null) this.#scheduler.clearTimeout(old.heartbeatTimer);
    old.heartbeatTimer = null;
    // The old incarnation's outstanding requests belong to a zombie now.
    old.awaitingJoin?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldMemberId));
    old.awaitingSync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    old.awaitingJoin = old.awaitingSync = null;
    const unchanged = old.matches(p.protocols);
    this.#scheduleHeartbeat(group, replacement);
    switch (group.state) {
      case GroupState.Stable: {
        let nextProtocol: string | null = null;
        try {
          nextProtocol = group.selectProtocol();
        } catch {
          nextProtocol = null;
        }
        if (!unchanged && nextProtocol !== group.protocolName) {
          replacement.awaitingJoin = resolve;
          this.#prepareRebalance(group);
          this.#tryCompleteJoin(group);
          return;
        }
        // Same subscription: no rebalance. Persist the new member id, then answer with the current
        // generation. Before v9 the old leader id is returned so a rejoining leader acts as a follower
        // and does not compute an assignment a Stable group would never distribute.
        const isLeader = group.leaderId === newMemberId;
        void this.#storeGroup(group).then(
          () => {
            if (p.supportsSkipAssignment) resolve(this.#joinResult(group, replacement, isLeader, group.leaderId ?? '', isLeader));
            else resolve(this.#joinResult(group, replacement, false, previousLeader));
          },
          () => resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, newMemberId)),
        );
        return;
      }
      case GroupState.CompletingRebalance:
        // The leader may already be assigning to the old member id: start over.
        replacement.awaitingJoin = resolve;
        this.#prepareRebalance(group);
        this.#tryCompleteJoin(group);
        return;
      default:
        replacement.awaitingJoin = resolve;
        this.#maybePrepareRebalance(group);
        this.#tryCompleteJoin(group);
    }
  }

  #expirePendingMember(group: Group, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.#tryCompleteJoin(group);
  }

  #maybePrepareRebalance(group: Group): void {
    if (group.canRebalance) this.#prepareRebalance(group);
  }

  #prepareRebalance(group: Group): void {
    if (group.is(GroupState.CompletingRebalance)) this.#propagateSyncError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.#clearSyncTimer(group);
    group.pendingSync.clear();
    const initial = group.is(GroupState.Empty);
    group.transitionTo(GroupState.PreparingRebalance, this.#scheduler.now());
    this.#clearJoinTimer(group);
    if (initial) {
      // Kafka's InitialDelayedJoin: give a brand-new group time to collect its members before the
      // first generation, extending while members keep arriving, up to the rebalance timeout.
      const delay = this.config.initialRebalanceDelayMs;
      this.#joinIsInitial.add(group);
      this.#scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs - delay, 0));
    } else {
      this.#joinIsInitial.delete(group);
      group.joinTimer = this.#scheduler.setTimeout(() => {
        group.joinTimer = null;
        this.#completeJoin(group);
      }, group.rebalanceTimeoutMs);
    }
  }

  #scheduleInitialJoin(group: Group, delay: number, remaining: number): void {
    group.joinTimer = this.#scheduler.setTimeout(() => {
      group.joinTimer = null;
      if (group.newMemberAdded && remaining > 0) {
        group.newMemberAdded = false;
        const next = Math.min(this.config.initialRebalanceDelayMs, remaining);
        this.#scheduleInitialJoin(group, next, Math.max(remaining - next, 0));
      } else {
        this.#joinIsInitial.delete(group);
        this.#completeJoin(group);
      }
    }, delay);
  }

  #tryCompleteJoin(group: Group): void {
    if (!group.is(GroupState.PreparingRebalance) || this.#joinIsInitial.has(group)) return;
    if (group.allMembersJoined) this.#completeJoin(group);
  }

  #completeJoin(group: Group): void {
    if (!group.is(GroupState.PreparingRebalance)) return;
    this.#clearJoinTimer(group);
    this.#joinIsInitial.delete(group);
    group.newMemberAdded = false;
    for (const m of [...group.members.values()]) {
      if (!m.awaitingJoin) this.#removeMember(group, m);
    }
    const now = this.#scheduler.now();
    group.generationId++;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.transitionTo(GroupState.Empty, now);
      void this.#storeGroup(group).catch(() => undefined);
      return;
    }
    let protocol: string;
    try {
      protocol = group.selectProtocol();
    } catch {
      // Cannot happen while JoinGroup checks supportsProtocols; fail loudly rather than hang members.
      for (const m of [...group.members.values()]) {
        m.awaitingJoin?.(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, m.memberId));
        m.awaitingJoin = null;
        this.#removeMember(group, m);
      }
      group.protocolName = null;
      group.transitionTo(GroupState.Empty, now);
      return;
    }
    group.protocolName = protocol;
    group.transitionTo(GroupState.CompletingRebalance, now);
    for (const m of group.members.values()) {
      m.assignment = EMPTY;
      group.pendingSync.add(m.memberId);
    }
    for (const m of group.members.values()) {
      const respond = m.awaitingJoin!;
      m.awaitingJoin = null;
      m.isNew = false;
      this.#scheduleHeartbeat(group, m);
      respond(this.#joinResult(group, m, group.leaderId === m.memberId));
    }
    const generation = group.generationId;
    group.syncTimer = this.#scheduler.setTimeout(() => {
      group.syncTimer = null;
      this.#expirePendingSync(group, generation);
    }, group.rebalanceTimeoutMs);
  }

  /** Members that got their JoinGroup answer but never sent SyncGroup within the rebalance timeout. */
  #expirePendingSync(group: Group, generation: number): void {
    if (group.generationId !== generation) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    if (group.pendingSync.size === 0) return;
    for (const id of [...group.pendingSync]) {
      const m = group.members.get(id);
      if (m) this.#removeMember(group, m);
    }
    group.pendingSync.clear();
    this.#prepareRebalance(group);
    this.#tryCompleteJoin(group);
  }

  #clearJoinTimer(group: Group): void {
    if (group.joinTimer !== null) this.#scheduler.clearTimeout(group.joinTimer);
    group.joinTimer = null;
  }

  #clearSyncTimer(group: Group): void {
    if (group.syncTimer !== null) this.#scheduler.clearTimeout(group.syncTimer);
    group.syncTimer = null;
  }

  #removePendingSync(group: Group, memberId: string): void {
    group.pendingSync.delete(memberId);
    if (group.pendingSync.size === 0) this.#clearSyncTimer(group);
  }

  // ---------------------------------------------------------------- member liveness

  #scheduleHeartbeat(group: Group, member: Member): void {
    if (member.heartbeatTimer !== null) this.#scheduler.clearTimeout(member.heartbeatTimer);
    const timeout = member.isNew ? this.config.newMemberJoinTimeoutMs : member.sessionTimeoutMs;
    member.heartbeatTimer = this.#scheduler.setTimeout(() => {
      member.heartbeatTimer = null;
      this.#onHeartbeatExpired(group, member);
    }, timeout);
  }

  #heartbeatOk(group: Group, member: Member): void {
    this.#scheduleHeartbeat(group, member);
  }

  #onHeartbeatExpired(group: Group, member: Member): void {
    if (group.members.get(member.memberId) !== member) return;
    // A member parked in JoinGroup or SyncGroup cannot heartbeat; the join/sync timeouts govern it.
    if ((member.awaitingJoin && !member.isNew) || member.awaitingSync) {
      this.#scheduleHeartbeat(group, member);
      return;
    }
    this.#removeMemberAndUpdateGroup(group, member);
  }

  /** Removes a member and its timers, failing any request it has parked. Does not rebalance. */
  #removeMember(group: Group, member: Member): void {
    if (member.heartbeatTimer !== null) this.#scheduler.clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = null;
    member.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.awaitingSync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = member.awaitingSync = null;
    group.remove(member.memberId);
  }

  #removeMemberAndUpdateGroup(group: Group, member: Member): void {
    this.#removeMember(group, member);
    switch (group.state) {
      case GroupState.PreparingRebalance:
        this.#tryCompleteJoin(group);
        break;
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        this.#prepareRebalance(group);
        this.#tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- SyncGroup

  syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    if (this.#closed) return Promise.resolve(syncError(ErrorCode.NOT_COORDINATOR));
    const group = this.#groups.get(p.groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is(GroupState.Dead)) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (group.isStaticMemberFenced(p.groupInstanceId, p.memberId)) return Promise.resolve(syncError(ErrorCode.FENCED_INSTANCE_ID));
    const member = group.members.get(p.memberId);
    if (!member) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (p.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if ((p.protocolType !== null && p.protocolType !== group.protocolType) || (p.protocolName !== null && p.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case GroupState.Empty:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case GroupState.PreparingRebalance:
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case GroupState.Stable:
        // A follower whose SyncGroup arrives after the leader's completed the round.
        this.#removePendingSync(group, member.memberId);
        this.#heartbeatOk(group, member);
        return Promise.resolve(this.#syncResult(group, member));
      default:
        break;
    }
    return new Promise((resolve) => {
      member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      member.awaitingSync = resolve;
      this.#removePendingSync(group, member.memberId);
      this.#heartbeatOk(group, member);
      if (group.leaderId !== member.memberId) return;
      const given = new Map(p.assignments.map((a) => [a.memberId, a.assignment]));
      const generation = group.generationId;
      const assignments = new Map<string, Buffer>();
      for (const id of group.members.keys()) assignments.set(id, given.get(id) ?? EMPTY);
      // The assignment is made durable before anyone sees it, as Kafka does.
      this.#storeGroup(group, assignments).then(
        () => {
          if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return;
          for (const [id, a] of assignments) {
            const m = group.members.get(id);
            if (m) m.assignment = a;
          }
          group.transitionTo(GroupState.Stable, this.#scheduler.now());
          for (const m of group.members.values()) {
            const respond = m.awaitingSync;
            m.awaitingSync = null;
            respond?.(this.#syncResult(group, m));
          }
        },
        () => {
          if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return;
          this.#propagateSyncError(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
          this.#prepareRebalance(group);
          this.#tryCompleteJoin(group);
        },
      );
    });
  }

  #syncResult(group: Group, member: Member): SyncGroupResult {
    return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  #propagateSyncError(group: Group, errorCode: number): void {
    for (const m of group.members.values()) {
      m.assignment = EMPTY;
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      respond?.(syncError(errorCode));
    }
  }

  // ---------------------------------------------------------------- Heartbeat / LeaveGroup

  heartbeat(p: HeartbeatParams): number {
    if (this.#closed) return ErrorCode.NOT_COORDINATOR;
    const group = this.#groups.get(p.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(p.groupInstanceId, p.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    const member = group.members.get(p.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case GroupState.Empty:
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case GroupState.PreparingRebalance:
        this.#heartbeatOk(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.#heartbeatOk(group, member);
        return ErrorCode.NONE;
    }
  }

  leaveGroup(groupId: string, leaving: LeavingMember[]): LeaveGroupResult {
    if (this.#closed) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    const group = this.#groups.get(groupId);
    if (!group) {
      return { errorCode: ErrorCode.NONE, members: leaving.map((l) => ({ ...l, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    }
    if (group.is(GroupState.Dead)) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((l) => ({ ...l, errorCode: this.#leaveOne(group, l) }));
    return { errorCode: ErrorCode.NONE, members };
  }

  #leaveOne(group: Group, l: LeavingMember): number {
    if (l.groupInstanceId !== null) {
      const id = group.staticMemberId(l.groupInstanceId);
      if (id === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (l.memberId !== '' && l.memberId !== id) return ErrorCode.FENCED_INSTANCE_ID;
      this.#removeMemberAndUpdateGroup(group, group.members.get(id)!);
      return ErrorCode.NONE;
    }
    const pending = group.pendingMembers.get(l.memberId);
    if (pending !== undefined) {
      this.#scheduler.clearTimeout(pending);
      group.pendingMembers.delete(l.memberId);
      this.#tryCompleteJoin(group);
      return ErrorCode.NONE;
    }
    const member = group.members.get(l.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.#removeMemberAndUpdateGroup(group, member);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- offsets

  /** Resolves after the commit is durable in the offset log (or failed). */
  async commitOffsets(p: OffsetCommitParams): Promise<PartitionErrors> {
    const allWith = (errorCode: number): PartitionErrors =>
      p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((q) => ({ partitionIndex: q.partitionIndex, errorCode })) }));
    if (this.#closed) return allWith(ErrorCode.NOT_COORDINATOR);
    let group = this.#groups.get(p.groupId);
    if (!group) {
      // Only a commit from outside group management (generation -1) may create a group.
      if (p.generationId >= 0) return allWith(ErrorCode.ILLEGAL_GENERATION);
      group = new Group(p.groupId, this.#scheduler.now());
      this.#groups.set(p.groupId, group);
    }
    const error = this.#validateCommit(group, p);
    if (error !== ErrorCode.NONE) return allWith(error);
    if (group.is(GroupState.CompletingRebalance)) return allWith(ErrorCode.REBALANCE_IN_PROGRESS);
    const member = group.members.get(p.memberId);
    if (member) this.#heartbeatOk(group, member);

    const now = this.#scheduler.now();
    const result: PartitionErrors = [];
    const records: OffsetLogRecord[] = [];
    const accepted: { topic: string; partition: number; entry: OffsetEntry }[] = [];
    for (const t of p.topics) {
      const parts: { partitionIndex: number; errorCode: number }[] = [];
      result.push({ name: t.name, partitions: parts });
      for (const q of t.partitions) {
        const metadata = q.committedMetadata ?? '';
        if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes) {
          parts.push({ partitionIndex: q.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
          continue;
        }
        const commitTimestamp = q.commitTimestamp !== undefined && q.commitTimestamp >= 0 ? q.commitTimestamp : now;
        const retention = p.retentionTimeMs ?? -1;
        const entry: OffsetEntry = {
          offset: q.committedOffset,
          leaderEpoch: q.committedLeaderEpoch,
          metadata,
          commitTimestamp,
          expireTimestamp: retention >= 0 ? commitTimestamp + retention : null,
        };
        records.push({ key: encodeOffsetKey(p.groupId, t.name, q.partitionIndex), value: encodeOffsetValue(entry) });
        accepted.push({ topic: t.name, partition: q.partitionIndex, entry });
        parts.push({ partitionIndex: q.partitionIndex, errorCode: ErrorCode.NONE });
      }
    }
    try {
      await this.#log.append(records);
    } catch {
      for (const t of result) for (const q of t.partitions) if (q.errorCode === ErrorCode.NONE) q.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      return result;
    }
    // The group may have been deleted while the append was in flight; then the commit re-creates it
    // (the records are in the log and would come back at the next load anyway).
    let target = this.#groups.get(p.groupId);
    if (!target) {
      target = new Group(p.groupId, this.#scheduler.now());
      this.#groups.set(p.groupId, target);
    }
    for (const a of accepted) target.setOffset(a.topic, a.partition, a.entry);
    return result;
  }

  #validateCommit(group: Group, p: OffsetCommitParams): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      if (group.isStaticMemberFenced(p.groupInstanceId, p.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
      if (!group.members.has(p.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      return ErrorCode.NONE;
    }
    // A standalone commit (no generation, no member) is only accepted while nobody is in the group.
    if (!group.is(GroupState.Empty)) return ErrorCode.UNKNOWN_MEMBER_ID;
    return ErrorCode.NONE;
  }

  /** `topics` null = every committed offset of the group. Partitions without a commit get offset -1. */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): OffsetFetchResult {
    if (this.#closed) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
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

  async deleteOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[]): Promise<{ errorCode: number; topics: PartitionErrors }> {
    if (this.#closed) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    const group = this.#groups.get(groupId);
    if (!group || group.is(GroupState.Dead)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    if (!group.is(GroupState.Empty) && group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    const result: PartitionErrors = [];
    const records: OffsetLogRecord[] = [];
    const toDelete: { topic: string; partition: number }[] = [];
    for (const t of topics) {
      const subscribed = !group.is(GroupState.Empty) && group.isSubscribedToTopic(t.name);
      result.push({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          if (subscribed) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          if (group.getOffset(t.name, partitionIndex)) {
            records.push({ key: encodeOffsetKey(groupId, t.name, partitionIndex), value: null });
            toDelete.push({ topic: t.name, partition: partitionIndex });
          }
          return { partitionIndex, errorCode: ErrorCode.NONE };
        }),
      });
    }
    try {
      await this.#log.append(records);
    } catch {
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
    }
    for (const d of toDelete) group.deleteOffset(d.topic, d.partition);
    return { errorCode: ErrorCode.NONE, topics: result };
  }

  /**
   * Kafka's offset retention (KIP-211): offsets of an Empty group expire `offsetsRetentionMs` after it
   * became empty; a standalone group's offsets (never had members) expire per commit timestamp; a
   * Stable consumer group loses offsets of topics it no longer subscribes to. An Empty group left
   * with no offsets is removed. Runs on a timer; exposed for tests and admin.
   */
  async expireOffsets(): Promise<number> {
    const now = this.#scheduler.now();
    const retention = this.config.offsetsRetentionMs;
    const records: OffsetLogRecord[] = [];
    const deadGroups: Group[] = [];
    let expired = 0;
    for (const group of this.#groups.values()) {
      const expiredHere: { topic: string; partition: number }[] = [];
      const consider = (topic: string, partition: number, e: OffsetEntry, base: number): void => {
        const due = e.expireTimestamp !== null ? now >= e.expireTimestamp : now >= base + retention;
        if (due) expiredHere.push({ topic, partition });
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
      for (const x of expiredHere) {
        group.deleteOffset(x.topic, x.partition);
        records.push({ key: encodeOffsetKey(group.groupId, x.topic, x.partition), value: null });
      }
      expired += expiredHere.length;
      if (group.is(GroupState.Empty) && !group.hasOffsets && group.members.size === 0 && group.pendingMembers.size === 0) {
        deadGroups.push(group);
      }
    }
    for (const g of deadGroups) {
      g.transitionTo(GroupState.Dead, now);
      this.#groups.delete(g.groupId);
      if (g.protocolType !== null) records.push({ key: encodeGroupKey(g.groupId), value: null });
    }
    await this.#log.append(records);
    return expired;
  }

  #scheduleExpiry(): void {
    this.#expiryTimer = this.#scheduler.setTimeout(() => {
      this.#expiryTimer = null;
      if (this.#closed) return;
      void this.expireOffsets()
        .catch(() => undefined)
        .finally(() => {
          if (!this.#closed) this.#scheduleExpiry();
        });
    }, this.config.offsetsRetentionCheckIntervalMs);
  }

  // ---------------------------------------------------------------- admin

  describeGroups(groupIds: string[]): GroupDescription[] {
    return groupIds.map((groupId) => {
      const group = this.#groups.get(groupId);
      if (this.#closed) return { errorCode: ErrorCode.NOT_COORDINATOR, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
      if (!group) return { errorCode: ErrorCode.NONE, groupId, groupState: GroupState.Dead, protocolType: '', protocolData: '', members: [] };
      // Like Kafka, metadata and assignments are shown only for a Stable group (they are in flux otherwise).
      const stable = group.is(GroupState.Stable);
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? (group.protocolName ?? '') : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? m.metadataFor(group.protocolName ?? '') : EMPTY,
          memberAssignment: stable ? m.assignment : EMPTY,
        })),
      };
    });
  }

  /** statesFilter (ListGroups v4+) and typesFilter (v5+) match case-insensitively; empty = all. */
  listGroups(statesFilter: string[] = [], typesFilter: string[] = []): ListedGroup[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const out: ListedGroup[] = [];
    for (const g of this.#groups.values()) {
      if (g.is(GroupState.Dead)) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return out;
  }

  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const out: { groupId: string; errorCode: number }[] = [];
    const records: OffsetLogRecord[] = [];
    const deleted: Group[] = [];
    for (const groupId of groupIds) {
      const group = this.#groups.get(groupId);
      if (this.#closed) out.push({ groupId, errorCode: ErrorCode.NOT_COORDINATOR });
      else if (!group || group.is(GroupState.Dead)) out.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
      else if (!group.is(GroupState.Empty)) out.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
      else {
        for (const [topic, parts] of group.offsets) for (const partition of parts.keys()) records.push({ key: encodeOffsetKey(groupId, topic, partition), value: null });
        records.push({ key: encodeGroupKey(groupId), value: null });
        for (const timer of group.pendingMembers.values()) this.#scheduler.clearTimeout(timer);
        group.pendingMembers.clear();
        group.transitionTo(GroupState.Dead, this.#scheduler.now());
        this.#groups.delete(groupId);
        deleted.push(group);
        out.push({ groupId, errorCode: ErrorCode.NONE });
      }
    }
    try {
      await this.#log.append(records);
    } catch {
      // The groups are gone from memory but their tombstones are not durable: report it.
      const ids = new Set(deleted.map((g) => g.groupId));
      for (const o of out) if (ids.has(o.groupId)) o.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return out;
  }

  // ---------------------------------------------------------------- persistence

  #storeGroup(group: Group, assignments?: Map<string, Buffer>): Promise<void> {
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

  async #replay(): Promise<void> {
    const stored = new Map<string, StoredGroup>();
    const now = this.#scheduler.now();
    const getOrCreate = (id: string): Group => {
      let g = this.#groups.get(id);
      if (!g) this.#groups.set(id, (g = new Group(id, now)));
      return g;
    };
    await this.#log.replay((r) => {
      try {
        const key = decodeKey(r.key);
        if (key.kind === 'offset') {
          if (r.value === null) this.#groups.get(key.groupId)?.deleteOffset(key.topic, key.partition);
          else getOrCreate(key.groupId).setOffset(key.topic, key.partition, decodeOffsetValue(r.value));
        } else if (r.value === null) {
          stored.delete(key.groupId);
          const g = this.#groups.get(key.groupId);
          if (g && !g.hasOffsets) this.#groups.delete(key.groupId);
        } else {
          stored.set(key.groupId, decodeGroupValue(r.value));
        }
      } catch {
        this.skippedRecords++;
      }
    });
    for (const [id, s] of stored) {
      const g = getOrCreate(id);
      g.protocolType = s.protocolType;
      g.generationId = s.generationId;
      g.protocolName = s.protocolName;
      if (s.members.length === 0 || s.protocolName === null) {
        g.transitionTo(GroupState.Empty, s.stateTimestamp >= 0 ? s.stateTimestamp : now);
        continue;
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
      g.transitionTo(GroupState.Stable, s.stateTimestamp >= 0 ? s.stateTimestamp : now);
      for (const m of g.members.values()) this.#scheduleHeartbeat(g, m);
    }
  }

  /** Stops all timers, answers parked requests with NOT_COORDINATOR, and closes the offset log. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#expiryTimer !== null) this.#scheduler.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = null;
    for (const g of this.#groups.values()) {
      this.#clearJoinTimer(g);
      this.#clearSyncTimer(g);
      for (const t of g.pendingMembers.values()) this.#scheduler.clearTimeout(t);
      for (const m of g.members.values()) {
        if (m.heartbeatTimer !== null) this.#scheduler.clearTimeout(m.heartbeatTimer);
        m.heartbeatTimer = null;
        m.awaitingJoin?.(joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
        m.awaitingSync?.(syncError(ErrorCode.NOT_COORDINATOR));
        m.awaitingJoin = m.awaitingSync = null;
      }
    }
    await this.#log.close();
  }
}
