import { ErrorCode } from '../../protocol/error-codes.ts';
import { MetadataApi, type MetadataRequest, type MetadataResponseInput, type MetadataResponseTopicsInput } from '../../protocol/messages/metadata.ts';
import type { TopicInfo } from '../../storage/log-manager.ts';
import { CloseConnection } from '../connection.ts';
import { ZERO_UUID } from '../errors.ts';
import { advertisedEndpoint, type ApiHandler, type BrokerContext, type RequestContext } from '../handler.ts';
import { findOrCreateTopic } from '../topics.ts';
import { allowed, allowedOnCluster, allowedTopics, authorizedOperations, Op, Res } from '../authorize.ts';
import { CLUSTER_NAME } from '../../security/authorizer/acl.ts';

/** The operations a topic / the cluster supports (KIP-430); with no authorizer every one is authorized. */
const TOPIC_OPS = [Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS];
const CLUSTER_OPS = [Op.CREATE, Op.ALTER, Op.DESCRIBE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE];

/** The cluster's authorized operations as Kafka answers them: 0 without DESCRIBE on the cluster. */
export function clusterAuthorizedOperations(ctx: RequestContext): number {
  return allowedOnCluster(ctx, Op.DESCRIBE) ? authorizedOperations(ctx, Res.CLUSTER, CLUSTER_NAME, CLUSTER_OPS) : 0;
}
export const NOT_REQUESTED = -2147483648;

/**
 * Where a Metadata answer's topics come from: this broker's logs (single node) or the cluster's
 * metadata store (cluster mode). The authorization rules are the same for both and live in
 * `authorizedTopicMetadata`, so the two answers cannot drift apart.
 */
export interface MetadataTopicSource<T extends { name: string }> {
  list(): T[];
  byId(topicId: string): T | undefined;
  exists(name: string): boolean;
  /** The topic's entry, carrying `authorizedOps` (NOT_REQUESTED when not asked for). */
  describe(t: T, authorizedOps: number): MetadataResponseTopicsInput;
  /** The named topic's entry, auto-creating it first when `autoCreate` and the broker allows it; else its error entry. */
  findOrCreate(name: string, autoCreate: boolean): Promise<MetadataResponseTopicsInput>;
}

/**
 * The topics part of a Metadata answer, authorized as KafkaApis: "all topics" lists only those the
 * principal may DESCRIBE; a named topic it may not DESCRIBE is TOPIC_AUTHORIZATION_FAILED whether it
 * exists or not (existence is never disclosed); auto-creating a missing one needs CREATE on the
 * cluster or the topic (TOPIC_AUTHORIZATION_FAILED otherwise); a topic id it may not DESCRIBE is
 * TOPIC_AUTHORIZATION_FAILED named by id only. v8+ topicAuthorizedOperations from the ACLs.
 */
export async function authorizedTopicMetadata<T extends { name: string }>(req: MetadataRequest, ctx: RequestContext, source: MetadataTopicSource<T>): Promise<MetadataResponseTopicsInput[]> {
  const v = ctx.apiVersion;
  const includeOps = v >= 8 && req.includeTopicAuthorizedOperations;
  // v0: an empty array means all topics; v1+: null means all, empty means none.
  const all = req.topics === null || (v === 0 && req.topics.length === 0);
  const autoCreate = v < 4 || req.allowAutoTopicCreation;
  const topics: MetadataResponseTopicsInput[] = [];
  const ops = (name: string) => (includeOps ? authorizedOperations(ctx, Res.TOPIC, name, TOPIC_OPS) : NOT_REQUESTED);
  if (all) {
    const listed = source.list();
    const visible = allowedTopics(ctx, Op.DESCRIBE, listed.map((t) => t.name));
    for (const t of listed) if (visible.has(t.name)) topics.push(source.describe(t, ops(t.name)));
    return topics;
  }
  const describable = allowedTopics(ctx, Op.DESCRIBE, req.topics!.flatMap((rt) => (rt.name === null ? [] : [rt.name])));
  const autoCreating = autoCreate && ctx.broker.config.boolean('auto.create.topics.enable');
  // Kafka asks for CREATE on the cluster first without logging a refusal: the topic CREATE decides.
  let clusterCreate: boolean | undefined;
  for (const rt of req.topics!) {
    if (rt.name === null) {
      // v10-11 may carry a null name but cannot answer one (the response name is nullable from v12):
      // Kafka refuses such a request as invalid; there is no well-formed answer, so close.
      if (v < 12) throw new CloseConnection(`Metadata v${v}: topic name can not be null before v12 (correlation id ${ctx.correlationId})`);
      // v12+: by topic id only.
      const t = rt.topicId !== ZERO_UUID ? source.byId(rt.topicId) : undefined;
      // Topic ids are not secret (Kafka): an unauthorized one is named by id, not by name.
      if (t && !allowed(ctx, Op.DESCRIBE, Res.TOPIC, t.name)) topics.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name: null, topicId: rt.topicId, isInternal: false, partitions: [] });
      else if (t) topics.push(source.describe(t, ops(t.name)));
      else topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: rt.topicId, isInternal: false, partitions: [] });
      continue;
    }
    const refused = !describable.has(rt.name) ||
      (autoCreating && !source.exists(rt.name) && !(clusterCreate ??= allowedOnCluster(ctx, Op.CREATE, false)) && !allowed(ctx, Op.CREATE, Res.TOPIC, rt.name));
    if (refused) {
      topics.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name: rt.name, topicId: ZERO_UUID, isInternal: false, partitions: [] });
      continue;
    }
    const entry = await source.findOrCreate(rt.name, autoCreate);
    topics.push(entry.errorCode === ErrorCode.NONE && entry.name !== null && entry.name !== undefined ? { ...entry, topicAuthorizedOperations: ops(entry.name) } : entry);
  }
  return topics;
}

/**
 * Metadata (3), v0–12: this broker as the only broker and controller, the requested topics (or all)
 * with every partition led by this node. Unknown topics are auto-created when the broker allows it and
 * the request does (v4+ AllowAutoTopicCreation; always for v0–3, as Kafka does). Cluster mode answers
 * from the metadata store (cluster-metadata.ts); both authorize through `authorizedTopicMetadata`.
 */
export const metadata: ApiHandler<typeof MetadataApi> = {
  api: MetadataApi,
  minVersion: 0,
  maxVersion: 12,
  async handle(req: MetadataRequest, ctx: RequestContext): Promise<MetadataResponseInput> {
    const v = ctx.apiVersion;
    const broker = ctx.broker;
    // Imported on the first cluster-mode request: a standalone broker never needs it (issue 12).
    if (broker.cluster) return (await import('./cluster-metadata.ts')).clusterMetadata(req, ctx, broker.cluster);
    const topics = await authorizedTopicMetadata<TopicInfo>(req, ctx, {
      list: () => broker.logs.listTopics(),
      byId: (id) => broker.logs.getTopicById(id),
      exists: (name) => broker.logs.getTopic(name) !== undefined,
      describe: (t, ops) => describeTopic(broker, t, ops),
      async findOrCreate(name, autoCreate) {
        const found = await findOrCreateTopic(broker, name, autoCreate);
        if (found.topic) return describeTopic(broker, found.topic, NOT_REQUESTED);
        return { errorCode: found.errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [] };
      },
    });
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: broker.nodeId, ...advertisedEndpoint(ctx), rack: null }],
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
      clusterAuthorizedOperations: v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : NOT_REQUESTED,
    };
  },
  errorResponse(req: MetadataRequest, errorCode: number, ctx: RequestContext) {
    const b = ctx.broker;
    if (b.cluster) {
      return {
        brokers: b.cluster.brokersFor(ctx.connection.listener?.name),
        clusterId: b.clusterId,
        controllerId: b.cluster.controllerId,
        topics: (req.topics ?? []).map((t) => ({ errorCode, name: t.name, topicId: t.topicId, partitions: [] })),
      };
    }
    return {
      brokers: [{ nodeId: b.nodeId, ...advertisedEndpoint(ctx), rack: null }],
      clusterId: b.clusterId,
      controllerId: b.nodeId,
      topics: (req.topics ?? []).map((t) => ({ errorCode, name: t.name, topicId: t.topicId, partitions: [] })),
    };
  },
};

function describeTopic(broker: BrokerContext, t: TopicInfo, authorizedOps: number): MetadataResponseTopicsInput {
  const node = broker.nodeId;
  const partitions = [];
  for (let p = 0; p < t.partitionCount; p++) {
    const log = broker.logs.partition(t.name, p);
    if (log === undefined) {
      // Storage lists a topic (or its new partition count) before every partition log is open: the
      // topic is being created or grown. Kafka never shows a half-made topic; the answer it gives
      // while a topic has no leaders yet is LEADER_NOT_AVAILABLE, which every client retries. Showing
      // the missing partitions as offline (KAFKA_STORAGE_ERROR, leader -1) made clients give up.
      return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, name: t.name, topicId: t.topicId, isInternal: t.internal, partitions: [], topicAuthorizedOperations: NOT_REQUESTED };
    }
    // A log storage took offline after an I/O failure: Kafka's answer for an offline replica.
    const offline = log.offline;
    partitions.push({
      errorCode: offline ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NONE,
      partitionIndex: p,
      leaderId: offline ? -1 : node,
      leaderEpoch: log.leaderEpoch,
      replicaNodes: [node],
      isrNodes: offline ? [] : [node],
      offlineReplicas: offline ? [node] : [],
    });
  }
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions,
    topicAuthorizedOperations: authorizedOps,
  };
}
