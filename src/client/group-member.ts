import { ErrorCode } from '../protocol/error-codes.ts';
import { LeaveGroupApi } from '../protocol/messages/leave-group.ts';
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from '../protocol/messages/consumer-protocol-assignment.ts';
import { decodeConsumerProtocolSubscription, encodeConsumerProtocolSubscription } from '../protocol/messages/consumer-protocol-subscription.ts';
import { HeartbeatApi } from '../protocol/messages/heartbeat.ts';
import { JoinGroupApi, type JoinGroupResponse } from '../protocol/messages/join-group.ts';
import { OffsetCommitApi } from '../protocol/messages/offset-commit.ts';
import { SyncGroupApi } from '../protocol/messages/sync-group.ts';
import { Reader } from '../protocol/primitives/reader.ts';
import { Writer } from '../protocol/primitives/writer.ts';
import { assignors as allAssignors, type Assignor, type MemberSubscription } from './assignors.ts';
import { sleep, type Cluster } from './cluster.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { findCoordinator } from './coordinator.ts';
import { KafkaError, needsCoordinatorRefresh } from './errors.ts';
import { fetchCommittedOffsets } from './group-offsets.ts';

/**
 * Membership of one consumer in a classic consumer group (guide §7): find the coordinator, JoinGroup
 * (with the KIP-394 member-id round trip), run the assignor when we are the leader, SyncGroup, then
 * heartbeat until the coordinator asks for a rebalance. Offsets are committed with our generation.
 */

export interface GroupMemberOptions {
  groupId: string;
  topics: string[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Assignor names in preference order (range, roundrobin). */
  assignors?: string[];
  /** Assignors not in the registry (Kafka Streams' task assignor), tried before `assignors`. */
  customAssignors?: Assignor[];
  /** Subscription userData this member sends each join (Kafka Streams: which task state it holds). */
  userData?: () => Buffer | null;
}

const SUBSCRIPTION_VERSION = 1;

export function encodeSubscription(topics: string[], owned: Map<string, number[]> = new Map(), userData: Buffer | null = null): Buffer {
  const w = new Writer(64);
  w.int16(SUBSCRIPTION_VERSION);
  encodeConsumerProtocolSubscription(
    w,
    { topics, userData, ownedPartitions: [...owned].map(([topic, partitions]) => ({ topic, partitions })) },
    SUBSCRIPTION_VERSION,
  );
  return w.finish();
}

export function decodeSubscription(buf: Buffer): string[] {
  return decodeSubscriptionFull(buf).topics;
}

export function decodeSubscriptionFull(buf: Buffer): { topics: string[]; owned: Map<string, number[]>; userData: Buffer | null } {
  const r = new Reader(buf);
  const version = r.int16();
  // Newer versions only append fields: read what we know.
  const s = decodeConsumerProtocolSubscription(r, Math.min(version, 3));
  const owned = new Map<string, number[]>();
  for (const o of s.ownedPartitions) owned.set(o.topic, [...(owned.get(o.topic) ?? []), ...o.partitions]);
  return { topics: s.topics, owned, userData: s.userData };
}

export function encodeAssignment(byTopic: Map<string, number[]>): Buffer {
  const w = new Writer(64);
  w.int16(0);
  encodeConsumerProtocolAssignment(w, { assignedPartitions: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })), userData: null }, 0);
  return w.finish();
}

export function decodeAssignment(buf: Buffer): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (buf.length === 0) return out;
  const r = new Reader(buf);
  const version = r.int16();
  const a = decodeConsumerProtocolAssignment(r, Math.min(version, 3));
  for (const p of a.assignedPartitions) out.set(p.topic, [...(out.get(p.topic) ?? []), ...p.partitions]);
  return out;
}

export class GroupMember {
  readonly groupId: string;
  private readonly cluster: Cluster;
  private readonly topics: string[];
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly assignors: Assignor[];
  private readonly userData: (() => Buffer | null) | undefined;
  memberId = '';
  generationId = -1;
  leader = false;
  protocolName: string | null = null;
  assignment = new Map<string, number[]>();
  private coordinator: BrokerConnection | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private onRebalance: (() => void) | null = null;

  constructor(cluster: Cluster, opts: GroupMemberOptions) {
    this.cluster = cluster;
    this.groupId = opts.groupId;
    this.topics = opts.topics;
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 45_000;
    this.rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 60_000;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 3_000;
    this.userData = opts.userData;
    this.assignors = [...(opts.customAssignors ?? []), ...(opts.customAssignors && !opts.assignors ? [] : opts.assignors ?? ['range', 'roundrobin', 'cooperative-sticky']).map((n) => {
      const a = allAssignors[n];
      if (!a) throw new Error(`unknown assignor "${n}" (use ${Object.keys(allAssignors).join(', ')})`);
      return a;
    })];
  }

  async coordinatorConnection(): Promise<BrokerConnection> {
    if (this.coordinator && !this.coordinator.closed) return this.coordinator;
    this.coordinator = await findCoordinator(this.cluster, this.groupId);
    return this.coordinator;
  }

  /** Joins (or rejoins) the group; resolves with this member's assignment (topic → partitions). */
  async join(): Promise<Map<string, number[]>> {
    this.stopHeartbeats();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.joinOnce();
      } catch (e) {
        const code = e instanceof KafkaError ? e.code : null; // null: a connection or decode failure
        if (attempt >= 20) throw e;
        if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) {
          // UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION: start over as a new member.
          this.memberId = '';
          this.generationId = -1;
          this.assignment = new Map();
        } else if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
          // REBALANCE_IN_PROGRESS during SyncGroup: join again.
        } else if (code === null || needsCoordinatorRefresh(code)) {
          this.coordinator = null;
          await sleep(200);
        } else throw e;
      }
    }
  }

  private async joinOnce(): Promise<Map<string, number[]>> {
    const conn = await this.coordinatorConnection();
    // Cooperative assignors need to know what we hold; eager ones ignore it.
    const metadata = encodeSubscription(this.topics, this.assignment, this.userData?.() ?? null);
    let res: JoinGroupResponse;
    for (;;) {
      res = await conn.request(
        JoinGroupApi,
        {
          groupId: this.groupId,
          sessionTimeoutMs: this.sessionTimeoutMs,
          rebalanceTimeoutMs: this.rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: this.assignors.map((a) => ({ name: a.name, metadata })),
          reason: null,
        },
        { timeoutMs: this.rebalanceTimeoutMs + 10_000 },
      );
      if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        // KIP-394: the coordinator hands us an id to join with.
        this.memberId = res.memberId;
        continue;
      }
      break;
    }
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `JoinGroup "${this.groupId}"`);
    this.memberId = res.memberId;
    this.generationId = res.generationId;
    this.protocolName = res.protocolName;
    this.leader = res.leader === res.memberId;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (this.leader) assignments = await this.assign(res);
    const sync = await conn.request(
      SyncGroupApi,
      {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: this.protocolName,
        assignments,
      },
      { timeoutMs: this.rebalanceTimeoutMs + 10_000 },
    );
    if (sync.errorCode !== ErrorCode.NONE) throw new KafkaError(sync.errorCode, `SyncGroup "${this.groupId}"`);
    this.assignment = decodeAssignment(sync.assignment);
    return this.assignment;
  }

  /** The leader's job: decode every member's subscription, run the chosen assignor. */
  private async assign(res: JoinGroupResponse): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const assignor = this.assignors.find((a) => a.name === res.protocolName) ?? this.assignors[0]!;
    const members: MemberSubscription[] = res.members.map((m) => {
      const sub = decodeSubscriptionFull(m.metadata);
      return { memberId: m.memberId, topics: sub.topics, owned: sub.owned, userData: sub.userData };
    });
    const topics = [...new Set(members.flatMap((m) => m.topics))];
    await this.cluster.refreshMetadata(topics);
    const counts = new Map<string, number>();
    for (const t of topics) {
      const info = this.cluster.topics.get(t);
      if (info && info.errorCode === ErrorCode.NONE) counts.set(t, info.partitions.length);
    }
    const result = assignor.assign(members, counts);
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment(result.get(m.memberId) ?? new Map()) }));
  }

  /** Heartbeats until stopped; calls onRebalance once the coordinator wants the group to rejoin. */
  startHeartbeats(onRebalance: () => void): void {
    this.onRebalance = onRebalance;
    this.stopHeartbeats();
    const beat = async () => {
      this.heartbeatTimer = null;
      try {
        const conn = await this.coordinatorConnection();
        const res = await conn.request(HeartbeatApi, {
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: null,
        });
        if (res.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || res.errorCode === ErrorCode.ILLEGAL_GENERATION) {
          if (res.errorCode !== ErrorCode.REBALANCE_IN_PROGRESS) {
            this.memberId = res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ? '' : this.memberId;
          }
          this.onRebalance?.();
          return;
        }
        if (needsCoordinatorRefresh(res.errorCode)) this.coordinator = null;
      } catch {
        // Connection trouble: try again at the next beat (the session timeout is the real limit).
        this.coordinator = null;
      }
      if (this.onRebalance) this.heartbeatTimer = setTimeout(() => void beat(), this.heartbeatIntervalMs);
    };
    this.heartbeatTimer = setTimeout(() => void beat(), this.heartbeatIntervalMs);
  }

  stopHeartbeats(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  async committed(partitions: Array<{ topic: string; partition: number }>): Promise<Map<string, bigint>> {
    return fetchCommittedOffsets(this.cluster, this.groupId, partitions, await this.coordinatorConnection());
  }

  /** Commits offsets (the next offset to read) with our generation. */
  async commit(offsets: Array<{ topic: string; partition: number; offset: number }>): Promise<void> {
    if (offsets.length === 0) return;
    const conn = await this.coordinatorConnection();
    const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedMetadata: string }>>();
    for (const o of offsets) {
      let l = byTopic.get(o.topic);
      if (!l) byTopic.set(o.topic, (l = []));
      l.push({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedMetadata: '' });
    }
    const res = await conn.request(OffsetCommitApi, {
      groupId: this.groupId,
      generationIdOrMemberEpoch: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `OffsetCommit ${t.name}[${p.partitionIndex}]`);
  }

  /** The group runs a cooperative protocol: partitions are revoked incrementally, not all at once. */
  get cooperative(): boolean {
    return this.protocolName === 'cooperative-sticky';
  }

  async leave(): Promise<void> {
    this.onRebalance = null;
    this.assignment = new Map();
    this.stopHeartbeats();
    if (this.memberId === '' || !this.coordinator || this.coordinator.closed) return;
    const conn = this.coordinator;
    const version = conn.negotiated(LeaveGroupApi);
    await conn
      .request(LeaveGroupApi, version >= 3 ? { groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is closing' }] } : { groupId: this.groupId, memberId: this.memberId }, { timeoutMs: 5000 })
      .catch(() => undefined);
    this.memberId = '';
    this.generationId = -1;
  }
}
