import { ErrorCode } from '../protocol/error-codes.ts';
import type {
  GroupDescription,
  HeartbeatParams,
  JoinGroupParams,
  LeaveGroupResult,
  LeavingMember,
  ListedGroup,
  OffsetCommitParams,
  OffsetFetchResult,
  PartitionErrors,
  SyncGroupParams,
} from './coordinator-api.ts';
import { defaultCoordinatorConfig, quietLogger, type CoordinatorConfig, type CoordinatorLogger } from './coordinator-config.ts';
import { GroupState, joinError, Member, syncError, type Group, type JoinGroupResult, type SyncGroupResult } from './group.ts';
import { GroupRebalancer } from './group-rebalancer.ts';
import { GroupMetadataManager, type LoadStats } from './group-metadata-manager.ts';
import { commitOffsets, deleteOffsets } from './committed-offsets.ts';
import type { OffsetLog } from './offset-log.ts';
import { systemScheduler, type Scheduler } from './scheduler.ts';
import type { TransactionResult } from './transaction-marker-writer.ts';
import type { TransactionalOffsetStore, TxnOffsetCommitParams, TxnOffsetCommitPartitionResult } from './transactional-offsets.ts';
import { commitTransactionalOffsets, type TxnOffsetCommitDeps } from './txn-offset-commit.ts';

export type * from './coordinator-api.ts';
export { defaultCoordinatorConfig, type CoordinatorConfig, type CoordinatorLogger } from './coordinator-config.ts';

/**
 * The classic group coordinator (Kafka's GroupCoordinator semantics), without any network code:
 * the broker's handlers translate decoded requests into these calls and the results back.
 * JoinGroup and SyncGroup return Promises that settle when the rebalance round allows it; every
 * timeout runs on the injected Scheduler, so tests drive time with a ManualScheduler.
 * What must survive a restart (group metadata, committed offsets, their tombstones) goes through
 * the GroupMetadataManager, which owns the group cache and the offsets log. The offset requests'
 * checks are their own files' (committed-offsets.ts for OffsetCommit/OffsetDelete, txn-offset-commit.ts).
 */

const EMPTY = Buffer.alloc(0);

export class GroupCoordinator implements TransactionalOffsetStore {
  readonly config: CoordinatorConfig;
  readonly #scheduler: Scheduler;
  readonly #logger: CoordinatorLogger;
  readonly #groups: GroupMetadataManager;
  #expiryTimer: unknown = null;
  readonly #rebalancer: GroupRebalancer;
  #closed = false;

  private constructor(log: OffsetLog, scheduler: Scheduler, config: CoordinatorConfig, logger: CoordinatorLogger) {
    this.#scheduler = scheduler;
    this.#logger = logger;
    this.#groups = new GroupMetadataManager(log, scheduler, logger);
    this.config = config;
    this.#rebalancer = new GroupRebalancer(config, scheduler, logger, this.#groups);
  }

  /** Rebuilds groups and offsets from the log, restarts loaded members' session timers and the offset-expiry timer. */
  static async load(
    log: OffsetLog,
    opts: { scheduler?: Scheduler; config?: Partial<CoordinatorConfig>; logger?: CoordinatorLogger } = {},
  ): Promise<GroupCoordinator> {
    const c = new GroupCoordinator(log, opts.scheduler ?? systemScheduler, { ...defaultCoordinatorConfig, ...opts.config }, opts.logger ?? quietLogger);
    await c.#groups.load();
    for (const g of c.#groups.groups()) for (const m of g.members.values()) c.#rebalancer.scheduleHeartbeat(g, m);
    c.#scheduleExpiry();
    return c;
  }

  /** What the start-up load read and kept. */
  get loadStats(): LoadStats {
    return this.#groups.loadStats;
  }

  get groupIds(): string[] {
    return this.#groups.groupIds;
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
    if (!this.#groups.get(p.groupId) && p.memberId !== '') return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
    const g = this.#groups.getOrCreate(p.groupId);
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
      const timer = this.#scheduler.setTimeout(() => this.#rebalancer.expirePendingMember(group, newMemberId), p.sessionTimeoutMs);
      group.pendingMembers.set(newMemberId, timer);
      this.#logger.info(
        `Dynamic member with unknown member id joins group ${group.groupId} in ${group.state} state. ` +
          `Created a new member id ${newMemberId} and requested the member to rejoin with this id`,
      );
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
        return this.#updateMemberAndRebalance(group, member, p, resolve, `Updating metadata for member ${member.memberId} during ${group.state}`);
      case GroupState.CompletingRebalance:
        // The member lost its JoinGroup response: send it again unless its subscription changed.
        if (member.matches(p.protocols)) {
          this.#rebalancer.heartbeatOk(group, member);
          return resolve(this.#rebalancer.joinResult(group, member, group.leaderId === member.memberId));
        }
        return this.#updateMemberAndRebalance(group, member, p, resolve, `Updating metadata for member ${member.memberId} during ${group.state}`);
      case GroupState.Stable:
        // A rejoining leader forces a rebalance (it wants to recompute assignments); so does a changed subscription.
        if (group.leaderId === member.memberId) return this.#updateMemberAndRebalance(group, member, p, resolve, `Leader ${member.memberId} re-joining group during Stable`);
        if (!member.matches(p.protocols)) return this.#updateMemberAndRebalance(group, member, p, resolve, `Updating metadata for member ${member.memberId} during Stable`);
        this.#rebalancer.heartbeatOk(group, member);
        return resolve(this.#rebalancer.joinResult(group, member, false));
      default:
        return resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
    }
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
    // Kafka: a member joining while an initial (from Empty) rebalance waits extends the wait.
    if (this.#rebalancer.isInitialRebalance(group)) group.newMemberAdded = true;
    this.#logger.info(`Member ${memberId} (client ${p.clientId}, ${p.clientHost}) joins group ${group.groupId} in ${group.state} state`);
    this.#rebalancer.scheduleHeartbeat(group, member);
    this.#rebalancer.maybePrepareRebalance(group, `Adding new member ${memberId} with group instance id ${p.groupInstanceId ?? 'None'}`);
    this.#rebalancer.tryCompleteJoin(group);
  }

  #updateMemberAndRebalance(group: Group, member: Member, p: JoinGroupParams, resolve: (r: JoinGroupResult) => void, reason: string): void {
    member.protocols = p.protocols;
    member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    member.sessionTimeoutMs = p.sessionTimeoutMs;
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
    // A second JoinGroup from the same member supersedes the first (its client has given up on it).
    member.awaitingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    member.awaitingJoin = resolve;
    this.#rebalancer.scheduleHeartbeat(group, member);
    this.#rebalancer.maybePrepareRebalance(group, reason);
    this.#rebalancer.tryCompleteJoin(group);
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
    this.#logger.info(`Static member with instance id ${p.groupInstanceId} of group ${group.groupId} rejoins with a new member id ${newMemberId} (was ${oldMemberId})`);
    this.#rebalancer.scheduleHeartbeat(group, replacement);
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
          this.#rebalancer.prepareRebalance(group, `Group's selected protocol will change because static member ${newMemberId} with instance id ${p.groupInstanceId} joined with a change of protocol`);
          this.#rebalancer.tryCompleteJoin(group);
          return;
        }
        // Same subscription: no rebalance. Persist the new member id, then answer with the current
        // generation. Before v9 the old leader id is returned so a rejoining leader acts as a follower
        // and does not compute an assignment a Stable group would never distribute.
        const isLeader = group.leaderId === newMemberId;
        void this.#groups.storeGroup(group).then(
          () => {
            if (p.supportsSkipAssignment) resolve(this.#rebalancer.joinResult(group, replacement, isLeader, group.leaderId ?? '', isLeader));
            else resolve(this.#rebalancer.joinResult(group, replacement, false, previousLeader));
          },
          () => resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, newMemberId)),
        );
        return;
      }
      case GroupState.CompletingRebalance:
        // The leader may already be assigning to the old member id: start over.
        replacement.awaitingJoin = resolve;
        this.#rebalancer.prepareRebalance(group, `Updating metadata for static member ${newMemberId} with instance id ${p.groupInstanceId}`);
        this.#rebalancer.tryCompleteJoin(group);
        return;
      default:
        replacement.awaitingJoin = resolve;
        this.#rebalancer.maybePrepareRebalance(group, `Replacing static member with instance id ${p.groupInstanceId}`);
        this.#rebalancer.tryCompleteJoin(group);
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
        this.#rebalancer.removePendingSync(group, member.memberId);
        this.#rebalancer.heartbeatOk(group, member);
        return Promise.resolve(this.#syncResult(group, member));
      default:
        break;
    }
    return new Promise((resolve) => {
      member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      member.awaitingSync = resolve;
      this.#rebalancer.removePendingSync(group, member.memberId);
      this.#rebalancer.heartbeatOk(group, member);
      if (group.leaderId !== member.memberId) return;
      const given = new Map(p.assignments.map((a) => [a.memberId, a.assignment]));
      const generation = group.generationId;
      const assignments = new Map<string, Buffer>();
      for (const id of group.members.keys()) assignments.set(id, given.get(id) ?? EMPTY);
      // The assignment is made durable before anyone sees it, as Kafka does.
      this.#groups.storeGroup(group, assignments).then(
        () => {
          if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return;
          for (const [id, a] of assignments) {
            const m = group.members.get(id);
            if (m) m.assignment = a;
          }
          const now = this.#scheduler.now();
          group.transitionTo(GroupState.Stable, now);
          this.#logger.info(
            `Completed rebalance of group ${group.groupId}: generation ${generation} is Stable with ${group.members.size} members ` +
              `(assignment from leader ${member.memberId}) in ${now - group.rebalanceStartedAt} ms (reason: ${group.rebalanceReason})`,
          );
          for (const m of group.members.values()) {
            const respond = m.awaitingSync;
            m.awaitingSync = null;
            respond?.(this.#syncResult(group, m));
          }
        },
        (err: unknown) => {
          this.#logger.warn(`storing the assignment of group ${group.groupId} generation ${generation} failed: ${(err as Error).message}`);
          if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return;
          this.#rebalancer.propagateSyncError(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
          this.#rebalancer.prepareRebalance(group, 'error COORDINATOR_NOT_AVAILABLE when storing the group assignment during SyncGroup');
          this.#rebalancer.tryCompleteJoin(group);
        },
      );
    });
  }

  #syncResult(group: Group, member: Member): SyncGroupResult {
    return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
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
        this.#rebalancer.heartbeatOk(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.#rebalancer.heartbeatOk(group, member);
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
      this.#logger.info(`Static member ${id} with instance id ${l.groupInstanceId} has left group ${group.groupId} through explicit LeaveGroup`);
      this.#rebalancer.removeMemberAndUpdateGroup(group, group.members.get(id)!, `removing member ${id} on LeaveGroup`);
      return ErrorCode.NONE;
    }
    const pending = group.pendingMembers.get(l.memberId);
    if (pending !== undefined) {
      this.#scheduler.clearTimeout(pending);
      group.pendingMembers.delete(l.memberId);
      this.#rebalancer.tryCompleteJoin(group);
      return ErrorCode.NONE;
    }
    const member = group.members.get(l.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.#logger.info(`Member ${member.memberId} has left group ${group.groupId} through explicit LeaveGroup`);
    this.#rebalancer.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on LeaveGroup`);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- offsets

  /** OffsetCommit (see committed-offsets.ts). Resolves after the commit is durable in the offset log (or failed). */
  commitOffsets(p: OffsetCommitParams): Promise<PartitionErrors> {
    return commitOffsets({ ...this.#offsetDeps(), heartbeatOk: (group, member) => this.#rebalancer.heartbeatOk(group, member) }, p);
  }

  /** What the offset requests (committed-offsets.ts, txn-offset-commit.ts) read of the coordinator now. */
  #offsetDeps(): TxnOffsetCommitDeps {
    return { groups: this.#groups, now: this.#scheduler.now(), closed: this.#closed, offsetMetadataMaxBytes: this.config.offsetMetadataMaxBytes };
  }

  // ---------------------------------------------------------------- transactional offsets (TxnOffsetCommit)

  /** TxnOffsetCommit (see txn-offset-commit.ts): KIP-447 checks, then a pending transactional commit. */
  commitTransactionalOffsets(p: TxnOffsetCommitParams): Promise<TxnOffsetCommitPartitionResult[]> {
    return commitTransactionalOffsets(this.#offsetDeps(), p);
  }

  async completeTransaction(producerId: bigint, _offsetsPartition: number, result: TransactionResult): Promise<void> {
    this.#groups.completeTxnOffsets(producerId, result === 'commit');
  }

  hasPendingTransactionalOffsets(groupId: string, topic: string, partition: number): boolean {
    return this.#groups.pendingTxn.has(groupId, topic, partition);
  }

  /** `topics` null = every committed offset of the group. Partitions without a commit get offset -1. */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): OffsetFetchResult {
    if (this.#closed) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    return this.#groups.getOffsets(groupId, topics);
  }

  /** OffsetDelete (see committed-offsets.ts). */
  deleteOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[]): Promise<{ errorCode: number; topics: PartitionErrors }> {
    return deleteOffsets({ groups: this.#groups, closed: this.#closed }, groupId, topics);
  }

  /** Offset retention (KIP-211, see GroupMetadataManager.expireOffsets). Runs on a timer; exposed for tests and admin. */
  expireOffsets(): Promise<number> {
    return this.#groups.expireOffsets(this.config.offsetsRetentionMs);
  }

  /**
   * A topic was deleted: its committed offsets go from every group, durably. Never rejects (the
   * topic is gone either way); a failed write is logged, and the offsets then return at restart.
   */
  async onTopicsDeleted(topics: readonly string[]): Promise<void> {
    if (this.#closed || topics.length === 0) return;
    try {
      await this.#groups.removeTopicOffsets(topics);
    } catch (err) {
      this.#logger.error(`removing committed offsets of deleted topics ${topics.join(', ')}: ${(err as Error).message}`);
    }
  }

  #scheduleExpiry(): void {
    this.#expiryTimer = this.#scheduler.setTimeout(() => {
      this.#expiryTimer = null;
      if (this.#closed) return;
      void this.expireOffsets()
        .catch((err: unknown) => this.#logger.error(`offset expiration: ${(err as Error).message}`))
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
    for (const g of this.#groups.groups()) {
      if (g.is(GroupState.Dead)) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return out;
  }

  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const out: { groupId: string; errorCode: number }[] = [];
    const deleted: Group[] = [];
    for (const groupId of groupIds) {
      const group = this.#groups.get(groupId);
      if (this.#closed) out.push({ groupId, errorCode: ErrorCode.NOT_COORDINATOR });
      else if (!group || group.is(GroupState.Dead)) out.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
      else if (!group.is(GroupState.Empty)) out.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
      else {
        for (const timer of group.pendingMembers.values()) this.#scheduler.clearTimeout(timer);
        group.pendingMembers.clear();
        group.transitionTo(GroupState.Dead, this.#scheduler.now());
        deleted.push(group);
        out.push({ groupId, errorCode: ErrorCode.NONE });
      }
    }
    if (deleted.length === 0) return out;
    try {
      await this.#groups.deleteGroups(deleted);
      this.#logger.info(`The following groups were deleted: ${deleted.map((g) => g.groupId).join(', ')}`);
    } catch {
      // The groups are gone from memory but their tombstones are not durable: report it.
      const ids = new Set(deleted.map((g) => g.groupId));
      for (const o of out) if (ids.has(o.groupId)) o.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return out;
  }

  /** Stops all timers, answers parked requests with NOT_COORDINATOR, and closes the offset log. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#expiryTimer !== null) this.#scheduler.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = null;
    for (const g of this.#groups.groups()) {
      this.#rebalancer.clearJoinTimer(g);
      this.#rebalancer.clearSyncTimer(g);
      for (const t of g.pendingMembers.values()) this.#scheduler.clearTimeout(t);
      for (const m of g.members.values()) {
        if (m.heartbeatTimer !== null) this.#scheduler.clearTimeout(m.heartbeatTimer);
        m.heartbeatTimer = null;
        m.awaitingJoin?.(joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
        m.awaitingSync?.(syncError(ErrorCode.NOT_COORDINATOR));
        m.awaitingJoin = m.awaitingSync = null;
      }
    }
    await this.#groups.close();
  }
}
