import { ErrorCode } from '../protocol/error-codes.ts';
import { OffsetDeleteApi } from '../protocol/messages/offset-delete.ts';
import type { Cluster } from './cluster.ts';
import { findCoordinator } from './coordinator.ts';
import { KafkaError, check } from './errors.ts';
import { fetchCommittedOffsets } from './group-offsets.ts';

/**
 * OffsetDelete (API 47): remove a group's committed offsets for some partitions, as Kafka's
 * `kafka-consumer-groups --delete-offsets` does. A topic named without partitions means all of its
 * partitions (from metadata, as Kafka's tool resolves them; for a topic deleted since, the partitions
 * the group still has offsets for). The broker refuses partitions of topics an active member is
 * subscribed to (GROUP_SUBSCRIBED_TO_TOPIC), per partition.
 */

export interface OffsetDeleteSelection {
  topic: string;
  /** undefined = every partition of the topic. */
  partitions?: number[];
}

export interface OffsetDeleteResult {
  topic: string;
  partition: number;
  error: KafkaError | null;
}

export async function deleteGroupOffsets(cluster: Cluster, groupId: string, selection: OffsetDeleteSelection[]): Promise<OffsetDeleteResult[]> {
  const conn = await findCoordinator(cluster, groupId);
  const targets = new Map<string, number[]>();
  for (const s of selection) {
    let parts = s.partitions;
    if (parts === undefined) {
      await cluster.refreshMetadata([s.topic]);
      const t = cluster.topics.get(s.topic);
      if (t && t.errorCode === ErrorCode.NONE && t.partitions.length > 0) parts = t.partitions.map((p) => p.partition);
      else {
        const committed = await fetchCommittedOffsets(cluster, groupId, null, conn);
        parts = [...committed.keys()].map((k) => k.split('\0') as [string, string]).filter(([topic]) => topic === s.topic).map(([, p]) => Number(p));
        if (parts.length === 0) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${s.topic}" does not exist and group "${groupId}" has no offsets for it`);
      }
    }
    targets.set(s.topic, [...new Set([...(targets.get(s.topic) ?? []), ...parts])].sort((a, b) => a - b));
  }
  const res = await conn.request(OffsetDeleteApi, {
    groupId,
    topics: [...targets].map(([name, parts]) => ({ name, partitions: parts.map((partitionIndex) => ({ partitionIndex })) })),
  });
  if (res.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) throw new KafkaError(res.errorCode, `group "${groupId}" does not exist`);
  if (res.errorCode === ErrorCode.NON_EMPTY_GROUP) throw new KafkaError(res.errorCode, `group "${groupId}" is not empty: stop its consumers first`);
  // Kafka's tool reports partition errors under these top-level codes; the rows say which.
  const partitionLevel: ReadonlySet<number> = new Set([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  if (!partitionLevel.has(res.errorCode)) check(res.errorCode, `delete offsets of group "${groupId}"`);
  const out: OffsetDeleteResult[] = [];
  for (const [topic, parts] of targets) {
    const rt = res.topics.find((t) => t.name === topic);
    for (const partition of parts) {
      const code = rt?.partitions.find((p) => p.partitionIndex === partition)?.errorCode ?? res.errorCode;
      const why = code === ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC ? `an active member of "${groupId}" is subscribed to "${topic}"` : `delete offset of ${topic}[${partition}]`;
      out.push({ topic, partition, error: code === ErrorCode.NONE ? null : new KafkaError(code, why) });
    }
  }
  return out;
}
