/**
 * The instance's output path (Kafka's RecordCollector): task sinks and changelog loggers send here, it
 * appends to the one producer. Processing is synchronous but learning a new topic's partitions is
 * not, so a record for a topic the producer has not prepared yet (a TopicNameExtractor's choice) is
 * queued — with every later record, to keep their order — until drain() has prepared it.
 * Under exactly_once_v2 the producer is transactional: the first record after a commit opens the
 * next transaction, so every output and changelog write lands inside one.
 */
import type { ProducerRecord } from "../../client/producer.ts";
import type { TransactionalProducer } from "../../client/transactional-producer.ts";

/** What the collector needs of a producer (the plain Producer and the TransactionalProducer both fit). */
export interface OutputProducer {
  send(r: ProducerRecord): boolean;
  prepareTopic(topic: string): Promise<number>;
  waitForSpace(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class ProducerCollector {
  readonly producer: OutputProducer;
  /** Set under exactly_once_v2. */
  readonly txn: TransactionalProducer | null;
  private readonly queued: ProducerRecord[] = [];
  private readonly partitions = new Map<string, number>();
  constructor(producer: OutputProducer, txn: TransactionalProducer | null = null) {
    this.producer = producer;
    this.txn = txn;
  }

  /** Learns a topic's partition count (send() needs it before the first record for the topic). */
  async prepareTopic(topic: string): Promise<number> {
    const n = await this.producer.prepareTopic(topic);
    this.partitions.set(topic, n);
    return n;
  }

  send(r: ProducerRecord): void {
    if (this.queued.length > 0 || this.partitionCount(r.topic) === 0) this.queued.push(r);
    else this.append(r);
  }

  private append(r: ProducerRecord): void {
    if (this.txn && !this.txn.inTransaction) this.txn.beginTransaction();
    this.producer.send(r);
  }

  /** Partition count of a prepared topic; 0 if not prepared yet. */
  partitionCount(topic: string): number {
    return this.partitions.get(topic) ?? 0;
  }

  /** Prepares the topics queued records need, sends them in order, and waits for buffer space. */
  async drain(): Promise<void> {
    while (this.queued.length > 0) {
      const r = this.queued[0]!;
      if (this.partitionCount(r.topic) === 0) await this.prepareTopic(r.topic);
      this.queued.shift();
      this.append(r);
    }
    await this.producer.waitForSpace();
  }

  async flush(): Promise<void> {
    await this.drain();
    await this.producer.flush();
  }

  /** Drops records not yet handed to the producer (an aborted transaction's tail). */
  discardQueued(): void {
    this.queued.length = 0;
  }
}
