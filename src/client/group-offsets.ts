import { ErrorCode } from '../protocol/error-codes.ts';
import { OffsetFetchApi } from '../protocol/messages/offset-fetch.ts';
import type { Cluster } from './cluster.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { findCoordinator } from './coordinator.ts';
import { KafkaError } from './errors.ts';
import { tpKey } from './list-offsets.ts';

/**
 * OffsetFetch (API 9): a group's committed offsets. v0–7 take one group (topics null = all, v2+);
 * v8+ wrap it in `groups[]`. Returns tpKey → offset; partitions without a commit are left out
 * (Kafka answers -1 for them). `partitions` null = everything the group committed.
 */
export async function fetchCommittedOffsets(
  cluster: Cluster,
  groupId: string,
  partitions: Array<{ topic: string; partition: number }> | null,
  coordinator?: BrokerConnection,
): Promise<Map<string, bigint>> {
  const conn = coordinator ?? (await findCoordinator(cluster, groupId));
  const version = conn.negotiated(OffsetFetchApi);
  let topics: Array<{ name: string; partitionIndexes: number[] }> | null = null;
  if (partitions !== null) {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  }
  if (topics === null && version < 2) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `OffsetFetch of all topics needs v2+ (broker ${conn.address} offers v${version})`);
  const res = await conn.request(
    OffsetFetchApi,
    version >= 8 ? { groups: [{ groupId, topics }], requireStable: false } : { groupId, topics, requireStable: false },
  );
  const out = new Map<string, bigint>();
  const groupError = version >= 8 ? (res.groups[0]?.errorCode ?? ErrorCode.NONE) : res.errorCode;
  if (groupError !== ErrorCode.NONE) throw new KafkaError(groupError, `OffsetFetch for group "${groupId}"`);
  const list = version >= 8 ? (res.groups[0]?.topics ?? []) : res.topics;
  for (const t of list) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE && p.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new KafkaError(p.errorCode, `OffsetFetch ${t.name}[${p.partitionIndex}]`);
      if (p.errorCode === ErrorCode.NONE && p.committedOffset >= 0n) out.set(tpKey(t.name, p.partitionIndex), p.committedOffset);
    }
  }
  return out;
}
