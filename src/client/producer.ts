import { ErrorCode } from '../protocol/error-codes.ts';
import { Compression, type CompressionName } from '../protocol/records/compression/index.ts';
import { InitProducerIdApi } from '../protocol/messages/init-producer-id.ts';
import { BrokerThrottle } from './broker-throttle.ts';
import { ProduceApi } from '../protocol/messages/produce.ts';
import type { RecordHeader } from './batch-builder.ts';
import { sleep, type Cluster } from './cluster.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { KafkaError, isRetriable, needsMetadataRefresh } from './errors.ts';
import { DefaultPartitioner, type Partitioner } from './partitioner.ts';
import { RecordAccumulator, type PartitionState, type Sealed } from './record-accumulator.ts';
import type { TransactionManager } from './transaction-manager.ts';

/**
 * The producer: records are appended straight into per-partition batch buffers (no per-record
 * objects or promises), batches are sealed when full or after linger.ms (the RecordAccumulator,
 * record-accumulator.ts), and the sender here sends one Produce request per leader carrying one batch
 * for each of its ready partitions, with up to maxInFlight requests pipelined per connection. Idempotence (on by default with acks=all when the broker serves
 * InitProducerId) stamps producer id/epoch and per-partition sequence numbers, so a retried batch
 * cannot be written twice. flush() waits until everything appended so far is acknowledged.
 */

/** KSTREAM_TRACE=producer prints retries and failures to stderr (for diagnosing a broker). */
const trace = process.env.KSTREAM_TRACE?.includes('producer') ? (m: string) => process.stderr.write(`[producer] ${m}\n`) : null;

export interface ProducerOptions {
  /** 0 = no reply, 1 = leader, -1 = all in-sync replicas. */
  acks?: 0 | 1 | -1;
  compression?: CompressionName;
  lingerMs?: number;
  /** Uncompressed bytes per batch before it is sealed. */
  batchSize?: number;
  /** undefined = on when acks is -1 and the broker serves InitProducerId. */
  idempotent?: boolean;
  retries?: number;
  retryBackoffMs?: number;
  /** Produce request timeout sent to the broker. */
  timeoutMs?: number;
  maxInFlight?: number;
  /** Appended but unacknowledged bytes above which send() returns false. */
  maxBufferedBytes?: number;
  partitioner?: Partitioner;
  /** Allow the broker to auto-create topics on first use (if it is configured to). */
  autoCreateTopics?: boolean;
  /** Called per acknowledged batch (acks 1/all), in offset order within a partition. */
  onAcked?: (ack: AckedBatch) => void;
  /**
   * Set by TransactionalProducer: the producer id comes from the transaction coordinator, partitions
   * are added to the transaction before their first batch, and Produce carries the transactional id.
   */
  transactions?: TransactionManager;
}

/** A batch the broker acknowledged: its records have offsets baseOffset … baseOffset + count − 1. */
export interface AckedBatch {
  topic: string;
  partition: number;
  baseOffset: bigint;
  count: number;
}

export interface ProducerRecord {
  topic: string;
  partition?: number;
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[] | null;
  timestamp?: number;
}

export interface ProducerStats {
  appended: number;
  acked: number;
  bytes: number;
  requests: number;
  retries: number;
  /** Produce responses that carried a throttle_time_ms > 0 (a broker quota, KIP-219), and their sum. */
  throttled: number;
  throttleTimeMs: number;
}

export class Producer {
  private readonly cluster: Cluster;
  private readonly acks: 0 | 1 | -1;
  private readonly codec: (typeof Compression)[CompressionName];
  private readonly wantIdempotent: boolean | undefined;
  private readonly retries: number;
  private readonly retryBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly autoCreate: boolean;
  private readonly onAcked: ((ack: AckedBatch) => void) | undefined;
  private readonly txn: TransactionManager | null;
  /** The batches by partition (Kafka's RecordAccumulator); the rest of this class is its sender. */
  private readonly accumulator: RecordAccumulator;
  private producerId = -1n;
  private producerEpoch = -1;
  private idempotent = false;
  private ready: Promise<void> | null = null;
  private draining = false;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Requests in flight per broker node. */
  private readonly inflightByNode = new Map<number, number>();
  private error: Error | null = null;
  private idleWaiters: Array<() => void> = [];
  private spaceWaiters: Array<() => void> = [];
  /** Brokers that asked us to hold off (throttle_time_ms, KIP-219). */
  private readonly throttle = new BrokerThrottle(() => this.scheduleDrain());
  readonly stats: ProducerStats = { appended: 0, acked: 0, bytes: 0, requests: 0, retries: 0, throttled: 0, throttleTimeMs: 0 };

  constructor(cluster: Cluster, opts: ProducerOptions = {}) {
    this.cluster = cluster;
    this.acks = opts.acks ?? -1;
    const name = opts.compression ?? 'none';
    if (!(name in Compression)) throw new Error(`unknown compression "${name}" (use none, gzip, snappy, lz4 or zstd)`);
    this.codec = Compression[name];
    this.wantIdempotent = opts.idempotent;
    this.retries = opts.retries ?? 10;
    this.retryBackoffMs = opts.retryBackoffMs ?? 100;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxInFlight = opts.maxInFlight ?? 5;
    this.accumulator = new RecordAccumulator({
      batchSize: opts.batchSize ?? 1_000_000,
      lingerMs: opts.lingerMs ?? 5,
      maxBufferedBytes: opts.maxBufferedBytes ?? 64 * 1024 * 1024,
      partitioner: opts.partitioner ?? new DefaultPartitioner(),
      onBatchesReady: () => this.scheduleDrain(),
    });
    this.autoCreate = opts.autoCreateTopics ?? true;
    this.onAcked = opts.onAcked;
    this.txn = opts.transactions ?? null;
    if (this.txn && (this.acks !== -1 || this.wantIdempotent === false)) throw new Error('a transactional producer is idempotent and needs acks=all (-1)');
    if (this.wantIdempotent && this.acks !== -1) throw new Error('an idempotent producer needs acks=all (-1)');
  }

  /** Connects and, if idempotent, obtains a producer id. Called by send() lazily too. */
  connect(): Promise<void> {
    this.ready ??= this.init();
    return this.ready;
  }

  private async init(): Promise<void> {
    if (this.txn) {
      ({ producerId: this.producerId, producerEpoch: this.producerEpoch } = await this.txn.initProducerId());
      this.idempotent = true;
      return;
    }
    const conn = await this.cluster.anyConnection();
    const canIdempotent = this.acks === -1 && conn.negotiated(InitProducerIdApi) >= 0;
    if (this.wantIdempotent === true && !canIdempotent) {
      throw new Error(`broker ${conn.address} does not support idempotent producers (InitProducerId)`);
    }
    if (this.wantIdempotent !== false && canIdempotent) {
      for (let attempt = 0; ; attempt++) {
        const res = await conn.request(InitProducerIdApi, {
          transactionalId: null,
          transactionTimeoutMs: 60_000,
          producerId: -1n,
          producerEpoch: -1,
        });
        if (res.errorCode === ErrorCode.NONE) {
          this.producerId = res.producerId;
          this.producerEpoch = res.producerEpoch;
          this.idempotent = true;
          break;
        }
        if (!isRetriable(res.errorCode) || attempt >= this.retries) throw new KafkaError(res.errorCode, 'InitProducerId');
        await sleep(this.retryBackoffMs);
      }
    }
  }

  get isIdempotent(): boolean {
    return this.idempotent;
  }

  /** Loads the partition layout of a topic (auto-creating it if allowed); send() needs it. */
  async prepareTopic(topic: string): Promise<number> {
    await this.connect();
    const [info] = await this.cluster.topicMetadata([topic], { autoCreate: this.autoCreate });
    this.accumulator.layout(topic, info!.partitions.length);
    return info!.partitions.length;
  }

  partitionCount(topic: string): number {
    return this.accumulator.partitionCount(topic);
  }

  /**
   * Appends a record (the topic must have been prepared). Returns false when the buffer is full:
   * wait for waitForSpace() before appending more. Throws the first fatal error once one happened.
   */
  send(r: ProducerRecord): boolean {
    return this.append(r.topic, r.partition, r.key ?? null, r.value, r.headers ?? null, r.timestamp ?? Date.now());
  }

  /** send() without the record object, for hot loops. */
  append(
    topic: string,
    partition: number | undefined,
    key: Buffer | null,
    value: Buffer | null,
    headers: RecordHeader[] | null,
    timestamp: number,
  ): boolean {
    return this.appendRange(topic, partition, key, 0, key === null ? 0 : key.length, value, 0, value === null ? 0 : value.length, headers, timestamp);
  }

  /** append() with key and value as ranges of larger buffers (e.g. lines of an input chunk). */
  appendRange(
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
  ): boolean {
    if (this.error) throw this.error;
    this.accumulator.append(topic, partition, key, keyStart, keyEnd, value, valueStart, valueEnd, headers, timestamp);
    this.stats.appended++;
    return this.accumulator.hasRoom;
  }

  /** Resolves when send() may append again. */
  waitForSpace(): Promise<void> {
    if (this.accumulator.hasRoom || this.error) return Promise.resolve();
    return new Promise((r) => this.spaceWaiters.push(r));
  }

  private scheduleDrain(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    queueMicrotask(() => void this.drain());
  }

  /** Sends ready batches: one request per leader, one batch per partition, within maxInFlight. */
  private async drain(): Promise<void> {
    try {
      do {
        this.drainAgain = false;
        await this.connect();
        const now = Date.now();
        const byLeader = new Map<number, PartitionState[]>();
        let waitingForBackoff = false;
        for (const states of this.accumulator.topics.values()) {
          for (const st of states) {
            if (st.ready.length === 0) continue;
            if (st.retrying.length > 0) continue;
            if (st.backoffUntil > now) {
              waitingForBackoff = true;
              continue;
            }
            if (st.inflight.length >= this.maxInFlight) continue;
            const leader = this.cluster.leaderFor(st.topic, st.partition);
            if (leader < 0) {
              await this.cluster.refreshMetadata([...this.accumulator.topics.keys()], this.autoCreate).catch(() => undefined);
              st.backoffUntil = now + this.retryBackoffMs;
              waitingForBackoff = true;
              continue;
            }
            let list = byLeader.get(leader);
            if (!list) byLeader.set(leader, (list = []));
            list.push(st);
          }
        }
        for (const [leader, states] of byLeader) {
          if ((this.inflightByNode.get(leader) ?? 0) >= this.maxInFlight) continue;
          if (this.throttle.blocked(leader, now)) continue;
          let conn: BrokerConnection;
          try {
            // In a transaction a partition is added (AddPartitionsToTxn) before its first batch goes out.
            if (this.txn) await this.txn.addPartitions(states);
            conn = await this.cluster.connectionTo(leader);
          } catch (e) {
            this.retryLater(states, e as Error);
            continue;
          }
          // Pipeline: keep sending requests to this leader while partitions have ready batches.
          let group = states;
          while (group.length > 0 && (this.inflightByNode.get(leader) ?? 0) < this.maxInFlight && !this.error) {
            this.sendRequest(leader, conn, group);
            group = group.filter((st) => st.ready.length > 0 && st.retrying.length === 0 && st.inflight.length < this.maxInFlight);
          }
        }
        if (waitingForBackoff) this.scheduleRetry();
      } while (this.drainAgain);
    } catch (e) {
      this.fail(e as Error);
    } finally {
      this.draining = false;
    }
  }

  /** Exponential backoff from retryBackoffMs, capped at 1 s (10 retries ≈ 6 s: a broker restart). */
  private backoff(attempts: number): number {
    return Math.min(this.retryBackoffMs * 2 ** Math.max(0, attempts - 1), 1000);
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    let wait = this.retryBackoffMs;
    const now = Date.now();
    for (const states of this.accumulator.topics.values()) for (const st of states) if (st.backoffUntil > now) wait = Math.min(wait, st.backoffUntil - now);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.scheduleDrain();
    }, Math.max(1, wait));
  }

  private retryLater(states: PartitionState[], err: Error): void {
    for (const st of states) {
      const head = st.ready[0];
      if (head && ++head.attempts > this.retries) {
        this.fail(err);
        return;
      }
      st.backoffUntil = Date.now() + this.backoff(head?.attempts ?? 1);
    }
    this.scheduleRetry();
  }

  private sealBytes(st: PartitionState, s: Sealed): Buffer {
    if (s.bytes === null) {
      if (this.idempotent) {
        s.baseSequence = st.nextSequence;
        st.nextSequence = (st.nextSequence + s.count) % 0x80000000;
      }
      s.bytes = s.builder.seal(this.codec, this.producerId, this.producerEpoch, this.idempotent ? s.baseSequence : -1, this.txn !== null);
      // Compressed batches live in their own buffer: the one they were built in is free again.
      if (this.codec !== 0) this.accumulator.recycle(s.builder.buffer);
    }
    return s.bytes;
  }

  private sendRequest(leader: number, conn: BrokerConnection, states: PartitionState[]): void {
    const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>();
    const sent: Array<[PartitionState, Sealed]> = [];
    for (const st of states) {
      const s = st.ready.shift()!;
      let bytes: Buffer;
      try {
        bytes = this.sealBytes(st, s);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      s.sentBehind = st.inflight.length > 0;
      st.inflight.push(s);
      sent.push([st, s]);
      let list = byTopic.get(st.topic);
      if (!list) byTopic.set(st.topic, (list = []));
      list.push({ index: st.partition, records: bytes });
    }
    const body = {
      transactionalId: this.txn?.transactionalId ?? null,
      acks: this.acks,
      timeoutMs: this.timeoutMs,
      topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
    };
    this.stats.requests++;
    this.inflightByNode.set(leader, (this.inflightByNode.get(leader) ?? 0) + 1);
    // zstd needs Produce v7+; everything else works from v3 (the magic-2 floor).
    const finish = () => {
      this.inflightByNode.set(leader, (this.inflightByNode.get(leader) ?? 1) - 1);
    };
    if (this.acks === 0) {
      conn.requestNoResponse(ProduceApi, body).then(
        async () => {
          // No reply will come: the socket draining is the only backpressure there is.
          await conn.drained();
          finish();
          for (const [st, s] of sent) this.acked(st, s);
          this.afterResponse();
        },
        (e: Error) => {
          finish();
          this.fail(e);
        },
      );
      return;
    }
    conn.request(ProduceApi, body, { timeoutMs: this.timeoutMs + 5000 }).then(
      (res) => {
        finish();
        if (res.throttleTimeMs > 0) {
          // The broker muted this connection for that long (KIP-219); further sends queue behind it.
          this.stats.throttled++;
          this.stats.throttleTimeMs += res.throttleTimeMs;
          this.throttle.note(leader, res.throttleTimeMs);
        }
        const codes = new Map<string, { code: number; message: string | null; baseOffset: bigint }>();
        for (const t of res.responses) {
          for (const p of t.partitionResponses) codes.set(`${t.name}\0${p.index}`, { code: p.errorCode, message: p.errorMessage, baseOffset: p.baseOffset });
        }
        let refresh = false;
        for (const [st, s] of sent) {
          const r = codes.get(`${st.topic}\0${st.partition}`);
          const code = r?.code ?? ErrorCode.NONE;
          if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
            this.acked(st, s);
            if (this.onAcked && r) this.onAcked({ topic: st.topic, partition: st.partition, baseOffset: r.baseOffset, count: s.count });
          }
          // OUT_OF_ORDER_SEQUENCE for a batch sent behind others means one of those failed or was
          // not applied yet: it goes again, in order, once they are back.
          else if (isRetriable(code) || (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && (st.retrying.length > 0 || st.inflight[0] !== s || s.sentBehind))) {
            if (needsMetadataRefresh(code)) refresh = true;
            this.requeue(st, s, new KafkaError(code, `produce to ${st.topic}[${st.partition}]`, r?.message));
          } else {
            this.fail(new KafkaError(code, `produce to ${st.topic}[${st.partition}]`, r?.message));
          }
        }
        if (refresh) {
          this.cluster
            .refreshMetadata([...this.accumulator.topics.keys()], this.autoCreate)
            .catch(() => undefined)
            .finally(() => this.afterResponse());
        } else this.afterResponse();
      },
      (e: Error) => {
        finish();
        // Connection lost or timed out: all of these batches go again (same bytes, same sequences).
        for (const [st, s] of sent) this.requeue(st, s, e);
        this.afterResponse();
      },
    );
  }

  private acked(st: PartitionState, s: Sealed): void {
    const i = st.inflight.indexOf(s);
    if (i >= 0) st.inflight.splice(i, 1);
    // An uncompressed batch was sent from its build buffer; once the broker answered, it has every
    // byte and the buffer is free. (With acks=0 there is no answer to prove the socket let go of it.)
    if (this.codec === 0 && this.acks !== 0) this.accumulator.recycle(s.builder.buffer);
    this.stats.acked += s.count;
    this.stats.bytes += s.size;
    this.accumulator.release(s);
    this.releaseRetries(st);
  }

  /** A failed batch waits until the partition's in-flight batches are back, then all go again in order. */
  private requeue(st: PartitionState, s: Sealed, err: Error): void {
    trace?.(`retry ${st.topic}[${st.partition}] seq ${s.baseSequence}+${s.count} attempt ${s.attempts + 1}: ${err.message}`);
    const i = st.inflight.indexOf(s);
    if (i >= 0) st.inflight.splice(i, 1);
    if (++s.attempts > this.retries) {
      this.fail(new Error(`${err.message} (gave up after ${this.retries} retries)`, { cause: err }));
      return;
    }
    this.stats.retries++;
    st.retrying.push(s);
    this.releaseRetries(st);
  }

  private releaseRetries(st: PartitionState): void {
    if (st.retrying.length === 0 || st.inflight.length > 0) return;
    st.retrying.sort((a, b) => a.baseSequence - b.baseSequence);
    const attempts = Math.max(...st.retrying.map((x) => x.attempts));
    st.ready.unshift(...st.retrying);
    st.retrying = [];
    st.backoffUntil = Date.now() + this.backoff(attempts);
  }

  private afterResponse(): void {
    if (this.accumulator.hasRoom) {
      for (const w of this.spaceWaiters.splice(0)) w();
    }
    if (this.accumulator.pendingWork()) this.scheduleDrain();
    else for (const w of this.idleWaiters.splice(0)) w();
  }

  private fail(e: Error): void {
    trace?.(`fail: ${e.message}`);
    if (!this.error) this.error = e;
    for (const w of this.idleWaiters.splice(0)) w();
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  /** Sends everything appended so far and waits for the acknowledgements; throws the first error. */
  async flush(): Promise<void> {
    this.accumulator.cancelLinger();
    this.accumulator.sealAll();
    while (!this.error && this.accumulator.pendingWork()) {
      const idle = new Promise<void>((r) => this.idleWaiters.push(r));
      this.scheduleDrain();
      await idle;
    }
    if (this.error) throw this.error;
  }

  /** Flushes (unless told not to) and stops timers. The cluster's connections stay with the cluster. */
  async close(opts: { flush?: boolean } = {}): Promise<void> {
    try {
      if (opts.flush !== false) await this.flush();
    } finally {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.throttle.close();
      this.accumulator.cancelLinger();
      this.retryTimer = null;
    }
  }

  get failure(): Error | null {
    return this.error;
  }
}

