/**
 * What a cluster test hands the history checker at the end: each partition's final log as a client
 * reads it (kcat from the leaders, to the high watermark) and every replica's stored batches, read
 * straight from the brokers' data dirs.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../helpers/process.ts';
import { splitBatches, type History, type ReadRecord, type StoredBatch } from './history-checker.ts';

export type ReplicaBytes = NonNullable<History['replicas']>;

/** Every record of `topic` as kcat consumes it from `bootstrap` to the end: partition → records. */
export async function readFinalLogs(bootstrap: string, topic: string, timeoutMs: number): Promise<Map<number, ReadRecord[]>> {
  const out = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-e', '-q', '-f', '%p %o %s\\n'], { timeoutMs });
  if (out.code !== 0) throw new Error(`kcat could not read ${topic} from ${bootstrap} (exit ${out.code}): ${out.stderr.slice(-500)}`);
  const final = new Map<number, ReadRecord[]>();
  for (const line of out.stdout.split('\n').filter(Boolean)) {
    const [p, o, v] = line.split(' ');
    const list = final.get(Number(p)) ?? [];
    list.push({ offset: Number(o), value: v! });
    final.set(Number(p), list);
  }
  return final;
}

/**
 * Each replica's batches of `topic`'s `partitions`, from the .log files in every node's data dir, with
 * the high watermark the final log shows (one past its last offset): the checker compares replicas below it.
 */
export async function readReplicaBytes(nodes: readonly { id: number; dataDir: string }[], topic: string, partitions: readonly number[], final: Map<number, ReadRecord[]>): Promise<ReplicaBytes> {
  const replicas: ReplicaBytes = new Map();
  for (const partition of partitions) {
    const byBroker = new Map<number, StoredBatch[]>();
    for (const n of nodes) {
      const dir = join(n.dataDir, `${topic}-${partition}`);
      const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
      const batches: StoredBatch[] = [];
      for (const f of files) batches.push(...splitBatches(await readFile(join(dir, f))));
      byBroker.set(n.id, batches);
    }
    const highWatermark = Math.max(-1, ...(final.get(partition) ?? []).map((r) => r.offset)) + 1;
    replicas.set(partition, { highWatermark, byBroker });
  }
  return replicas;
}
