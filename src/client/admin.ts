import { ErrorCode } from '../protocol/error-codes.ts';
import { AlterConfigsApi } from '../protocol/messages/alter-configs.ts';
import { CreatePartitionsApi } from '../protocol/messages/create-partitions.ts';
import { CreateTopicsApi } from '../protocol/messages/create-topics.ts';
import { DeleteGroupsApi } from '../protocol/messages/delete-groups.ts';
import { DeleteTopicsApi } from '../protocol/messages/delete-topics.ts';
import { DescribeConfigsApi } from '../protocol/messages/describe-configs.ts';
import { DescribeGroupsApi } from '../protocol/messages/describe-groups.ts';
import { IncrementalAlterConfigsApi } from '../protocol/messages/incremental-alter-configs.ts';
import { ListGroupsApi } from '../protocol/messages/list-groups.ts';
import type { Cluster, TopicMetadata } from './cluster.ts';
import { findCoordinator } from './coordinator.ts';
import { KafkaError, UnsupportedApiError, check } from './errors.ts';
import { decodeAssignment } from './group-member.ts';
import { fetchCommittedOffsets } from './group-offsets.ts';
import { EARLIEST, LATEST, listOffsets, tpKey } from './list-offsets.ts';
import { GroupMember } from './group-member.ts';

/**
 * Administrative operations over the protocol: topics, configs, partitions, consumer groups,
 * offsets and lag. Each method is one or two requests; the CLI renders the plain objects returned.
 */

const TOPIC_RESOURCE = 2;
export const CONFIG_SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'CLIENT_METRICS_CONFIG', 'GROUP_CONFIG'];

export interface TopicSummary {
  name: string;
  partitions: number;
  replicationFactor: number;
  internal: boolean;
}

/** One setting as DescribeConfigs reports it (storage's ConfigEntry is the broker-side record). */
export interface DescribedConfig {
  name: string;
  value: string | null;
  source: string;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
}

export interface PartitionOffsets {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  earliest: number;
  latest: number;
}

export interface GroupSummary {
  groupId: string;
  protocolType: string;
  state: string;
}

export interface GroupMemberInfo {
  memberId: string;
  clientId: string;
  clientHost: string;
  groupInstanceId: string | null;
  assignment: Array<{ topic: string; partition: number }>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number | null;
  logEnd: number;
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
}

/** A group as `groups describe` shows it: DescribeGroups plus committed offsets and lag. */
export interface GroupOverview {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  coordinator: number | undefined;
  members: GroupMemberInfo[];
  partitions: PartitionLag[];
  totalLag: number;
}

export type ResetSpec =
  | { type: 'earliest' }
  | { type: 'latest' }
  | { type: 'offset'; offset: number }
  | { type: 'datetime'; timestamp: number }
  | { type: 'shift'; by: number };

export interface ResetPlanEntry {
  topic: string;
  partition: number;
  current: number | null;
  target: number;
}

export class Admin {
  readonly cluster: Cluster;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  async listTopics(includeInternal = false): Promise<TopicSummary[]> {
    await this.cluster.refreshMetadata(null);
    return [...this.cluster.topics.values()]
      .filter((t) => t.errorCode === ErrorCode.NONE && (includeInternal || !t.isInternal))
      .map((t) => ({ name: t.name, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0, internal: t.isInternal }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async topicInfo(name: string): Promise<TopicMetadata> {
    const [info] = await this.cluster.topicMetadata([name]);
    return info!;
  }

  /** Partitions with leader/replicas and earliest/latest offsets. */
  async describeTopic(name: string): Promise<{ topic: TopicMetadata; partitions: PartitionOffsets[] }> {
    const topic = await this.topicInfo(name);
    const tps = topic.partitions.map((p) => ({ topic: name, partition: p.partition }));
    const [lo, hi] = await Promise.all([
      listOffsets(this.cluster, tps.map((tp) => ({ ...tp, timestamp: EARLIEST }))),
      listOffsets(this.cluster, tps.map((tp) => ({ ...tp, timestamp: LATEST }))),
    ]);
    return {
      topic,
      partitions: topic.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        earliest: Number(lo.get(tpKey(name, p.partition)) ?? -1n),
        latest: Number(hi.get(tpKey(name, p.partition)) ?? -1n),
      })),
    };
  }

  async createTopic(name: string, opts: { partitions?: number; replicationFactor?: number; configs?: Record<string, string>; validateOnly?: boolean } = {}): Promise<{ partitions: number; replicationFactor: number }> {
    const conn = await this.cluster.controllerConnection();
    const version = conn.negotiated(CreateTopicsApi);
    // -1 (broker default) needs v4+; older brokers get Kafka's defaults spelled out.
    const partitions = opts.partitions ?? (version >= 4 ? -1 : 1);
    const rf = opts.replicationFactor ?? (version >= 4 ? -1 : 1);
    const res = await conn.request(CreateTopicsApi, {
      topics: [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: Object.entries(opts.configs ?? {}).map(([k, v]) => ({ name: k, value: v })) }],
      timeoutMs: 30_000,
      validateOnly: opts.validateOnly ?? false,
    });
    const t = res.topics[0]!;
    check(t.errorCode, `create topic "${name}"`, t.errorMessage);
    return { partitions: version >= 5 ? t.numPartitions : partitions, replicationFactor: version >= 5 ? t.replicationFactor : rf };
  }

  async deleteTopics(names: string[]): Promise<void> {
    const conn = await this.cluster.controllerConnection();
    const version = conn.negotiated(DeleteTopicsApi);
    const res = await conn.request(
      DeleteTopicsApi,
      version >= 6 ? { topics: names.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })), timeoutMs: 30_000 } : { topicNames: names, timeoutMs: 30_000 },
    );
    for (const r of res.responses) {
      if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${r.name}" does not exist`);
      check(r.errorCode, `delete topic "${r.name}"`, r.errorMessage);
    }
    for (const n of names) this.cluster.topics.delete(n);
  }

  async describeConfigs(topic: string, includeDefaults = true): Promise<DescribedConfig[]> {
    const conn = await this.cluster.anyConnection();
    const version = conn.negotiated(DescribeConfigsApi);
    const res = await conn.request(DescribeConfigsApi, {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const r = res.results[0]!;
    if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" does not exist`);
    check(r.errorCode, `describe configs of "${topic}"`, r.errorMessage);
    return r.configs
      .map((c) => {
        const isDefault = version >= 1 ? c.configSource === 5 || c.configSource === 4 || c.configSource === 3 : c.isDefault;
        return {
          name: c.name,
          value: c.value,
          source: version >= 1 ? (CONFIG_SOURCES[c.configSource] ?? String(c.configSource)) : c.isDefault ? 'DEFAULT_CONFIG' : 'DYNAMIC_TOPIC_CONFIG',
          isDefault,
          readOnly: c.readOnly,
          sensitive: c.isSensitive,
        };
      })
      .filter((c) => includeDefaults || !c.isDefault)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Sets and removes topic configs: IncrementalAlterConfigs, else AlterConfigs (a full replacement). */
  async alterConfigs(topic: string, set: Record<string, string>, remove: string[] = []): Promise<void> {
    const conn = await this.cluster.controllerConnection();
    if (conn.negotiated(IncrementalAlterConfigsApi) >= 0) {
      const res = await conn.request(IncrementalAlterConfigsApi, {
        resources: [
          {
            resourceType: TOPIC_RESOURCE,
            resourceName: topic,
            configs: [
              ...Object.entries(set).map(([name, value]) => ({ name, configOperation: 0, value })),
              ...remove.map((name) => ({ name, configOperation: 1, value: null })),
            ],
          },
        ],
        validateOnly: false,
      });
      const r = res.responses[0]!;
      if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" does not exist`);
      check(r.errorCode, `alter configs of "${topic}"`, r.errorMessage);
      return;
    }
    if (conn.negotiated(AlterConfigsApi) < 0) throw new UnsupportedApiError(`broker ${conn.address} supports neither IncrementalAlterConfigs nor AlterConfigs`);
    // AlterConfigs replaces the whole set: start from the topic's current non-default values.
    const current = await this.describeConfigs(topic, false);
    const merged = new Map(current.filter((c) => c.source === 'DYNAMIC_TOPIC_CONFIG').map((c) => [c.name, c.value]));
    for (const [k, v] of Object.entries(set)) merged.set(k, v);
    for (const k of remove) merged.delete(k);
    const res = await conn.request(AlterConfigsApi, {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: [...merged].map(([name, value]) => ({ name, value })) }],
      validateOnly: false,
    });
    const r = res.responses[0]!;
    check(r.errorCode, `alter configs of "${topic}"`, r.errorMessage);
  }

  async createPartitions(topic: string, totalCount: number): Promise<void> {
    const conn = await this.cluster.controllerConnection();
    const res = await conn.request(CreatePartitionsApi, {
      topics: [{ name: topic, count: totalCount, assignments: null }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const r = res.results[0]!;
    if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" does not exist`);
    check(r.errorCode, `add partitions to "${topic}"`, r.errorMessage);
  }

  /** ListGroups asks every broker (each knows only the groups it coordinates). */
  async listGroups(): Promise<GroupSummary[]> {
    await this.cluster.refreshMetadata([]);
    const ids = [...this.cluster.brokers.keys()];
    const all = new Map<string, GroupSummary>();
    await Promise.all(
      ids.map(async (id) => {
        const conn = await this.cluster.connectionTo(id);
        const res = await conn.request(ListGroupsApi, { statesFilter: [], typesFilter: [] });
        check(res.errorCode, `ListGroups on node ${id}`);
        for (const g of res.groups) all.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: g.groupState || '' });
      }),
    );
    return [...all.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  private async describeGroupRaw(groupId: string) {
    const conn = await findCoordinator(this.cluster, groupId);
    const res = await conn.request(DescribeGroupsApi, { groups: [groupId], includeAuthorizedOperations: false });
    const g = res.groups[0]!;
    check(g.errorCode, `describe group "${groupId}"`);
    return { g, coordinator: conn.nodeId };
  }

  /** Members, assignments, committed offsets, log end offsets and lag per partition. */
  async describeGroup(groupId: string): Promise<GroupOverview> {
    const { g, coordinator } = await this.describeGroupRaw(groupId);
    const members: GroupMemberInfo[] = g.members.map((m) => {
      let assignment: Array<{ topic: string; partition: number }> = [];
      if (g.protocolType === 'consumer' && m.memberAssignment.length > 0) {
        try {
          assignment = [...decodeAssignment(m.memberAssignment)].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
        } catch {
          assignment = [];
        }
      }
      return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, groupInstanceId: m.groupInstanceId, assignment };
    });
    if (g.groupState === 'Dead' && members.length === 0) {
      const committed = await fetchCommittedOffsets(this.cluster, groupId, null);
      if (committed.size === 0) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `group "${groupId}" does not exist`);
    }
    const committed = await fetchCommittedOffsets(this.cluster, groupId, null);
    const owner = new Map<string, GroupMemberInfo>();
    for (const m of members) for (const a of m.assignment) owner.set(tpKey(a.topic, a.partition), m);
    const keys = new Map<string, { topic: string; partition: number }>();
    for (const k of committed.keys()) {
      const [topic, p] = k.split('\0') as [string, string];
      keys.set(k, { topic, partition: Number(p) });
    }
    for (const m of members) for (const a of m.assignment) keys.set(tpKey(a.topic, a.partition), a);
    // Topics deleted since the commit would fail ListOffsets: keep only partitions that exist.
    const topicNames = [...new Set([...keys.values()].map((k) => k.topic))];
    if (topicNames.length > 0) await this.cluster.refreshMetadata(topicNames);
    const live = [...keys.values()].filter((k) => this.cluster.leaderFor(k.topic, k.partition) >= 0);
    const ends = live.length > 0 ? await listOffsets(this.cluster, live.map((k) => ({ ...k, timestamp: LATEST }))) : new Map<string, bigint>();
    const partitions: PartitionLag[] = [...keys.values()]
      .map((k) => {
        const key = tpKey(k.topic, k.partition);
        const c = committed.get(key);
        const end = ends.get(key);
        const logEnd = end === undefined ? -1 : Number(end);
        const m = owner.get(key);
        return {
          topic: k.topic,
          partition: k.partition,
          committed: c === undefined ? null : Number(c),
          logEnd,
          lag: c === undefined || logEnd < 0 ? null : Math.max(0, logEnd - Number(c)),
          memberId: m?.memberId ?? null,
          clientId: m?.clientId ?? null,
        };
      })
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic.localeCompare(b.topic)));
    return {
      groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      coordinator,
      members,
      partitions,
      totalLag: partitions.reduce((s, p) => s + (p.lag ?? 0), 0),
    };
  }

  async deleteGroups(ids: string[]): Promise<void> {
    for (const id of ids) {
      const conn = await findCoordinator(this.cluster, id);
      const res = await conn.request(DeleteGroupsApi, { groupsNames: [id] });
      const r = res.results[0]!;
      if (r.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `group "${id}" does not exist`);
      if (r.errorCode === ErrorCode.NON_EMPTY_GROUP) throw new KafkaError(ErrorCode.NON_EMPTY_GROUP, `group "${id}" still has active members; stop its consumers first`);
      check(r.errorCode, `delete group "${id}"`);
    }
  }

  /**
   * The reset plan for a group: for each partition of `topics` (or of every topic the group has
   * committed offsets for), the current committed offset and the target, clamped to the log range.
   */
  async planReset(groupId: string, spec: ResetSpec, topics?: string[]): Promise<{ state: string; plan: ResetPlanEntry[] }> {
    const { g } = await this.describeGroupRaw(groupId);
    const committed = await fetchCommittedOffsets(this.cluster, groupId, null);
    let names = topics;
    if (!names || names.length === 0) names = [...new Set([...committed.keys()].map((k) => k.split('\0')[0]!))];
    if (names.length === 0) throw new Error(`group "${groupId}" has no committed offsets; name the topics with --topic`);
    const infos = await this.cluster.topicMetadata(names);
    const tps = infos.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
    const [lo, hi] = await Promise.all([
      listOffsets(this.cluster, tps.map((tp) => ({ ...tp, timestamp: EARLIEST }))),
      listOffsets(this.cluster, tps.map((tp) => ({ ...tp, timestamp: LATEST }))),
    ]);
    const byTime = spec.type === 'datetime' ? await listOffsets(this.cluster, tps.map((tp) => ({ ...tp, timestamp: BigInt(spec.timestamp) }))) : null;
    const plan = tps.map((tp) => {
      const key = tpKey(tp.topic, tp.partition);
      const start = Number(lo.get(key) ?? 0n);
      const end = Number(hi.get(key) ?? 0n);
      const c = committed.get(key);
      const current = c === undefined ? null : Number(c);
      let target: number;
      switch (spec.type) {
        case 'earliest':
          target = start;
          break;
        case 'latest':
          target = end;
          break;
        case 'offset':
          target = spec.offset;
          break;
        case 'datetime': {
          const t = byTime!.get(key) ?? -1n;
          target = t < 0n ? end : Number(t);
          break;
        }
        case 'shift':
          target = (current ?? end) + spec.by;
          break;
      }
      return { ...tp, current, target: Math.min(Math.max(target, start), end) };
    });
    return { state: g.groupState, plan };
  }

  /** Commits a reset plan; refused while the group has active members (as Kafka's tool does). */
  async executeReset(groupId: string, plan: ResetPlanEntry[], state: string): Promise<void> {
    if (state !== 'Empty' && state !== 'Dead') {
      throw new Error(`group "${groupId}" is ${state}: offsets can only be reset while it has no active members — stop its consumers first`);
    }
    // A standalone commit (generation -1, no member id) is how an inactive group's offsets are set.
    const m = new GroupMember(this.cluster, { groupId, topics: [] });
    await m.commit(plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.target })));
  }

  /** Earliest and latest offset per partition of a topic. */
  async topicOffsets(topic: string): Promise<Array<{ partition: number; earliest: number; latest: number }>> {
    const d = await this.describeTopic(topic);
    return d.partitions.map(({ partition, earliest, latest }) => ({ partition, earliest, latest }));
  }
}
