import { murmur2, toPositive } from './murmur2.ts';

/**
 * Chooses a partition for a record without an explicit one. Keyed records use Java's default rule,
 * toPositive(murmur2(key)) % numPartitions over all partitions, so keys land where Java, librdkafka's
 * murmur2_random and kafkajs put them. Records without a key stick to one partition until the batch
 * being built for it is sent (KIP-480 sticky partitioning), which keeps batches large.
 */
export interface Partitioner {
  /** `key` null = no key. */
  partition(topic: string, key: Uint8Array | null, numPartitions: number): number;
  /** The batch for (topic, partition) was sealed: a sticky partitioner moves on. */
  onBatchSealed?(topic: string, partition: number): void;
}

export function keyPartition(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

export class DefaultPartitioner implements Partitioner {
  private readonly sticky = new Map<string, number>();
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  partition(topic: string, key: Uint8Array | null, numPartitions: number): number {
    if (numPartitions === 1) return 0;
    if (key !== null) return keyPartition(key, numPartitions);
    let p = this.sticky.get(topic);
    if (p === undefined || p >= numPartitions) {
      p = Math.floor(this.random() * numPartitions);
      this.sticky.set(topic, p);
    }
    return p;
  }

  onBatchSealed(topic: string, partition: number): void {
    // Move on only if the sealed batch was the sticky one (a keyed batch filling up is no reason).
    if (this.sticky.get(topic) === partition) this.sticky.delete(topic);
  }
}

/** Null-key records cycle through the partitions one by one (kafkajs' and the old Java behaviour). */
export class RoundRobinPartitioner implements Partitioner {
  private readonly next = new Map<string, number>();

  partition(topic: string, key: Uint8Array | null, numPartitions: number): number {
    if (key !== null) return keyPartition(key, numPartitions);
    const n = this.next.get(topic) ?? 0;
    this.next.set(topic, n + 1);
    return n % numPartitions;
  }
}
