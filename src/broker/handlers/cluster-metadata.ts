import { ErrorCode } from '../../protocol/error-codes.ts';
import type { MetadataRequest, MetadataResponseInput, MetadataResponseTopicsInput } from '../../protocol/messages/metadata.ts';
import type { TopicRecord } from '../../cluster/metadata-store.ts';
import type { ClusterMode } from '../cluster-mode.ts';
import { ClusterTopicError } from '../cluster-topic-error.ts';
import { toErrorCode, ZERO_UUID } from '../errors.ts';
import type { RequestContext } from '../handler.ts';
import { authorizedTopicMetadata, clusterAuthorizedOperations, NOT_REQUESTED } from './metadata.ts';

/** Kafka's internal topics (Metadata isInternal). */
const INTERNAL = new Set(['__consumer_offsets', '__transaction_state']);

/**
 * Metadata in cluster mode: every live broker (with its rack), the controller, and each partition's
 * leader, leader epoch, replicas, ISR and offline replicas (replicas whose broker is not registered)
 * as the metadata store holds them — what a Kafka broker answers from its metadata cache. A partition
 * without a leader carries LEADER_NOT_AVAILABLE, as Kafka's MetadataCache does. Topics are authorized
 * exactly as on a single node (metadata.ts's authorizedTopicMetadata), auto-creation included.
 */
export async function clusterMetadata(req: MetadataRequest, ctx: RequestContext, cluster: ClusterMode): Promise<MetadataResponseInput> {
  const v = ctx.apiVersion;
  const broker = ctx.broker;
  const topics = await authorizedTopicMetadata<TopicRecord>(req, ctx, {
    list: () => cluster.listTopics(),
    byId: (id) => cluster.topicById(id),
    exists: (name) => cluster.topic(name) !== undefined,
    describe: (t, ops) => describe(cluster, t, ops),
    async findOrCreate(name, autoCreate) {
      let t = cluster.topic(name);
      if (!t && autoCreate && broker.config.boolean('auto.create.topics.enable') && !INTERNAL.has(name)) {
        try {
          t = await cluster.createTopic({ name, partitions: broker.config.number('num.partitions'), replicationFactor: -1, configs: {} });
        } catch (err) {
          if (err instanceof ClusterTopicError && err.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) t = cluster.topic(name);
          else {
            const errorCode = err instanceof ClusterTopicError ? err.errorCode : toErrorCode(err, broker.logger, `auto-creating topic ${name}`).errorCode;
            return { errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [] };
          }
        }
      }
      if (t) return describe(cluster, t, NOT_REQUESTED);
      return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, isInternal: false, partitions: [] };
    },
  });
  return {
    throttleTimeMs: 0,
    brokers: cluster.brokersFor(ctx.connection.listener?.name),
    clusterId: broker.clusterId,
    controllerId: cluster.controllerId,
    topics,
    clusterAuthorizedOperations: v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : NOT_REQUESTED,
  };
}

function describe(cluster: ClusterMode, t: TopicRecord, authorizedOps: number): MetadataResponseTopicsInput {
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
    topicAuthorizedOperations: authorizedOps,
  };
}
