import { TransactionalProducer } from '../../../client/transactional-producer.ts';
import type { SourceRecord, SourceTask } from '../../api.ts';
import type { Converter } from '../../converters/index.ts';
import { KafkaOffsetStore } from '../../storage/kafka-offset-store.ts';
import type { TransformationChain } from '../../transforms/chain.ts';
import { ToleranceExceededError, type ErrorSettings, type Stage } from '../error-handler.ts';
import { taskConverters, taskPipeline, type TaskEnv } from '../task-env.ts';
import { TaskLifecycle } from '../task-lifecycle.ts';

/**
 * KIP-618 exactly-once source task (ExactlyOnceWorkerSourceTask, transaction boundary "poll"): every
 * batch poll() returns is written in one transaction together with the source offsets it reaches,
 * which go to the offsets topic through the same transactional producer. Readers of the data
 * (read_committed) and of the offsets topic see both or neither, so a task restarted anywhere — after
 * a crash, on another worker — resumes exactly after the last committed batch. The transactional id
 * is Kafka's `<group.id>-<connector>-<task>`; initTransactions() on the new owner fences a zombie
 * still running the task elsewhere.
 */
export class ExactlyOnceSourceTaskRunner extends TaskLifecycle {
  private readonly task: SourceTask;
  private readonly transactionalId: string;
  private readonly offsets: KafkaOffsetStore;
  private producer: TransactionalProducer | null = null;
  private readonly prepared = new Set<string>();

  constructor(env: TaskEnv, task: SourceTask, opts: { transactionalId: string; offsets: KafkaOffsetStore }) {
    super(env);
    this.task = task;
    this.transactionalId = opts.transactionalId;
    this.offsets = opts.offsets;
  }

  protected async run(): Promise<void> {
    const conv = taskConverters(this.env);
    const { chain, errors } = taskPipeline(this.env);
    const producer = (this.producer = new TransactionalProducer(this.env.cluster, { transactionalId: this.transactionalId, lingerMs: 5 }));
    await producer.initTransactions();
    await producer.prepareTopic(this.offsets.topic);
    await this.task.start(this.env.taskConfig, { configs: this.env.taskConfig, offset: (partition) => this.offsets.get(this.env.connector, partition) });
    this.state = this.gate.closed ? 'PAUSED' : 'RUNNING';
    try {
      while (!this.stopping) {
        if (this.gate.closed) {
          await this.gate.wait();
          continue;
        }
        const records = await this.task.poll();
        if (!records || records.length === 0 || this.stopping) continue;
        const reached = new Map<string, [Record<string, unknown>, Record<string, unknown>]>();
        producer.beginTransaction();
        try {
          for (const r of records) {
            await this.send(r, chain, conv, errors);
            if (r.sourcePartition && r.sourceOffset) reached.set(JSON.stringify(r.sourcePartition), [r.sourcePartition, r.sourceOffset]);
          }
          for (const [partition, offset] of reached.values()) {
            const rec = KafkaOffsetStore.record(this.env.connector, partition, offset);
            if (!producer.send({ topic: this.offsets.topic, key: rec.key, value: rec.value })) await producer.waitForSpace();
          }
          await producer.commitTransaction();
        } catch (e) {
          if (producer.inTransaction) await producer.abortTransaction().catch(() => undefined);
          throw e;
        }
        for (const [partition, offset] of reached.values()) this.offsets.applyCommitted(this.env.connector, partition, offset);
        await this.task.commit?.();
      }
    } finally {
      await this.task.stop();
      await producer.close().catch(() => undefined);
    }
  }

  private async send(r: SourceRecord, chain: TransformationChain, conv: ReturnType<typeof taskConverters>, errors: ErrorSettings): Promise<void> {
    const tolerate = (stage: Stage, cls: string, e: Error): undefined => {
      if (!errors.tolerateAll) throw new ToleranceExceededError(e);
      if (errors.log) this.env.log(`Error encountered in task ${this.env.connector}-${this.id}. Executing stage '${stage}' with class '${cls}'. ${e.message}`);
      return undefined;
    };
    let t: SourceRecord | null;
    try {
      t = chain.apply(r);
    } catch (e) {
      return tolerate('TRANSFORMATION', (e as { stage?: string }).stage ?? 'transform', e as Error);
    }
    if (t === null) return;
    const convert = (c: Converter, half: 'key' | 'value', cls: string): Buffer | null | undefined => {
      try {
        return half === 'key' ? c.fromConnectData(t.topic, t.keySchema, t.key) : c.fromConnectData(t.topic, t.valueSchema, t.value);
      } catch (e) {
        return tolerate(half === 'key' ? 'KEY_CONVERTER' : 'VALUE_CONVERTER', cls, e as Error);
      }
    };
    const key = convert(conv.key, 'key', conv.keyClass);
    if (key === undefined) return;
    const value = convert(conv.value, 'value', conv.valueClass);
    if (value === undefined) return;
    let headers: Array<[string, Buffer | null]>;
    try {
      headers = t.headers.map((h) => [h.key, conv.header.fromConnectHeader(t.topic, h.key, h.schema ?? null, h.value)]);
    } catch (e) {
      return tolerate('HEADER_CONVERTER', conv.headerClass, e as Error);
    }
    const producer = this.producer!;
    if (!this.prepared.has(t.topic)) {
      await producer.prepareTopic(t.topic);
      this.prepared.add(t.topic);
    }
    this.topics.add(t.topic);
    const ok = producer.send({ topic: t.topic, partition: t.kafkaPartition ?? undefined, key, value, headers, timestamp: t.timestamp ?? Date.now() });
    if (!ok) await producer.waitForSpace();
  }

}
