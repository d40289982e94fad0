import { BatchBuilder, type RecordHeader } from './batch-builder.ts';
import { KafkaError } from './errors.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { Partitioner } from './partitioner.ts';

/** A batch closed to new records, waiting to be sent, in flight, or waiting to be retried. */
export interface Sealed {
  builder: BatchBuilder;
  /** The batch as sent (set once, on its first send; a retry sends the same bytes). */
  bytes: Buffer | null;
  baseSequence: number;
  count: number;
  size: number;
  attempts: number;
  /** Earlier batches of the partition were in flight when this one was sent. */
  sentBehind: boolean;
}

/** One partition's batches: the open one records go into, and the sealed ones by where they are. */
export interface PartitionState {
  topic: string;
  partition: number;
  builder: BatchBuilder | null;
  ready: Sealed[];
  inflight: Sealed[];
  retrying: Sealed[];
  nextSequence: number;
  /** Retry scheduled: hold new sends until the backoff passes. */
  backoffUntil: number;
}

export interface RecordAccumulatorOptions {
  /** Uncompressed bytes per batch before it is sealed. */
  batchSize: number;
  lingerMs: number;
  /** Appended but unacknowledged bytes above which the producer reports no room. */
  maxBufferedBytes: number;
  partitioner: Partitioner;
  /** A batch was sealed (full, or linger.ms passed): the sender has work. */
  onBatchesReady: () => void;
}

/**
 * The producer's RecordAccumulator: records are appended straight into per-partition batch buffers (no
 * per-record objects or promises); a batch is sealed when full or after linger.ms, and sealed batches
 * wait in their partition's queue for the sender (producer.ts). Counts the bytes appended and not yet
 * acknowledged, and keeps a few free batch buffers for reuse.
 */
export class RecordAccumulator {
  /** Partition states by topic, indexed by partition. */
  readonly topics = new Map<string, PartitionState[]>();
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly maxBuffered: number;
  private readonly partitioner: Partitioner;
  private readonly onBatchesReady: () => void;
  private lingerTimer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** Appended bytes not yet acknowledged. */
  private buffered = 0;
  /** Free batch buffers of exactly batchSize bytes, reused for new batches. */
  private readonly pool: Buffer[] = [];

  constructor(opts: RecordAccumulatorOptions) {
    this.batchSize = opts.batchSize;
    this.lingerMs = opts.lingerMs;
    this.maxBuffered = opts.maxBufferedBytes;
    this.partitioner = opts.partitioner;
    this.onBatchesReady = opts.onBatchesReady;
  }

  /** Grows a topic's partition states to `count` (new partitions start empty). */
  layout(topic: string, count: number): PartitionState[] {
    let states = this.topics.get(topic);
    if (!states) {
      states = [];
      this.topics.set(topic, states);
    }
    for (let p = states.length; p < count; p++) {
      states.push({ topic, partition: p, builder: null, ready: [], inflight: [], retrying: [], nextSequence: 0, backoffUntil: 0 });
    }
    return states;
  }

  partitionCount(topic: string): number {
    return this.topics.get(topic)?.length ?? 0;
  }

  /** Whether appended-but-unacknowledged bytes are below the limit (maxBufferedBytes). */
  get hasRoom(): boolean {
    return this.buffered < this.maxBuffered;
  }

  /**
   * Appends a record to its partition's open batch (the partitioner picks the partition when none is
   * given), sealing the batch when it is full. The topic must have been laid out.
   */
  append(
    topic: string,
    partition: number | undefined,
    key: Buffer | null,
    keyStart: number,
    keyEnd: number,
    value: Buffer | null,
    valueStart: number,
    valueEnd: number,
    headers: RecordHeader[] | null,
    timestamp: number,
  ): void {
    const states = this.topics.get(topic);
    if (!states) throw new Error(`topic "${topic}" is not prepared: call prepareTopic("${topic}") first`);
    let p = partition;
    if (p === undefined) {
      p =
        key === null
          ? this.partitioner.partition(topic, null, states.length)
          : this.partitioner.partition(topic, keyStart === 0 && keyEnd === key.length ? key : key.subarray(keyStart, keyEnd), states.length);
    } else if (p < 0 || p >= states.length) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${p} of topic "${topic}" does not exist (it has ${states.length})`);
    }
    const st = states[p]!;
    let b = st.builder;
    if (b === null) {
      b = st.builder = new BatchBuilder(this.batchSize, this.pool.pop());
      this.scheduleLinger();
    }
    const before = b.size;
    if (!b.appendRange(timestamp, key, keyStart, keyEnd, value, valueStart, valueEnd, headers)) {
      this.seal(st);
      b = st.builder = new BatchBuilder(this.batchSize, this.pool.pop());
      b.appendRange(timestamp, key, keyStart, keyEnd, value, valueStart, valueEnd, headers);
      this.buffered += b.size;
      this.onBatchesReady();
    } else {
      this.buffered += b.size - before;
    }
    if (b.size >= this.batchSize) {
      this.seal(st);
      this.onBatchesReady();
    }
  }

  /** Closes a partition's open batch to new records and queues it for sending. */
  private seal(st: PartitionState): void {
    const b = st.builder;
    if (b === null || b.count === 0) return;
    st.builder = null;
    st.ready.push({ builder: b, bytes: null, baseSequence: -1, count: b.count, size: b.size, attempts: 0, sentBehind: false });
    this.partitioner.onBatchSealed?.(st.topic, st.partition);
  }

  /** Seals every open batch (linger passed, or flush()). */
  sealAll(): void {
    for (const states of this.topics.values()) for (const st of states) this.seal(st);
  }

  private scheduleLinger(): void {
    if (this.lingerTimer) return;
    const fire = () => {
      this.lingerTimer = null;
      this.sealAll();
      this.onBatchesReady();
    };
    this.lingerTimer = this.lingerMs > 0 ? setTimeout(fire, this.lingerMs) : setImmediate(fire);
  }

  /** Stops a pending linger timer (flush seals at once; close leaves nothing scheduled). */
  cancelLinger(): void {
    if (!this.lingerTimer) return;
    if (this.lingerMs > 0) clearTimeout(this.lingerTimer as NodeJS.Timeout);
    else clearImmediate(this.lingerTimer as NodeJS.Immediate);
    this.lingerTimer = null;
  }

  /** A batch buffer no longer needed: kept for a later batch if it is a standard one and few are kept. */
  recycle(buf: Buffer): void {
    if (buf.length === this.batchSize && this.pool.length < 8) this.pool.push(buf);
  }

  /** An acknowledged batch's bytes no longer count against maxBufferedBytes. */
  release(s: Sealed): void {
    this.buffered -= s.size;
  }

  /** Whether any partition has a batch ready, in flight, or waiting to be retried. */
  pendingWork(): boolean {
    for (const states of this.topics.values()) {
      for (const st of states) if (st.ready.length || st.inflight.length || st.retrying.length) return true;
    }
    return false;
  }
}
