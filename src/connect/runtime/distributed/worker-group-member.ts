import type { BrokerConnection } from '../../../client/broker-connection.ts';
import { sleep, type Cluster } from '../../../client/cluster.ts';
import { findCoordinator } from '../../../client/coordinator.ts';
import { KafkaError, needsCoordinatorRefresh } from '../../../client/errors.ts';
import { ErrorCode } from '../../../protocol/error-codes.ts';
import { HeartbeatApi } from '../../../protocol/messages/heartbeat.ts';
import { JoinGroupApi, type JoinGroupResponse } from '../../../protocol/messages/join-group.ts';
import { LeaveGroupApi } from '../../../protocol/messages/leave-group.ts';
import { SyncGroupApi } from '../../../protocol/messages/sync-group.ts';
import { PROTOCOL_TYPE, decodeAssignment, decodeMetadata, encodeAssignment, encodeMetadata, type ConnectAssignment, type ConnectProtocolName, type WorkerState } from './connect-protocol.ts';

/**
 * Kafka's WorkerGroupMember + WorkerCoordinator: a Connect worker's membership of its group over the
 * classic group protocol (JoinGroup / SyncGroup / Heartbeat / LeaveGroup) with protocol type
 * "connect" and Connect's own metadata and assignment bytes, so kstream workers and Kafka workers can
 * share a group. The elected leader's assignment is computed by the caller (the herder knows the
 * config snapshot); this class only moves the bytes and keeps the session alive.
 */

export interface WorkerGroupOptions {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** In preference order (connect.protocol=sessioned offers sessioned, compatible, default). */
  protocols: ConnectProtocolName[];
}

export interface JoinedMember {
  memberId: string;
  state: WorkerState & { version: number };
}

export type LeaderAssign = (members: JoinedMember[], protocol: ConnectProtocolName) => Promise<Map<string, ConnectAssignment>>;

export interface JoinResult {
  assignment: ConnectAssignment;
  leader: boolean;
  generation: number;
  protocol: ConnectProtocolName;
}

export class WorkerGroupMember {
  private readonly cluster: Cluster;
  private readonly opts: WorkerGroupOptions;
  memberId = '';
  generation = -1;
  protocol: ConnectProtocolName | null = null;
  private coordinator: BrokerConnection | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private onRebalance: (() => void) | null = null;

  constructor(cluster: Cluster, opts: WorkerGroupOptions) {
    this.cluster = cluster;
    this.opts = opts;
  }

  private async connection(): Promise<BrokerConnection> {
    if (this.coordinator && !this.coordinator.closed) return this.coordinator;
    this.coordinator = await findCoordinator(this.cluster, this.opts.groupId);
    return this.coordinator;
  }

  /** Joins (or rejoins) the group and returns this worker's assignment. */
  async join(state: () => WorkerState, assign: LeaderAssign): Promise<JoinResult> {
    this.stopHeartbeats();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.joinOnce(state(), assign);
      } catch (e) {
        const code = e instanceof KafkaError ? e.code : null;
        if (attempt >= 30) throw e;
        if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) {
          this.memberId = '';
          this.generation = -1;
        } else if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
          // Someone else joined meanwhile: join again.
        } else if (code === null || needsCoordinatorRefresh(code)) {
          this.coordinator = null;
          await sleep(200);
        } else throw e;
      }
    }
  }

  private async joinOnce(state: WorkerState, assign: LeaderAssign): Promise<JoinResult> {
    const conn = await this.connection();
    let res: JoinGroupResponse;
    for (;;) {
      res = await conn.request(
        JoinGroupApi,
        {
          groupId: this.opts.groupId,
          sessionTimeoutMs: this.opts.sessionTimeoutMs,
          rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: null,
          protocolType: PROTOCOL_TYPE,
          protocols: this.opts.protocols.map((name) => ({ name, metadata: encodeMetadata(state, name) })),
          reason: null,
        },
        { timeoutMs: this.opts.rebalanceTimeoutMs + 10_000 },
      );
      if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = res.memberId;
        continue;
      }
      break;
    }
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `JoinGroup "${this.opts.groupId}"`);
    this.memberId = res.memberId;
    this.generation = res.generationId;
    const protocol = (res.protocolName ?? this.opts.protocols[0]!) as ConnectProtocolName;
    this.protocol = protocol;
    const leader = res.leader === res.memberId;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (leader) {
      const members = res.members.map((m) => ({ memberId: m.memberId, state: decodeMetadata(m.metadata) }));
      const result = await assign(members, protocol);
      assignments = [...result].map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) }));
    }
    const sync = await conn.request(
      SyncGroupApi,
      { groupId: this.opts.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: null, protocolType: PROTOCOL_TYPE, protocolName: protocol, assignments },
      { timeoutMs: this.opts.rebalanceTimeoutMs + 10_000 },
    );
    if (sync.errorCode !== ErrorCode.NONE) throw new KafkaError(sync.errorCode, `SyncGroup "${this.opts.groupId}"`);
    return { assignment: decodeAssignment(sync.assignment), leader, generation: this.generation, protocol };
  }

  /** Heartbeats until stopped; calls onRebalance once the coordinator wants the group to rejoin. */
  startHeartbeats(onRebalance: () => void): void {
    this.stopHeartbeats();
    this.onRebalance = onRebalance;
    const beat = async () => {
      this.heartbeatTimer = null;
      try {
        const conn = await this.connection();
        const res = await conn.request(HeartbeatApi, { groupId: this.opts.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: null });
        if (res.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || res.errorCode === ErrorCode.ILLEGAL_GENERATION) {
          if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
          const cb = this.onRebalance;
          this.onRebalance = null;
          cb?.();
          return;
        }
        if (needsCoordinatorRefresh(res.errorCode)) this.coordinator = null;
      } catch {
        this.coordinator = null;
      }
      if (this.onRebalance) this.heartbeatTimer = setTimeout(() => void beat(), this.opts.heartbeatIntervalMs);
    };
    this.heartbeatTimer = setTimeout(() => void beat(), this.opts.heartbeatIntervalMs);
  }

  stopHeartbeats(): void {
    this.onRebalance = null;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  async leave(): Promise<void> {
    this.stopHeartbeats();
    if (this.memberId === '' || !this.coordinator || this.coordinator.closed) return;
    const conn = this.coordinator;
    const version = conn.negotiated(LeaveGroupApi);
    await conn
      .request(LeaveGroupApi, version >= 3 ? { groupId: this.opts.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the Connect worker is stopping' }] } : { groupId: this.opts.groupId, memberId: this.memberId }, { timeoutMs: 5000 })
      .catch(() => undefined);
    this.memberId = '';
    this.generation = -1;
  }
}
