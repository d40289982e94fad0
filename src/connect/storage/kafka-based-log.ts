import { Admin } from '../../client/admin.ts';
import { sleep, type Cluster } from '../../client/cluster.ts';
import { Consumer } from '../../client/consumer.ts';
import { KafkaError } from '../../client/errors.ts';
import { LATEST, listOffsets } from '../../client/list-offsets.ts';
import { Producer } from '../../client/producer.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';

/**
 * Kafka Connect's KafkaBasedLog: a compacted topic used as a replicated key/value log. Every worker
 * consumes the whole topic from the beginning in the background and applies each record through
 * `onRecord`; `readToEnd()` resolves once everything written before the call has been applied (the
 * end offsets are read first, then we wait until the consumer has handled up to them). Writes go
 * through one producer (acks=all, idempotent where the broker allows).
 */

export interface LogRecord {
  key: string | null;
  value: Buffer | null;
  partition: number;
  offset: number;
}

export interface KafkaBasedLogOptions {
  topic: string;
  /** Partitions and replication factor used if the topic has to be created. */
  partitions: number;
  replicationFactor: number;
  /** Extra topic configs on creation (cleanup.policy=compact is always set). */
  topicConfigs?: Record<string, string>;
  onRecord(r: LogRecord): void;
  /** Consume read_committed (the offsets topic when exactly-once source support is on). */
  readCommitted?: boolean;
}

export class KafkaBasedLog {
  readonly topic: string;
  private readonly cluster: Cluster;
  private readonly opts: KafkaBasedLogOptions;
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  private running: Promise<void> | null = null;
  private failure: Error | null = null;
  /** partition → next offset the handler has applied. */
  private readonly applied = new Map<number, number>();
  private partitionCount = 0;

  constructor(cluster: Cluster, opts: KafkaBasedLogOptions) {
    this.cluster = cluster;
    this.opts = opts;
    this.topic = opts.topic;
  }

  /** Creates the topic if it is missing, starts consuming, and reads to the end. */
  async start(): Promise<void> {
    await ensureCompactedTopic(this.cluster, this.opts.topic, this.opts.partitions, this.opts.replicationFactor, this.opts.topicConfigs ?? {});
    const [meta] = await this.cluster.topicMetadata([this.topic]);
    this.partitionCount = meta!.partitions.length;
    for (let p = 0; p < this.partitionCount; p++) this.applied.set(p, 0);
    this.producer = new Producer(this.cluster, { acks: -1, lingerMs: 0 });
    await this.producer.prepareTopic(this.topic);
    const consumer = (this.consumer = new Consumer(this.cluster, {
      start: { type: 'earliest' },
      maxWaitMs: 200,
      isolationLevel: this.opts.readCommitted ? 'read_committed' : 'read_uncommitted',
    }));
    consumer.assign([{ topic: this.topic }]);
    this.running = consumer
      .run((b) => {
        for (const r of b.records) this.opts.onRecord({ key: r.key === null ? null : r.key.toString('utf8'), value: r.value, partition: b.partition, offset: Number(r.offset) });
        this.applied.set(b.partition, Math.max(this.applied.get(b.partition) ?? 0, b.nextOffset));
      })
      .catch((e: Error) => {
        this.failure = e;
      });
    await this.readToEnd();
  }

  /** The sum of applied positions: grows with every record read (the config store's "offset"). */
  get position(): number {
    let n = 0;
    for (const v of this.applied.values()) n += v;
    return n;
  }

  /** Resolves once every record written before the call has been handed to onRecord. */
  async readToEnd(timeoutMs = 30_000): Promise<void> {
    const queries = [...this.applied.keys()].map((partition) => ({ topic: this.topic, partition, timestamp: LATEST }));
    const ends = await listOffsets(this.cluster, queries, 5, this.opts.readCommitted ? 1 : 0);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw new Error(`reading ${this.topic} failed: ${this.failure.message}`);
      let behind = false;
      for (const q of queries) {
        const end = Number(ends.get(`${q.topic}\0${q.partition}`) ?? 0n);
        if ((this.applied.get(q.partition) ?? 0) < end) behind = true;
      }
      if (!behind) return;
      if (Date.now() > deadline) throw new Error(`timed out reading ${this.topic} to its end`);
      await sleep(10);
    }
  }

  /** Writes one record and waits for the broker's acknowledgement. */
  async send(key: string, value: Buffer | null, partition?: number): Promise<void> {
    const p = this.producer;
    if (!p) throw new Error(`${this.topic}: the log is not started`);
    if (!p.send({ topic: this.topic, key: Buffer.from(key, 'utf8'), value, partition })) await p.waitForSpace();
    await p.flush();
  }

  /** Queues records without waiting; flush() waits for them. */
  sendNoWait(key: string, value: Buffer | null): void {
    this.producer?.send({ topic: this.topic, key: Buffer.from(key, 'utf8'), value });
  }

  async flush(): Promise<void> {
    await this.producer?.flush();
  }

  get partitions(): number {
    return this.partitionCount;
  }

  async stop(): Promise<void> {
    this.consumer?.stop();
    await this.running;
    await this.consumer?.close().catch(() => undefined);
    await this.producer?.close({ flush: true }).catch(() => undefined);
    this.consumer = null;
    this.producer = null;
  }
}

/** Creates a compacted topic as Connect's TopicAdmin does; an existing topic is left as it is. */
export async function ensureCompactedTopic(cluster: Cluster, topic: string, partitions: number, replicationFactor: number, configs: Record<string, string>): Promise<void> {
  await cluster.refreshMetadata([topic]);
  const known = cluster.topics.get(topic);
  if (known && known.errorCode === ErrorCode.NONE) return;
  try {
    await new Admin(cluster).createTopic(topic, { partitions, replicationFactor, configs: { ...configs, 'cleanup.policy': 'compact' } });
  } catch (e) {
    if (e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS) return;
    throw new Error(`could not create Connect's internal topic ${topic} (partitions ${partitions}, replication factor ${replicationFactor}): ${(e as Error).message}`);
  }
}
