import { ErrorCode } from '../protocol/error-codes.ts';
import { ListOffsetsApi } from '../protocol/messages/list-offsets.ts';
import { sleep, type Cluster } from './cluster.ts';
import { KafkaError, isRetriable, needsMetadataRefresh } from './errors.ts';

/**
 * ListOffsets (API 2) for many partitions at once, each sent to its leader. Special timestamps:
 * -2 = earliest (log start), -1 = latest (high watermark). Any other value finds the first offset
 * whose timestamp is ≥ it (or the end offset if there is none, as Kafka's tools report).
 */

export const EARLIEST = -2n;
export const LATEST = -1n;

export interface OffsetQuery {
  topic: string;
  partition: number;
  timestamp: bigint;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

/** `isolationLevel` 1 (read_committed) makes LATEST the last stable offset. */
export async function listOffsets(cluster: Cluster, queries: OffsetQuery[], attempts = 5, isolationLevel: 0 | 1 = 0): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  let pending = queries;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const missing = [...new Set(pending.filter((q) => cluster.leaderFor(q.topic, q.partition) < 0).map((q) => q.topic))];
    if (missing.length > 0) await cluster.topicMetadata(missing);
    const byLeader = new Map<number, OffsetQuery[]>();
    for (const q of pending) {
      const leader = cluster.leaderFor(q.topic, q.partition);
      if (leader < 0) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${q.partition} of topic "${q.topic}" does not exist`);
      let l = byLeader.get(leader);
      if (!l) byLeader.set(leader, (l = []));
      l.push(q);
    }
    const retry: OffsetQuery[] = [];
    let lastError: KafkaError | undefined;
    await Promise.all(
      [...byLeader].map(async ([leader, qs]) => {
        const conn = await cluster.connectionTo(leader);
        const byTopic = new Map<string, OffsetQuery[]>();
        for (const q of qs) {
          let l = byTopic.get(q.topic);
          if (!l) byTopic.set(q.topic, (l = []));
          l.push(q);
        }
        // v0 answers with an array of old-style offsets; v1+ with one offset. Use ≥1 (every Kafka ≥0.10.1).
        const version = conn.negotiated(ListOffsetsApi);
        const res = await conn.request(ListOffsetsApi, {
          replicaId: -1,
          isolationLevel,
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitions: list.map((q) => ({ partitionIndex: q.partition, currentLeaderEpoch: -1, timestamp: q.timestamp, maxNumOffsets: 1 })),
          })),
        });
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const q = qs.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
            if (!q) continue;
            if (p.errorCode === ErrorCode.NONE) {
              let offset = version === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset;
              // No record at or after the timestamp: Kafka answers -1; the end of the log is what a seek wants.
              if (offset < 0n && q.timestamp >= 0n) offset = -1n;
              out.set(tpKey(q.topic, q.partition), offset);
            } else if (isRetriable(p.errorCode) && attempt < attempts) {
              if (needsMetadataRefresh(p.errorCode)) await cluster.refreshMetadata([q.topic]).catch(() => undefined);
              retry.push(q);
              lastError = new KafkaError(p.errorCode, `ListOffsets ${q.topic}[${q.partition}]`);
            } else {
              throw new KafkaError(p.errorCode, `ListOffsets ${q.topic}[${q.partition}]`);
            }
          }
        }
      }),
    );
    // Timestamps past the last record: resolve to the end offset.
    const pastEnd = pending.filter((q) => q.timestamp >= 0n && out.get(tpKey(q.topic, q.partition)) === -1n);
    if (pastEnd.length > 0) {
      const ends = await listOffsets(cluster, pastEnd.map((q) => ({ ...q, timestamp: LATEST })), attempts);
      for (const [k, v] of ends) out.set(k, v);
    }
    pending = retry;
    if (pending.length > 0) {
      if (attempt >= attempts) throw lastError!;
      await sleep(100 * (attempt + 1));
    }
  }
  return out;
}
