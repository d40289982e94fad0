import { ErrorCode } from '../protocol/error-codes.ts';
import { DeleteRecordsApi } from '../protocol/messages/delete-records.ts';
import { sleep, type Cluster } from './cluster.ts';
import { KafkaError, isRetriable, needsMetadataRefresh } from './errors.ts';
import { tpKey } from './list-offsets.ts';

/**
 * DeleteRecords (API 21): move partitions' log start offsets forward, making the records before
 * them unreadable (Kafka's kafka-delete-records.sh, AdminClient.deleteRecords). Each request goes to
 * the partition's leader. Offset -1 means "the high watermark" (delete everything), as in Kafka.
 */

export interface DeleteRecordsTarget {
  topic: string;
  partition: number;
  /** Records below this offset are deleted; -1n = up to the high watermark. */
  offset: bigint;
}

/** One partition's outcome: the new low watermark, or the error the broker gave for it. */
export interface DeleteRecordsResult {
  topic: string;
  partition: number;
  lowWatermark: bigint | null;
  error: KafkaError | null;
}

export async function deleteRecords(cluster: Cluster, targets: DeleteRecordsTarget[], opts: { timeoutMs?: number; attempts?: number } = {}): Promise<DeleteRecordsResult[]> {
  const attempts = opts.attempts ?? 5;
  const out = new Map<string, DeleteRecordsResult>();
  let pending = targets;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const missing = [...new Set(pending.filter((t) => cluster.leaderFor(t.topic, t.partition) < 0).map((t) => t.topic))];
    if (missing.length > 0) await cluster.topicMetadata(missing);
    const byLeader = new Map<number, DeleteRecordsTarget[]>();
    for (const t of pending) {
      const leader = cluster.leaderFor(t.topic, t.partition);
      if (leader < 0) {
        out.set(tpKey(t.topic, t.partition), { ...pick(t), lowWatermark: null, error: new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${t.partition} of topic "${t.topic}" does not exist`) });
        continue;
      }
      let l = byLeader.get(leader);
      if (!l) byLeader.set(leader, (l = []));
      l.push(t);
    }
    const retry: DeleteRecordsTarget[] = [];
    await Promise.all(
      [...byLeader].map(async ([leader, ts]) => {
        const conn = await cluster.connectionTo(leader);
        const byTopic = new Map<string, DeleteRecordsTarget[]>();
        for (const t of ts) {
          let l = byTopic.get(t.topic);
          if (!l) byTopic.set(t.topic, (l = []));
          l.push(t);
        }
        const res = await conn.request(DeleteRecordsApi, {
          topics: [...byTopic].map(([name, list]) => ({ name, partitions: list.map((t) => ({ partitionIndex: t.partition, offset: t.offset })) })),
          timeoutMs: opts.timeoutMs ?? 30_000,
        });
        for (const rt of res.topics) {
          for (const rp of rt.partitions) {
            const t = ts.find((x) => x.topic === rt.name && x.partition === rp.partitionIndex);
            if (!t) continue;
            if (rp.errorCode === ErrorCode.NONE) {
              out.set(tpKey(t.topic, t.partition), { ...pick(t), lowWatermark: rp.lowWatermark, error: null });
            } else if (isRetriable(rp.errorCode) && attempt < attempts) {
              if (needsMetadataRefresh(rp.errorCode)) await cluster.refreshMetadata([t.topic]).catch(() => undefined);
              retry.push(t);
            } else {
              out.set(tpKey(t.topic, t.partition), { ...pick(t), lowWatermark: null, error: new KafkaError(rp.errorCode, `delete records of ${t.topic}[${t.partition}] before offset ${t.offset}`) });
            }
          }
        }
      }),
    );
    pending = retry;
    if (pending.length > 0) await sleep(100 * (attempt + 1));
  }
  return targets.map((t) => out.get(tpKey(t.topic, t.partition))!);
}

const pick = (t: DeleteRecordsTarget) => ({ topic: t.topic, partition: t.partition });
