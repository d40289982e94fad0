import { subscribedTopics } from './consumer-protocol.ts';
import type { TimerHandle } from './scheduler.ts';

/**
 * The in-memory model of one classic consumer group: its state, members, generation and committed
 * offsets. Pure data plus the small decisions Kafka's GroupMetadata makes (protocol selection,
 * leader choice); the timer-driven protocol lives in group-coordinator.ts.
 */

export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type GroupStateName = (typeof GroupState)[keyof typeof GroupState];

export interface JoinProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  /** Non-empty only in the leader's response. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export class Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: JoinProtocol[];
  assignment: Buffer = Buffer.alloc(0);
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  awaitingJoin: ((r: JoinGroupResult) => void) | null = null;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  awaitingSync: ((r: SyncGroupResult) => void) | null = null;
  /** A member that joined but has not yet completed a join round: it has its own, longer, timeout. */
  isNew = false;
  joinedAt = 0;
  heartbeatTimer: TimerHandle | null = null;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocolType: string;
    protocols: JoinProtocol[];
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0);
  }

  /** Same protocols, same order, same metadata bytes: a rejoin that needs no rebalance. */
  matches(protocols: JoinProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The first of the member's protocols (in its preference order) that is among the candidates. */
  vote(candidates: Set<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(', ')}`);
    return choice.name;
  }
}

export interface OffsetEntry {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Explicit expiry from OffsetCommit v2–v4 retention_time; null = the group's retention rules. */
  expireTimestamp: number | null;
}

export class Group {
  readonly groupId: string;
  state: GroupStateName;
  /** When the group entered its current state; offsets of an Empty group expire relative to it. */
  stateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** KIP-394: member ids handed out with MEMBER_ID_REQUIRED, waiting for the client to rejoin with them. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** group.instance.id → current member id. */
  readonly staticMembers = new Map<string, string>();
  /** Members that got a JoinGroup response this generation but have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, OffsetEntry>>();
  /** A first-generation group grew during the initial rebalance delay (extends the delay). */
  newMemberAdded = false;
  joinTimer: TimerHandle | null = null;
  syncTimer: TimerHandle | null = null;
  /** When the running rebalance began and why (logged when the generation completes). */
  rebalanceStartedAt = 0;
  rebalanceReason = '';

  constructor(groupId: string, now: number) {
    this.groupId = groupId;
    this.state = GroupState.Empty;
    this.stateTimestamp = now;
  }

  is(state: GroupStateName): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupStateName, now: number): void {
    this.state = state;
    this.stateTimestamp = now;
  }

  get canRebalance(): boolean {
    return this.state === GroupState.Stable || this.state === GroupState.CompletingRebalance || this.state === GroupState.Empty;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    this.pendingSync.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** A static member rejoined with a fresh member id: move its identity, keep its place (and leadership). */
  replaceStaticMember(instanceId: string, oldMemberId: string, replacement: Member): Member {
    const old = this.members.get(oldMemberId)!;
    this.members.delete(oldMemberId);
    this.pendingSync.delete(oldMemberId);
    replacement.assignment = old.assignment;
    this.members.set(replacement.memberId, replacement);
    this.staticMembers.set(instanceId, replacement.memberId);
    if (this.leaderId === oldMemberId) this.leaderId = replacement.memberId;
    return old;
  }

  staticMemberId(instanceId: string | null): string | undefined {
    return instanceId === null ? undefined : this.staticMembers.get(instanceId);
  }

  /** The instance id is known but bound to another member id: the caller is a zombie. */
  isStaticMemberFenced(instanceId: string | null, memberId: string): boolean {
    if (instanceId === null) return false;
    const current = this.staticMembers.get(instanceId);
    return current !== undefined && current !== memberId;
  }

  get allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    const members = [...this.members.values()];
    if (members.length === 0) return new Set();
    const out = new Set(members[0]!.protocols.map((p) => p.name));
    for (const m of members.slice(1)) {
      const names = new Set(m.protocols.map((p) => p.name));
      for (const c of out) if (!names.has(c)) out.delete(c);
    }
    return out;
  }

  /** Kafka's rule: each member votes for its most preferred common protocol; most votes wins. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    if (candidates.size === 0) throw new Error(`group ${this.groupId} has no protocol all members support`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  /** May a member with these protocols join? (At least one of them is supported by every current member.) */
  supportsProtocols(protocolType: string, protocols: JoinProtocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const counts = new Map<string, number>();
    for (const m of this.members.values()) for (const p of m.protocols) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
    return protocols.some((p) => counts.get(p.name) === this.members.size);
  }

  /** Topics the group's members subscribe to; null when unknown (non-consumer protocol, unparseable metadata). */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== 'consumer' || this.protocolName === null) return null;
    const out = new Set<string>();
    for (const m of this.members.values()) {
      const topics = subscribedTopics(m.metadataFor(this.protocolName));
      if (topics === null) return null;
      for (const t of topics) out.add(t);
    }
    return out;
  }

  isSubscribedToTopic(topic: string): boolean {
    const topics = this.subscribedTopics();
    return topics === null ? true : topics.has(topic);
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0;
  }

  setOffset(topic: string, partition: number, entry: OffsetEntry): void {
    let parts = this.offsets.get(topic);
    if (!parts) this.offsets.set(topic, (parts = new Map()));
    parts.set(partition, entry);
  }

  getOffset(topic: string, partition: number): OffsetEntry | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  deleteOffset(topic: string, partition: number): boolean {
    const parts = this.offsets.get(topic);
    if (!parts || !parts.delete(partition)) return false;
    if (parts.size === 0) this.offsets.delete(topic);
    return true;
  }
}

const NO_BYTES = Buffer.alloc(0);

/** A JoinGroup answer carrying only an error. */
export function joinError(errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

/** A SyncGroup answer carrying only an error. */
export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: NO_BYTES };
}
