import { join } from 'node:path';
import type { StorageIO } from './io.ts';
import type { StorageLogger } from './logger.ts';
import type { TopicRecord, TopicStore } from './topic-store.ts';

/**
 * The start-up sweep of a data directory for partition directories no topic owns (Kafka's
 * LogManager.loadLogs removing `-delete` directories and setting stray logs aside). Left behind by a
 * crash: a deletion cut short (`<dir>.<id>-delete`), a creation cut short before the topic was
 * persisted, or a topic deleted while its directory rename failed. Removes what provably belongs to
 * no topic; anything that may be someone's data is only reported.
 */
export async function removeStrayPartitionDirs(
  io: StorageIO,
  dataDir: string,
  store: TopicStore,
  records: readonly TopicRecord[],
  logger: StorageLogger,
): Promise<void> {
  const known = new Set<string>();
  for (const r of records) for (let p = 0; p < r.partitions; p++) known.add(`${r.name}-${p}`);
  const liveIds = new Set(records.map((r) => r.topicId));
  for (const name of await io.readdir(dataDir)) {
    const full = join(dataDir, name);
    if (name.endsWith('-delete')) {
      logger.info(`removing ${name} (deletion cut short)`);
      await io.rm(full, { recursive: true, force: true });
      continue;
    }
    if (!/^.+-\d+$/.test(name) || known.has(name) || !(await io.stat(full)).isDirectory()) continue;
    const id = await store.readPartitionMetadata(full);
    if (id !== null && !liveIds.has(id)) {
      logger.warn(`removing ${name}: its topic id ${id} belongs to no topic (deleted, or its creation was cut short)`);
      await io.rm(full, { recursive: true, force: true });
    } else if (id === null && (await holdsNoData(io, full))) {
      logger.warn(`removing ${name}: an empty partition directory of a topic creation cut short`);
      await io.rm(full, { recursive: true, force: true });
    } else {
      logger.warn(`ignoring directory ${name}: no such topic in ${store.path}`);
    }
  }
}

/**
 * A directory a create cut short before it wrote partition.metadata: nothing in it but empty segment
 * files and temp files. Anything else is kept (it may be someone's data).
 */
async function holdsNoData(io: StorageIO, dir: string): Promise<boolean> {
  for (const f of await io.readdir(dir)) {
    if (f.endsWith('.tmp')) continue;
    if (!/^\d{20}\.(log|index|timeindex)$/.test(f)) return false;
    if ((await io.stat(join(dir, f))).size > 0) return false;
  }
  return true;
}
