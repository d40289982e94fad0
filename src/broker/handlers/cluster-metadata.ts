import { ErrorCode } from '../../protocol/error-codes.ts';
import type { MetadataRequest, MetadataResponseInput, MetadataResponseTopicsInput } from '../../protocol/messages/metadata.ts';
import type { TopicRecord } from '../../cluster/metadata-store.ts';
import { CloseConnection } from '../connection.ts';
import { ClusterTopicError, type ClusterMode } from '../cluster-mode.ts';
import { toErrorCode } from '../errors.ts';
import { ZERO_UUID } from '../errors.ts';
import type { RequestContext } from '../handler.ts';
import { clusterAuthorizedOperations, NOT_REQUESTED, TOPIC_OPERATIONS } from './metadata.ts';

/** Kafka's internal topics (Metadata isInternal). */
const INTERNAL = new Set(['__consumer_offsets', '__transaction_state']);

/**
 * Metadata in cluster mode: every live broker (with its rack), the controller, and each partition's
 * leader, leader epoch, replicas, ISR and offline replicas (replicas whose broker is not registered)
 * as the metadata store holds them — what a Kafka broker answers from its metadata cache. A partition
 * without a leader carries LEADER_NOT_AVAILABLE, as Kafka's MetadataCache does.
 */
export async function clusterMetadata(req: MetadataRequest, ctx: RequestContext, cluster: ClusterMode): Promise<MetadataResponseInput> {
  const v = ctx.apiVersion;
  const broker = ctx.broker;
  const includeOps = v >= 8 && req.includeTopicAuthorizedOperations;
  const all = req.topics === null || (v === 0 && req.topics.length === 0);
  const autoCreate = v < 4 || req.allowAutoTopicCreation;
  const topics: MetadataResponseTopicsInput[] = [];
  if (all) {
    for (const t of cluster.listTopics()) topics.push(describe(cluster, t, includeOps));
  } else {
    for (const rt of req.topics!) {
      if (rt.name === null) {
        if (v < 12) throw new CloseConnection(`Metadata v${v}: topic name can not be null before v12 (correlation id ${ctx.correlationId})`);
        const t = rt.topicId !== ZERO_UUID ? cluster.topicById(rt.topicId) : undefined;
        if (t) topics.push(describe(cluster, t, includeOps));
        else topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: rt.topicId, isInternal: false, partitions: [] });
        continue;
      }
      let t = cluster.topic(rt.name);
      if (!t && autoCreate && broker.config.boolean('auto.create.topics.enable') && !INTERNAL.has(rt.name)) {
        try {
          t = await cluster.createTopic({ name: rt.name, partitions: broker.config.number('num.partitions'), replicationFactor: -1, configs: {} });
        } catch (err) {
          if (err instanceof ClusterTopicError && err.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) t = cluster.topic(rt.name);
          else {
            const errorCode = err instanceof ClusterTopicError ? err.errorCode : toErrorCode(err, broker.logger, `auto-creating topic ${rt.name}`).errorCode;
            topics.push({ errorCode, name: rt.name, topicId: ZERO_UUID, isInternal: false, partitions: [] });
            continue;
          }
        }
      }
      if (t) topics.push(describe(cluster, t, includeOps));
      else topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: rt.name, topicId: ZERO_UUID, isInternal: false, partitions: [] });
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: cluster.liveBrokers().map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    clusterId: broker.clusterId,
    controllerId: cluster.controllerId,
    topics,
    clusterAuthorizedOperations: v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : NOT_REQUESTED,
  };
}

function describe(cluster: ClusterMode, t: TopicRecord, includeOps: boolean): MetadataResponseTopicsInput {
  const states = cluster.partitionsOf(t.name);
  const partitions = [];
  for (let p = 0; p < t.partitionCount; p++) {
    const s = states[p];
    if (!s) return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, name: t.name, topicId: t.topicId, isInternal: INTERNAL.has(t.name), partitions: [], topicAuthorizedOperations: NOT_REQUESTED };
    const offline = s.replicas.filter((r) => !cluster.isLive(r));
    partitions.push({
      errorCode: s.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: p,
      leaderId: s.leader,
      leaderEpoch: s.leaderEpoch,
      replicaNodes: s.replicas,
      isrNodes: s.isr,
      offlineReplicas: offline,
    });
  }
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: INTERNAL.has(t.name),
    partitions,
    topicAuthorizedOperations: includeOps ? TOPIC_OPERATIONS : NOT_REQUESTED,
  };
}
