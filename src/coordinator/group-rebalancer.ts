import { ErrorCode } from '../protocol/error-codes.ts';
import type { CoordinatorConfig, CoordinatorLogger } from './coordinator-config.ts';
import { GroupState, joinError, syncError, type Group, type JoinGroupResult, type Member } from './group.ts';
import type { GroupMetadataManager } from './group-metadata-manager.ts';
import type { Scheduler } from './scheduler.ts';

/**
 * A group's rebalance rounds and member liveness, on the injected scheduler: Kafka's DelayedJoin
 * (a round completes when every member has rejoined, or at the rebalance timeout), InitialDelayedJoin
 * (a new group waits group.initial.rebalance.delay.ms for more members), the pending-sync expiry and
 * DelayedHeartbeat (session timeouts). The GroupCoordinator decides when a round starts; this class
 * runs it, answers the parked JoinGroup requests and logs each step as Kafka does.
 */

const EMPTY = Buffer.alloc(0);

export class GroupRebalancer {
  readonly config: CoordinatorConfig;
  readonly #scheduler: Scheduler;
  readonly #logger: CoordinatorLogger;
  readonly #groups: GroupMetadataManager;
  /** Groups whose running join timer is Kafka's InitialDelayedJoin (it never completes early). */
  readonly #joinIsInitial = new WeakSet<Group>();

  constructor(config: CoordinatorConfig, scheduler: Scheduler, logger: CoordinatorLogger, groups: GroupMetadataManager) {
    this.config = config;
    this.#scheduler = scheduler;
    this.#logger = logger;
    this.#groups = groups;
  }

  joinResult(group: Group, member: Member, withMembers: boolean, leader = group.leaderId ?? '', skipAssignment = false): JoinGroupResult {
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

  expirePendingMember(group: Group, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.#logger.info(`Pending member ${memberId} in group ${group.groupId} has been removed after session timeout expiration`);
    this.tryCompleteJoin(group);
  }

  maybePrepareRebalance(group: Group, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  prepareRebalance(group: Group, reason: string): void {
    if (group.is(GroupState.CompletingRebalance)) this.propagateSyncError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.clearSyncTimer(group);
    group.pendingSync.clear();
    const initial = group.is(GroupState.Empty);
    this.#logger.info(`Preparing to rebalance group ${group.groupId} in state ${group.state} with old generation ${group.generationId} (reason: ${reason})`);
    const now = this.#scheduler.now();
    group.rebalanceStartedAt = now;
    group.rebalanceReason = reason;
    group.transitionTo(GroupState.PreparingRebalance, now);
    this.clearJoinTimer(group);
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
        // As Kafka's InitialDelayedJoin: the next wait is at most the configured delay, and the
        // remaining budget shrinks by the wait just done.
        this.#scheduleInitialJoin(group, Math.min(this.config.initialRebalanceDelayMs, remaining), Math.max(remaining - delay, 0));
      } else {
        this.#joinIsInitial.delete(group);
        this.#completeJoin(group);
      }
    }, delay);
  }

  /** The group is in its first rebalance after Empty, waiting out the initial delay. */
  isInitialRebalance(group: Group): boolean {
    return this.#joinIsInitial.has(group);
  }

  tryCompleteJoin(group: Group): void {
    if (!group.is(GroupState.PreparingRebalance) || this.#joinIsInitial.has(group)) return;
    if (group.allMembersJoined) this.#completeJoin(group);
  }

  #completeJoin(group: Group): void {
    if (!group.is(GroupState.PreparingRebalance)) return;
    this.clearJoinTimer(group);
    this.#joinIsInitial.delete(group);
    group.newMemberAdded = false;
    for (const m of [...group.members.values()]) {
      if (!m.awaitingJoin) this.removeMember(group, m);
    }
    const now = this.#scheduler.now();
    group.generationId++;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.transitionTo(GroupState.Empty, now);
      this.#logger.info(`Group ${group.groupId} with generation ${group.generationId} is now empty`);
      void this.#groups.storeGroup(group).catch((err: unknown) => this.#logger.error(`storing empty group ${group.groupId}: ${(err as Error).message}`));
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
        this.removeMember(group, m);
      }
      group.protocolName = null;
      group.transitionTo(GroupState.Empty, now);
      return;
    }
    group.protocolName = protocol;
    group.transitionTo(GroupState.CompletingRebalance, now);
    this.#logger.info(
      `Stabilized group ${group.groupId} generation ${group.generationId} with ${group.members.size} members ` +
        `(protocol ${protocol}, leader ${group.leaderId}) after ${now - group.rebalanceStartedAt} ms`,
    );
    for (const m of group.members.values()) {
      m.assignment = EMPTY;
      group.pendingSync.add(m.memberId);
    }
    for (const m of group.members.values()) {
      const respond = m.awaitingJoin!;
      m.awaitingJoin = null;
      m.isNew = false;
      this.scheduleHeartbeat(group, m);
      respond(this.joinResult(group, m, group.leaderId === m.memberId));
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
    const late = [...group.pendingSync];
    for (const id of late) {
      const m = group.members.get(id);
      if (m) this.removeMember(group, m);
    }
    group.pendingSync.clear();
    this.prepareRebalance(group, `removing members ${late.join(', ')} on pending sync request expiration`);
    this.tryCompleteJoin(group);
  }

  clearJoinTimer(group: Group): void {
    if (group.joinTimer !== null) this.#scheduler.clearTimeout(group.joinTimer);
    group.joinTimer = null;
  }

  clearSyncTimer(group: Group): void {
    if (group.syncTimer !== null) this.#scheduler.clearTimeout(group.syncTimer);
    group.syncTimer = null;
  }

  removePendingSync(group: Group, memberId: string): void {
    group.pendingSync.delete(memberId);
    if (group.pendingSync.size === 0) this.clearSyncTimer(group);
  }

  // ---------------------------------------------------------------- member liveness

  scheduleHeartbeat(group: Group, member: Member): void {
    if (member.heartbeatTimer !== null) this.#scheduler.clearTimeout(member.heartbeatTimer);
    const timeout = member.isNew ? this.config.newMemberJoinTimeoutMs : member.sessionTimeoutMs;
    member.heartbeatTimer = this.#scheduler.setTimeout(() => {
      member.heartbeatTimer = null;
      this.#onHeartbeatExpired(group, member);
    }, timeout);
  }

  heartbeatOk(group: Group, member: Member): void {
    this.scheduleHeartbeat(group, member);
  }

  #onHeartbeatExpired(group: Group, member: Member): void {
    if (group.members.get(member.memberId) !== member) return;
    // A member parked in JoinGroup or SyncGroup cannot heartbeat; the join/sync timeouts govern it.
    if ((member.awaitingJoin && !member.isNew) || member.awaitingSync) {
      this.scheduleHeartbeat(group, member);
      return;
    }
    this.#logger.info(`Member ${member.memberId} in group ${group.groupId} has failed (no heartbeat within ${member.isNew ? 'the new-member join timeout' : `its session timeout of ${member.sessionTimeoutMs} ms`}), removing it from the group`);
    this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`);
  }

  /** Removes a member and its timers, failing any request it has parked. Does not rebalance. */
  removeMember(group: Group, member: Member): void {
    if (member.heartbeatTimer !== null) this.#scheduler.clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = null;
    member.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.awaitingSync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = member.awaitingSync = null;
    group.remove(member.memberId);
  }

  removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    this.removeMember(group, member);
    switch (group.state) {
      case GroupState.PreparingRebalance:
        this.tryCompleteJoin(group);
        break;
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        this.prepareRebalance(group, reason);
        this.tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  propagateSyncError(group: Group, errorCode: number): void {
    for (const m of group.members.values()) {
      m.assignment = EMPTY;
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      respond?.(syncError(errorCode));
    }
  }

}
