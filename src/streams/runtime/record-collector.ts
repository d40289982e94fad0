/**
 * The instance's output path (Kafka's RecordCollector): task sinks and changelog loggers send here, it
 * appends to the one producer. Processing is synchronous but learning a new topic's partitions is
 * not, so a record for a topic the producer has not prepared yet (a TopicNameExtractor's choice) is
 * queued — with every later record, to keep their order — until drain() has prepared it.
 */
import type { Producer, ProducerRecord } from "../../client/producer.ts";

export class ProducerCollector {
  readonly producer: Producer;
  private readonly queued: ProducerRecord[] = [];
  constructor(producer: Producer) {
    this.producer = producer;
  }

  send(r: ProducerRecord): void {
    if (this.queued.length > 0 || this.producer.partitionCount(r.topic) === 0) this.queued.push(r);
    else this.producer.send(r);
  }

  /** Partition count of a prepared topic; 0 if not prepared yet. */
  partitionCount(topic: string): number {
    return this.producer.partitionCount(topic);
  }

  /** Prepares the topics queued records need, sends them in order, and waits for buffer space. */
  async drain(): Promise<void> {
    while (this.queued.length > 0) {
      const r = this.queued[0]!;
      if (this.producer.partitionCount(r.topic) === 0) await this.producer.prepareTopic(r.topic);
      this.queued.shift();
      this.producer.send(r);
    }
    await this.producer.waitForSpace();
  }

  async flush(): Promise<void> {
    await this.drain();
    await this.producer.flush();
  }
}
