import { join } from 'node:path';
import { KafkaStorageError, storageFailure } from './errors.ts';
import type { StorageIO } from './io.ts';
import { isNotFound, writeFileAtomic } from './io.ts';

/** One topic as persisted: what survives a restart besides the partition files themselves. */
export interface TopicRecord {
  name: string;
  /** Kafka Uuid as base64url (22 chars). */
  topicId: string;
  partitions: number;
  /** Topic-level config overrides only. */
  configs: Record<string, string>;
}

export const META_DIR = '__kstream_meta';
const TOPICS_FILE = 'topics.json';
const PARTITION_METADATA = 'partition.metadata';

/** Kafka's Uuid.randomUuid: random 16 bytes; never the zero/metadata id, never starting with '-'. */
export function randomTopicId(): string {
  for (;;) {
    const id = process.getBuiltinModule('node:crypto').randomBytes(16).toString('base64url');
    if (!id.startsWith('-') && id !== 'AAAAAAAAAAAAAAAAAAAAAA' && id !== 'AAAAAAAAAAAAAAAAAAAAAQ') return id;
  }
}

/**
 * The topic metadata store (what KRaft's metadata log holds for topics in Kafka): topic ids, partition
 * counts and config overrides in `__kstream_meta/topics.json`, replaced atomically on every change;
 * each partition directory also carries Kafka's `partition.metadata` naming its topic id. Every
 * mutation persists first and changes memory only when the write succeeded, so memory never holds
 * what a restart would not find. The caller serializes mutations.
 */
export class TopicStore {
  private readonly io: StorageIO;
  private readonly dataDir: string;
  private readonly topics = new Map<string, TopicRecord>();

  constructor(io: StorageIO, dataDir: string) {
    this.io = io;
    this.dataDir = dataDir;
  }

  get path(): string {
    return join(this.dataDir, META_DIR, TOPICS_FILE);
  }

  /** Reads topics.json (none yet: no topics). */
  async load(): Promise<readonly TopicRecord[]> {
    await this.io.mkdir(join(this.dataDir, META_DIR), { recursive: true });
    let text: string;
    try {
      text = (await this.io.readFile(this.path)).toString('utf8');
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    let parsed: { version?: number; topics?: TopicRecord[] };
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new KafkaStorageError(`${this.path} is not valid JSON: ${(e as Error).message}`, e);
    }
    if (parsed.version !== 1 || !Array.isArray(parsed.topics)) {
      throw new KafkaStorageError(`${this.path}: unsupported format (version ${parsed.version})`);
    }
    this.topics.clear();
    for (const t of parsed.topics) {
      this.topics.set(t.name, { name: t.name, topicId: t.topicId, partitions: t.partitions, configs: { ...(t.configs ?? {}) } });
    }
    return this.all();
  }

  get(name: string): TopicRecord | undefined {
    return this.topics.get(name);
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  all(): TopicRecord[] {
    return [...this.topics.values()];
  }

  names(): IterableIterator<string> {
    return this.topics.keys();
  }

  /** Persists a new topic. */
  async add(record: TopicRecord): Promise<void> {
    await this.persist([...this.all(), record]);
    this.topics.set(record.name, record);
  }

  /** Persists the topic's removal. */
  async remove(name: string): Promise<void> {
    await this.persist(this.all().filter((t) => t.name !== name));
    this.topics.delete(name);
  }

  /** Persists a changed partition count or config overrides; returns the new record. */
  async update(name: string, change: Partial<Pick<TopicRecord, 'partitions' | 'configs'>>): Promise<TopicRecord> {
    const old = this.topics.get(name);
    if (!old) throw new Error(`no topic ${name} in the metadata store`);
    const next = { ...old, ...change };
    await this.persist(this.all().map((t) => (t.name === name ? next : t)));
    this.topics.set(name, next);
    return next;
  }

  private async persist(records: TopicRecord[]): Promise<void> {
    const body = JSON.stringify({ version: 1, topics: records }, null, 2) + '\n';
    try {
      await writeFileAtomic(this.io, this.path, Buffer.from(body));
    } catch (e) {
      throw storageFailure('writing topic metadata', this.path, e);
    }
  }

  /** The topic id a partition directory's `partition.metadata` names, null when it has none. */
  async readPartitionMetadata(dir: string): Promise<string | null> {
    try {
      const text = (await this.io.readFile(join(dir, PARTITION_METADATA))).toString('utf8');
      return /^topic_id:\s*(\S+)\s*$/m.exec(text)?.[1] ?? null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** Writes `partition.metadata` (Kafka's format) unless it already names `topicId`. */
  async writePartitionMetadata(dir: string, topicId: string): Promise<void> {
    if ((await this.readPartitionMetadata(dir)) === topicId) return;
    await writeFileAtomic(this.io, join(dir, PARTITION_METADATA), Buffer.from(`version: 0\ntopic_id: ${topicId}\n`));
  }
}
