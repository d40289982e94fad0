/**
 * Cluster mode: which broker coordinates a group or a transactional id. As in Kafka, the coordinator
 * of key K is the leader of partition `abs(javaHashCode(K)) % partitions` of `__consumer_offsets`
 * (groups) or `__transaction_state` (transactional ids). FindCoordinator answers with that leader;
 * the coordinator APIs sent to any other broker get NOT_COORDINATOR (the client looks it up again).
 *
 * kstream's coordinators keep their state in partition 0 of a one-partition internal topic, so every
 * key maps to partition 0 and one broker (its leader) coordinates every group / transaction.
 */
import { ErrorCode } from '../protocol/error-codes.ts';
import type { RegisteredBroker } from '../cluster/metadata-store.ts';
import type { ClusterMode } from './cluster-mode.ts';
import { ClusterTopicError } from './cluster-topic-error.ts';
import type { ApiHandler, RequestContext } from './handler.ts';
import { mapHandler, type ServedApi } from './handler-table.ts';
import type { AnyApiDescriptor, RequestOf } from '../protocol/api-descriptor.ts';
import {
  AddOffsetsToTxnFacts,
  AddPartitionsToTxnFacts,
  DeleteGroupsFacts,
  DescribeGroupsFacts,
  EndTxnFacts,
  HeartbeatFacts,
  InitProducerIdFacts,
  JoinGroupFacts,
  LeaveGroupFacts,
  OffsetCommitFacts,
  OffsetDeleteFacts,
  OffsetFetchFacts,
  SyncGroupFacts,
  TxnOffsetCommitFacts,
} from '../protocol/messages/api-facts.ts';

export const GROUP_TOPIC = '__consumer_offsets';
export const TRANSACTION_TOPIC = '__transaction_state';

/** Java's String.hashCode, as Kafka's partitionFor uses it. */
export function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs (Integer.MIN_VALUE → 0, unlike Math.abs). */
const kafkaAbs = (n: number): number => (n === -2147483648 ? 0 : Math.abs(n));

export type CoordinatorLookup = { errorCode: typeof ErrorCode.NONE; broker: RegisteredBroker } | { errorCode: number; message: string };

/**
 * The coordinator of `key` in `topic`. Creates the internal topic in the cluster on first use with
 * its replication factor setting (offsets.topic.replication.factor / transaction.state.log.replication.factor);
 * while fewer brokers are alive than that, COORDINATOR_NOT_AVAILABLE — as Kafka.
 */
export async function coordinatorFor(
  cluster: ClusterMode,
  topic: string,
  key: string,
  rfSetting: number,
  local: { topicId: string; configs: Record<string, string> } | undefined,
  extraConfigs: Record<string, string> = {},
): Promise<CoordinatorLookup> {
  let t = cluster.topic(topic);
  if (!t) {
    // One topic id for the cluster: this broker's local copy's (so it stays valid here); the other
    // replicas replace theirs (cluster-mode.ts). Its compaction and segment size go with it.
    const configs: Record<string, string> = { 'cleanup.policy': 'compact', ...extraConfigs };
    if (local?.configs['segment.bytes']) configs['segment.bytes'] = local.configs['segment.bytes'];
    try {
      t = await cluster.createTopic({ name: topic, partitions: 1, replicationFactor: rfSetting, configs, internal: true, ...(local ? { topicId: local.topicId } : {}) });
    } catch (err) {
      t = cluster.topic(topic);
      if (!t) {
        const message = err instanceof ClusterTopicError ? err.message : (err as Error).message;
        return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: `The coordinator is not available: ${topic} cannot be created yet (${message})` };
      }
    }
  }
  const partition = kafkaAbs(javaHashCode(key)) % t.partitionCount;
  const state = cluster.partition(topic, partition);
  const leader = state ? cluster.liveBrokers().find((b) => b.nodeId === state.leader) : undefined;
  if (!leader) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: `The coordinator is not available: ${topic}-${partition} has no leader.` };
  return { errorCode: ErrorCode.NONE, broker: leader };
}

/** Is this broker the coordinator of `key`? (no store writes: an absent topic means no). */
export function isLocalCoordinator(cluster: ClusterMode, topic: string, key: string): boolean {
  const t = cluster.topic(topic);
  if (!t) return false;
  const partition = kafkaAbs(javaHashCode(key)) % t.partitionCount;
  return cluster.partition(topic, partition)?.leader === cluster.nodeId;
}

type Keyed = { topic: string; key: (req: Record<string, unknown>, version: number) => string | null };

const groupId = (req: Record<string, unknown>): string | null => (typeof req.groupId === 'string' ? req.groupId : null);
const txnId = (req: Record<string, unknown>): string | null => (typeof req.transactionalId === 'string' ? req.transactionalId : null);
const firstOf = (field: string, inner: string | null) => (req: Record<string, unknown>): string | null => {
  const list = req[field];
  if (!Array.isArray(list) || list.length === 0) return null;
  const first: unknown = list[0];
  if (inner === null) return typeof first === 'string' ? first : null;
  const v = first && typeof first === 'object' ? (first as Record<string, unknown>)[inner] : null;
  return typeof v === 'string' ? v : null;
};

/** Coordinator APIs by key: which internal topic places them and where their key is. */
const COORDINATED: ReadonlyMap<number, Keyed> = new Map<number, Keyed>([
  [OffsetCommitFacts.key, { topic: GROUP_TOPIC, key: groupId }],
  [OffsetFetchFacts.key, { topic: GROUP_TOPIC, key: (r, v) => (v >= 8 ? firstOf('groups', 'groupId')(r) : groupId(r)) }],
  [JoinGroupFacts.key, { topic: GROUP_TOPIC, key: groupId }],
  [HeartbeatFacts.key, { topic: GROUP_TOPIC, key: groupId }],
  [LeaveGroupFacts.key, { topic: GROUP_TOPIC, key: groupId }],
  [SyncGroupFacts.key, { topic: GROUP_TOPIC, key: groupId }],
  [DescribeGroupsFacts.key, { topic: GROUP_TOPIC, key: firstOf('groups', null) }],
  [DeleteGroupsFacts.key, { topic: GROUP_TOPIC, key: firstOf('groupsNames', null) }],
  [OffsetDeleteFacts.key, { topic: GROUP_TOPIC, key: groupId }],
  [TxnOffsetCommitFacts.key, { topic: GROUP_TOPIC, key: groupId }],
  [InitProducerIdFacts.key, { topic: TRANSACTION_TOPIC, key: txnId }], // a null id: any broker
  [AddPartitionsToTxnFacts.key, { topic: TRANSACTION_TOPIC, key: (r, v) => (v < 4 ? txnId(r) : firstOf('transactions', 'transactionalId')(r)) }],
  [AddOffsetsToTxnFacts.key, { topic: TRANSACTION_TOPIC, key: txnId }],
  [EndTxnFacts.key, { topic: TRANSACTION_TOPIC, key: txnId }],
]);

/**
 * Wraps the coordinator APIs so that, in cluster mode, a broker that does not lead the key's
 * coordinator partition answers NOT_COORDINATOR (through each handler's own error response).
 */
export function withCoordinatorPlacement(handlers: readonly ServedApi[]): ServedApi[] {
  return handlers.map((entry) => {
    const keyed = COORDINATED.get(entry.api.key);
    // Lazy entries stay lazy: the wrapper is applied when the handler is first imported.
    return keyed ? mapHandler(entry, (h) => placed(h, keyed)) : entry;
  });
}

/** `h` answering NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS for keys this broker does not coordinate (now). */
function placed(h: ApiHandler, keyed: Keyed): ApiHandler {
  if (!h.errorResponse) return h;
  const errorResponse = h.errorResponse.bind(h);
  const wrapped: ApiHandler<AnyApiDescriptor> = {
    ...h,
    handle(req: RequestOf<AnyApiDescriptor>, ctx: RequestContext) {
      const cluster = ctx.broker.cluster;
      if (cluster) {
        const key = keyed.key(req as Record<string, unknown>, ctx.apiVersion);
        if (key !== null && !isLocalCoordinator(cluster, keyed.topic, key)) return errorResponse(req, ErrorCode.NOT_COORDINATOR, ctx);
        // Elected but still replaying the partition (or the replica manager not yet leading it).
        if (key !== null && ctx.broker.coordinatorElection?.state(keyed.topic) !== 'loaded') return errorResponse(req, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ctx);
      }
      return h.handle(req, ctx);
    },
  };
  return wrapped;
}
