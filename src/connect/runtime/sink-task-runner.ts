import { Admin } from '../../client/admin.ts';
import { Consumer, type FetchedBatch } from '../../client/consumer.ts';
import { KafkaError } from '../../client/errors.ts';
import { Producer } from '../../client/producer.ts';
import type { ConsumerRecord } from '../../protocol/records/record-batch.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { SinkRecord, SinkTask } from '../api.ts';
import { dlqHeaders, errorLogLine, ToleranceExceededError, type FailedRecordContext, type Stage } from './error-handler.ts';
import { taskConverters, taskPipeline, type TaskEnv } from './task-env.ts';
import { TaskLifecycle } from './task-lifecycle.ts';

type Offsets = Map<string, { topic: string; partition: number; offset: number }>;

/**
 * WorkerSinkTask: a consumer in group `connect-<connector>` (Kafka's name) reads `topics` (or the
 * topics matching `topics.regex` when the task starts), converters and transforms turn records into
 * SinkRecords, the task put()s them; every `offset.flush.interval.ms` and on stop the task flush()es
 * and the consumed offsets are committed. Failed conversions/transforms are tolerated, logged and sent
 * to the dead-letter queue as the connector's errors.* settings say.
 */
export class SinkTaskRunner extends TaskLifecycle {
  private readonly task: SinkTask;
  private consumer: Consumer | null = null;
  private dlq: Producer | null = null;
  private readonly next: Offsets = new Map();
  private readonly seeks: Offsets = new Map();
  private lastCommit = Date.now();
  /** Serializes put() batches, the commit timer and stop. */
  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(env: TaskEnv, task: SinkTask) {
    super(env);
    this.task = task;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(fn);
    this.lock = p.catch(() => undefined);
    return p;
  }

  private async subscribedTopics(): Promise<string[]> {
    const c = this.env.connectorConfig;
    const list = (c.topics ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    const regex = (c['topics.regex'] ?? '').trim();
    if (list.length > 0 && regex !== '') throw new Error('topics and topics.regex are mutually exclusive options, but both are set.');
    if (list.length === 0 && regex === '') throw new Error('Must configure one of topics or topics.regex');
    if (regex === '') return list;
    const re = new RegExp(`^(?:${regex})$`);
    const all = await new Admin(this.env.cluster).listTopics(false);
    const matched = all.map((t) => t.name).filter((n) => re.test(n));
    if (matched.length === 0) throw new Error(`no topic matches topics.regex ${regex} (topics are matched when the task starts)`);
    return matched;
  }

  protected async run(): Promise<void> {
    const conv = taskConverters(this.env);
    const { chain, errors } = taskPipeline(this.env);
    const topics = await this.subscribedTopics();
    if (errors.dlqTopic) {
      if (topics.includes(errors.dlqTopic)) throw new Error(`The DLQ topic '${errors.dlqTopic}' may not be included in the list of topics ('topics=${topics.join(',')}') consumed by the connector`);
      await this.ensureDlqTopic(errors.dlqTopic, errors.dlqReplicationFactor);
      this.dlq = new Producer(this.env.cluster, { acks: -1 });
      await this.dlq.prepareTopic(errors.dlqTopic);
    }
    const consumer = (this.consumer = new Consumer(this.env.cluster, {
      groupId: `connect-${this.env.connector}`,
      start: { type: 'earliest' },
      autoCommit: false,
      maxWaitMs: 500,
      ...this.fetchSettings(),
      group: this.groupSettings(),
    }));
    // A stop() before the consumer existed had nothing to interrupt; pass it on (its run() then returns at once).
    if (this.stopping) consumer.stop();
    consumer.subscribe(topics);
    await this.awaitTopics(topics);
    const failed = async (stage: Stage, cls: string, e: Error, raw: ConsumerRecord, b: FetchedBatch): Promise<void> => {
      const ctx: FailedRecordContext = { topic: b.topic, partition: b.partition, offset: raw.offset, connector: this.env.connector, taskId: this.id, stage, className: cls, error: e };
      if (!errors.tolerateAll) throw new ToleranceExceededError(e);
      if (errors.log) this.env.log(errorLogLine(ctx, errors, raw));
      if (this.dlq && errors.dlqTopic) {
        const headers = raw.headers.map((h) => [h.key, h.value] as [string, Buffer | null]);
        if (errors.dlqContextHeaders) for (const h of dlqHeaders(ctx)) headers.push([h.key, h.value]);
        if (!this.dlq.send({ topic: errors.dlqTopic, key: raw.key, value: raw.value, headers, timestamp: raw.timestamp })) await this.dlq.waitForSpace();
      }
    };

    // The raw records of the put() in progress, for the errant record reporter's DLQ copy.
    let inPut: { batch: FetchedBatch; raw: Map<number, ConsumerRecord> } | null = null;
    await this.task.start(this.env.taskConfig, {
      configs: this.env.taskConfig,
      offset: (offsets) => {
        for (const [k, v] of offsets) this.seeks.set(k, v);
      },
      errantRecordReporter: {
        report: async (rec, error) => {
          const raw = inPut?.raw.get(rec.originalKafkaOffset);
          if (!inPut || !raw || rec.originalTopic !== inPut.batch.topic) throw new Error('errantRecordReporter.report: the record is not part of the put() in progress');
          await failed('TASK_PUT', this.env.connectorConfig['connector.class'] ?? 'task', error, raw, inPut.batch);
        },
      },
    });
    this.state = this.gate.closed ? 'PAUSED' : 'RUNNING';
    this.timer = setInterval(() => {
      if (Date.now() - this.lastCommit >= this.env.worker.offsetFlushIntervalMs) void this.serial(() => this.commit()).catch((e: Error) => this.fail(e));
    }, Math.max(50, Math.min(this.env.worker.offsetFlushIntervalMs, 1000)));

    try {
      await consumer.run((batch) =>
        this.serial(async () => {
          if (this.stopping) return;
          while (this.gate.closed && !this.stopping) await this.gate.wait();
          const key = `${batch.topic}-${batch.partition}`;
          const seek = this.seeks.get(key);
          if (seek) {
            // The task asked to resume elsewhere (e.g. the file sink's fsynced position): drop this batch.
            this.seeks.delete(key);
            consumer.seek(batch.topic, batch.partition, seek.offset);
            this.next.set(key, { topic: batch.topic, partition: batch.partition, offset: seek.offset });
            return;
          }
          this.topics.add(batch.topic);
          const out: SinkRecord[] = [];
          for (const raw of batch.records) {
            let k, v;
            try {
              k = conv.key.toConnectData(batch.topic, raw.key);
            } catch (e) {
              await failed('KEY_CONVERTER', conv.keyClass, e as Error, raw, batch);
              continue;
            }
            try {
              v = conv.value.toConnectData(batch.topic, raw.value);
            } catch (e) {
              await failed('VALUE_CONVERTER', conv.valueClass, e as Error, raw, batch);
              continue;
            }
            let headers;
            try {
              headers = raw.headers.map((h) => {
                const sv = conv.header.toConnectHeader(batch.topic, h.key, h.value);
                return { key: h.key, schema: sv.schema, value: sv.value };
              });
            } catch (e) {
              await failed('HEADER_CONVERTER', conv.headerClass, e as Error, raw, batch);
              continue;
            }
            const rec: SinkRecord = {
              topic: batch.topic,
              kafkaPartition: batch.partition,
              kafkaOffset: raw.offset,
              keySchema: k.schema,
              key: k.value,
              valueSchema: v.schema,
              value: v.value,
              timestamp: raw.timestamp,
              headers,
              originalTopic: batch.topic,
              originalKafkaPartition: batch.partition,
              originalKafkaOffset: raw.offset,
            };
            let t: SinkRecord | null;
            try {
              t = chain.apply(rec);
            } catch (e) {
              await failed('TRANSFORMATION', (e as { stage?: string }).stage ?? 'transform', e as Error, raw, batch);
              continue;
            }
            if (t) out.push(t);
          }
          if (out.length > 0) {
            inPut = { batch, raw: new Map(batch.records.map((r) => [r.offset, r])) };
            try {
              await this.task.put(out);
            } finally {
              inPut = null;
            }
          }
          this.next.set(key, { topic: batch.topic, partition: batch.partition, offset: batch.nextOffset });
          if (Date.now() - this.lastCommit >= this.env.worker.offsetFlushIntervalMs) await this.commit();
        }),
      );
    } finally {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      try {
        await this.serial(() => this.commit()).catch((e: Error) => this.env.log(`task ${this.env.connector}-${this.id}: final offset commit failed: ${e.message}`));
      } finally {
        await consumer.close().catch(() => undefined);
        await this.dlq?.close().catch(() => undefined);
        await this.task.stop();
      }
    }
  }

  private consumerSetting(k: string): number | undefined {
    const v = this.env.connectorConfig[`consumer.override.${k}`] ?? this.env.worker.props[`consumer.${k}`];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Invalid value ${v} for configuration ${k}: must be a positive integer`);
    return n;
  }

  /** fetch.max.bytes and max.partition.fetch.bytes, as the group timings below. */
  private fetchSettings(): { maxBytes?: number; partitionMaxBytes?: number } {
    const out: { maxBytes?: number; partitionMaxBytes?: number } = {};
    const m = this.consumerSetting('fetch.max.bytes');
    const p = this.consumerSetting('max.partition.fetch.bytes');
    if (m !== undefined) out.maxBytes = m;
    if (p !== undefined) out.partitionMaxBytes = p;
    return out;
  }

  /**
   * Consumer group timings from the worker's `consumer.*` settings, overridden by the connector's
   * `consumer.override.*` (Kafka's default override policy allows them): session.timeout.ms,
   * heartbeat.interval.ms, max.poll.interval.ms (the rebalance timeout).
   */
  private groupSettings(): { sessionTimeoutMs?: number; heartbeatIntervalMs?: number; rebalanceTimeoutMs?: number } {
    const get = (k: string) => this.consumerSetting(k);
    const out: { sessionTimeoutMs?: number; heartbeatIntervalMs?: number; rebalanceTimeoutMs?: number } = {};
    const s = get('session.timeout.ms');
    const h = get('heartbeat.interval.ms');
    const r = get('max.poll.interval.ms');
    if (s !== undefined) out.sessionTimeoutMs = s;
    if (h !== undefined) out.heartbeatIntervalMs = h;
    if (r !== undefined) out.rebalanceTimeoutMs = r;
    return out;
  }

  /**
   * A Kafka sink consumer subscribed to a topic that does not exist yet simply gets no partitions until
   * it appears (e.g. the quickstart's source creates connect-test moments later); do the same.
   */
  private async awaitTopics(topics: string[]): Promise<void> {
    let logged = false;
    while (!this.stopping) {
      try {
        await this.env.cluster.topicMetadata(topics, { autoCreate: false });
        return;
      } catch (e) {
        if (!(e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw e;
        if (!logged) this.env.log(`task ${this.env.connector}-${this.id}: waiting for topic(s) ${topics.join(', ')} to exist`);
        logged = true;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private async ensureDlqTopic(topic: string, rf: number): Promise<void> {
    const admin = new Admin(this.env.cluster);
    const brokers = Math.max(1, this.env.cluster.brokers.size);
    try {
      await admin.createTopic(topic, { partitions: 1, replicationFactor: Math.min(rf, brokers) });
    } catch (e) {
      if (!(e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw e;
    }
  }

  /** Task flush, then the group commit of what it flushed (Kafka's commitOffsets). */
  private async commit(): Promise<void> {
    this.lastCommit = Date.now();
    if (!this.consumer || this.next.size === 0) return;
    const offsets: Offsets = new Map([...this.next].map(([k, v]) => [k, { ...v }]));
    await this.dlq?.flush();
    await this.task.flush(offsets);
    for (const o of offsets.values()) this.consumer.markConsumed(o.topic, o.partition, o.offset);
    await this.consumer.commitConsumed();
  }

  protected override interruptForStop(): void {
    this.consumer?.stop();
  }
}
