import { ErrorCode } from '../../protocol/error-codes.ts';
import { CreateTopicsApi, type CreateTopicsRequest, type CreateTopicsResponseInput, type CreateTopicsResponseTopicsInput } from '../../protocol/messages/create-topics.ts';
import { toErrorCode } from '../errors.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { allowedOnCluster, allowedTopics, Op } from '../authorize.ts';
import type { ClusterMode } from '../cluster-mode.ts';
import { ClusterTopicError } from '../cluster-topic-error.ts';
import type { Logger } from '../logger.ts';
import type { CreateTopicsRequestTopics } from '../../protocol/messages/create-topics.ts';

/**
 * CreateTopics (19), v0–7: partitions (-1 = num.partitions), configs, validateOnly, per-topic errors;
 * v5+ also returns the partition count, replication factor and the topic's configs, v7 its id.
 *
 * Cluster mode (metadata.store): the topic is created in the metadata store with Kafka's replica
 * placement (-1 = default.replication.factor; more than the live brokers = INVALID_REPLICATION_FACTOR)
 * or the given assignments (brokers must be registered).
 *
 * Single node: one node holds one replica. -1 means the default (1); any other value ≥ 1 is
 * accepted and reported as 1, so commands written for a 3-broker cluster (`--replication-factor 3`)
 * work against a laptop broker. Kafka would answer INVALID_REPLICATION_FACTOR; 0 and below -1 still
 * get it here. Manual assignments must name only this broker (INVALID_REPLICA_ASSIGNMENT otherwise).
 */
export const createTopics: ApiHandler<typeof CreateTopicsApi> = {
  api: CreateTopicsApi,
  minVersion: 0,
  maxVersion: 7,
  async handle(req: CreateTopicsRequest, ctx: RequestContext): Promise<CreateTopicsResponseInput> {
    const broker = ctx.broker;
    const v = ctx.apiVersion;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics: CreateTopicsResponseTopicsInput[] = [];
    // CREATE on the cluster or on each topic; DESCRIBE_CONFIGS to be shown its configs (KafkaApis).
    const creatable = allowedOnCluster(ctx, Op.CREATE) ? new Set(counts.keys()) : allowedTopics(ctx, Op.CREATE, counts.keys());
    const describable = allowedTopics(ctx, Op.DESCRIBE_CONFIGS, counts.keys());
    for (const t of req.topics) {
      const fail = (errorCode: number, message: string) => {
        topics.push({ name: t.name, errorCode, errorMessage: v >= 1 ? message : null, numPartitions: -1, replicationFactor: -1, configs: v >= 5 ? null : undefined });
      };
      if (counts.get(t.name)! > 1) {
        fail(ErrorCode.INVALID_REQUEST, `Create topics request from client contains a duplicate topic ${t.name}`);
        continue;
      }
      if (!creatable.has(t.name)) {
        fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
        if (v >= 5) topics[topics.length - 1]!.topicConfigErrorCode = describable.has(t.name) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        continue;
      }
      if (t.replicationFactor === 0 || t.replicationFactor < -1) {
        fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be larger than 0, or -1 to use the default value.`);
        continue;
      }
      let partitions = t.numPartitions === -1 ? broker.config.number('num.partitions') : t.numPartitions;
      if (t.assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          fail(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
          continue;
        }
        const bad = broker.cluster ? undefined : t.assignments.find((a) => a.brokerIds.length === 0 || a.brokerIds.some((id) => id !== broker.nodeId));
        const indexes = t.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
        if (bad || indexes.some((p, i) => p !== i)) {
          fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignments must cover partitions 0..n-1 with broker ${broker.nodeId} only (single-node broker)`);
          continue;
        }
        partitions = t.assignments.length;
      }
      const configs: Record<string, string> = {};
      const nullConfig = t.configs.find((c) => c.value === null);
      if (nullConfig) {
        fail(ErrorCode.INVALID_REQUEST, `Null value not supported for topic configs: ${nullConfig.name}`);
        continue;
      }
      for (const c of t.configs) configs[c.name] = c.value!;
      if (broker.cluster) {
        topics.push(await createInCluster(broker.cluster, t, partitions, configs, req.validateOnly, v, broker.logger));
        continue;
      }
      try {
        const info = await broker.logs.createTopic(t.name, { partitions, configs, validateOnly: req.validateOnly });
        const out: CreateTopicsResponseTopicsInput = { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
        if (v >= 5) {
          out.numPartitions = info.partitionCount;
          out.replicationFactor = 1;
          out.topicConfigErrorCode = describable.has(t.name) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          out.configs = !describable.has(t.name) ? null : req.validateOnly
            ? Object.entries(configs).map(([name, value]) => ({ name, value, readOnly: false, configSource: 1, isSensitive: false }))
            : broker.logs.describeTopicConfigs(t.name).map((e) => ({
                name: e.name,
                value: e.value,
                readOnly: e.readOnly,
                configSource: e.sourceCode,
                isSensitive: e.isSensitive,
              }));
        }
        if (v >= 7 && !req.validateOnly) out.topicId = info.topicId;
        topics.push(out);
      } catch (err) {
        const { errorCode, message } = toErrorCode(err, broker.logger, `creating topic ${t.name}`);
        fail(errorCode, message);
      }
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req: CreateTopicsRequest, errorCode: number) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, errorCode })) };
  },
};

async function createInCluster(
  cluster: ClusterMode,
  t: CreateTopicsRequestTopics,
  partitions: number,
  configs: Record<string, string>,
  validateOnly: boolean,
  v: number,
  logger: Logger,
): Promise<CreateTopicsResponseTopicsInput> {
  const assignments = t.assignments.length > 0 ? [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds) : undefined;
  try {
    const record = await cluster.createTopic({ name: t.name, partitions, replicationFactor: t.replicationFactor, configs, validateOnly, ...(assignments ? { assignments } : {}) });
    const rf = cluster.partitionsOf(t.name)[0]?.replicas.length ?? (assignments?.[0]?.length ?? t.replicationFactor);
    const out: CreateTopicsResponseTopicsInput = { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
    if (v >= 5) {
      out.numPartitions = record.partitionCount;
      out.replicationFactor = rf;
      out.topicConfigErrorCode = ErrorCode.NONE;
      out.configs = Object.entries(configs).map(([name, value]) => ({ name, value, readOnly: false, configSource: 1, isSensitive: false }));
    }
    if (v >= 7 && !validateOnly) out.topicId = record.topicId;
    return out;
  } catch (err) {
    const { errorCode, message } = err instanceof ClusterTopicError ? err : toErrorCode(err, logger, `creating topic ${t.name}`);
    return { name: t.name, errorCode, errorMessage: v >= 1 ? message : null, numPartitions: -1, replicationFactor: -1, configs: v >= 5 ? null : undefined };
  }
}
