import { Producer } from '../../client/producer.ts';
import type { SourceRecord, SourceTask } from '../api.ts';
import type { TransformationChain } from '../transforms/chain.ts';
import { ToleranceExceededError, type ErrorSettings, type Stage } from './error-handler.ts';
import { taskConverters, taskPipeline, type TaskEnv } from './task-env.ts';
import { TaskLifecycle } from './task-lifecycle.ts';
import type { Converter } from '../converters/index.ts';

/**
 * WorkerSourceTask: poll → transforms → converters → producer. Source offsets are written to the
 * offset file only after the producer has acknowledged every record sent before them (flush), every
 * `offset.flush.interval.ms` and on stop — so a crash can repeat records (at-least-once, as Kafka
 * without exactly.once.source.support) but never skip one.
 */
export class SourceTaskRunner extends TaskLifecycle {
  private readonly task: SourceTask;
  private producer: Producer | null = null;
  private readonly prepared = new Set<string>();
  private pending = new Map<string, [Record<string, unknown>, Record<string, unknown>]>();
  private lastCommit = Date.now();

  constructor(env: TaskEnv, task: SourceTask) {
    super(env);
    this.task = task;
  }

  protected async run(): Promise<void> {
    const conv = taskConverters(this.env);
    const { chain, errors } = taskPipeline(this.env);
    this.producer = new Producer(this.env.cluster, { acks: -1, lingerMs: 5 });
    await this.task.start(this.env.taskConfig, {
      configs: this.env.taskConfig,
      offset: (partition) => this.env.offsets.get(this.env.connector, partition),
    });
    this.state = this.gate.closed ? 'PAUSED' : 'RUNNING';
    try {
      while (!this.stopping) {
        if (this.gate.closed) {
          await this.commit();
          await this.gate.wait();
          continue;
        }
        const records = await this.task.poll();
        for (const r of records ?? []) await this.send(r, chain, conv, errors);
        if (Date.now() - this.lastCommit >= this.env.worker.offsetFlushIntervalMs) await this.commit();
      }
      await this.commit();
    } finally {
      await this.task.stop();
      await this.producer.close({ flush: false }).catch(() => undefined);
    }
  }

  private async send(r: SourceRecord, chain: TransformationChain, conv: ReturnType<typeof taskConverters>, errors: ErrorSettings): Promise<void> {
    const tolerate = (stage: Stage, cls: string, e: Error): null => {
      if (!errors.tolerateAll) throw new ToleranceExceededError(e);
      if (errors.log) this.env.log(`Error encountered in task ${this.env.connector}-${this.id}. Executing stage '${stage}' with class '${cls}'. ${e.message}`);
      return null;
    };
    const done = () => {
      if (r.sourcePartition && r.sourceOffset) this.pending.set(JSON.stringify(r.sourcePartition), [r.sourcePartition, r.sourceOffset]);
    };
    let t: SourceRecord | null;
    try {
      t = chain.apply(r);
    } catch (e) {
      t = tolerate('TRANSFORMATION', (e as { stage?: string }).stage ?? 'transform', e as Error);
    }
    if (t === null) return done();
    const key = this.convert(conv.key, t, 'key', conv.keyClass, tolerate);
    if (key === undefined) return done();
    const value = this.convert(conv.value, t, 'value', conv.valueClass, tolerate);
    if (value === undefined) return done();
    let headers: Array<[string, Buffer | null]>;
    try {
      headers = t.headers.map((h) => [h.key, conv.header.fromConnectHeader(t.topic, h.key, h.schema ?? null, h.value)]);
    } catch (e) {
      tolerate('HEADER_CONVERTER', conv.headerClass, e as Error);
      return done();
    }
    const producer = this.producer!;
    if (!this.prepared.has(t.topic)) {
      await producer.prepareTopic(t.topic);
      this.prepared.add(t.topic);
    }
    this.topics.add(t.topic);
    const ok = producer.send({
      topic: t.topic,
      partition: t.kafkaPartition ?? undefined,
      key,
      value,
      headers,
      timestamp: t.timestamp ?? Date.now(),
    });
    done();
    if (!ok) await producer.waitForSpace();
  }

  /** undefined = dropped by a tolerated error. */
  private convert(c: Converter, t: SourceRecord, half: 'key' | 'value', cls: string, tolerate: (s: Stage, c: string, e: Error) => null): Buffer | null | undefined {
    try {
      return half === 'key' ? c.fromConnectData(t.topic, t.keySchema, t.key) : c.fromConnectData(t.topic, t.valueSchema, t.value);
    } catch (e) {
      tolerate(half === 'key' ? 'KEY_CONVERTER' : 'VALUE_CONVERTER', cls, e as Error);
      return undefined;
    }
  }

  /** Flush the producer, then record the offsets of everything it acknowledged. */
  private async commit(): Promise<void> {
    this.lastCommit = Date.now();
    if (!this.producer) return;
    const batch = this.pending;
    this.pending = new Map();
    await this.producer.flush();
    if (batch.size === 0) return;
    for (const [partition, offset] of batch.values()) this.env.offsets.set(this.env.connector, partition, offset);
    await this.env.offsets.save();
    await this.task.commit?.();
  }

}
