import { ErrorCode } from '../protocol/error-codes.ts';
import { FetchApi, type FetchResponse } from '../protocol/messages/fetch.ts';
import type { AbortedTransaction } from './fetched-records.ts';
import type { ConsumerRecord } from '../protocol/records/record-batch.ts';
import { FetchedRecords, type RecordView } from './fetched-records.ts';
import { sleep, type Cluster } from './cluster.ts';
import { ConnectionError, KafkaError, TimeoutError, isRetriable, needsMetadataRefresh } from './errors.ts';
import { GroupMember, type GroupMemberOptions } from './group-member.ts';
import { EARLIEST, LATEST, listOffsets, tpKey, type OffsetQuery } from './list-offsets.ts';

/**
 * The consumer. Assign mode reads chosen partitions from chosen start positions; group mode joins a
 * consumer group, reads what the group assigns and commits what it has handed to the caller. One
 * fetch per leader is kept in flight while the previous response is being handled (prefetch), and a
 * response whose partition was moved meanwhile (seek, rebalance) is dropped for that partition.
 * With exitAtEnd, a partition is finished once its position reaches the high watermark, and run()
 * returns when every assigned partition is finished.
 */

export type StartPosition =
  | { type: 'earliest' }
  | { type: 'latest' }
  | { type: 'offset'; offset: bigint | number }
  | { type: 'last'; count: number }
  | { type: 'timestamp'; timestamp: number };

export interface ConsumerOptions {
  /** Group mode when set. */
  groupId?: string;
  /** Where to start in assign mode, and for group partitions without a committed offset. */
  start?: StartPosition;
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  group?: Omit<GroupMemberOptions, 'groupId' | 'topics'>;
  /** Verify batch CRCs (Java's check.crcs, default on). */
  verifyCrc?: boolean;
  /**
   * read_committed: read only up to the last stable offset and skip records of aborted transactions
   * (and "the end" is the LSO); read_uncommitted (the default, as the Java client): everything.
   */
  isolationLevel?: 'read_committed' | 'read_uncommitted';
}

/** What the handler gets per partition and fetch. */
export interface FetchedBatch {
  topic: string;
  partition: number;
  highWatermark: number;
  /** The position after this batch: what a commit records once the batch is handled. */
  nextOffset: number;
  /** The records as objects (decoded on first use). */
  readonly records: ConsumerRecord[];
  /** Walks the records with one reused view, allocating nothing per record; return false to stop. */
  forEach(fn: (r: RecordView) => void | false): void;
}

class Batch implements FetchedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  readonly nextOffset: number;
  private readonly data: FetchedRecords;

  constructor(topic: string, partition: number, highWatermark: number, data: FetchedRecords) {
    this.topic = topic;
    this.partition = partition;
    this.highWatermark = highWatermark;
    this.nextOffset = data.nextOffset;
    this.data = data;
  }

  get records(): ConsumerRecord[] {
    return this.data.records;
  }

  forEach(fn: (r: RecordView) => void | false): void {
    this.data.forEach(fn);
  }
}

export type BatchHandler = (batch: FetchedBatch) => unknown;

interface PartitionPosition {
  topic: string;
  partition: number;
  offset: number;
  highWatermark: number;
  maxBytes: number;
  /** Bumped on every seek, to drop in-flight data fetched for an older position. */
  epoch: number;
}

export class Consumer {
  private readonly cluster: Cluster;
  private readonly opts: Required<Omit<ConsumerOptions, 'groupId' | 'group'>> & Pick<ConsumerOptions, 'groupId' | 'group'>;
  private readonly positions = new Map<string, PartitionPosition>();
  private readonly consumed = new Map<string, { topic: string; partition: number; offset: number }>();
  private readonly committed = new Map<string, number>();
  private member: GroupMember | null = null;
  private subscribed: string[] = [];
  private assignRequest: Array<{ topic: string; partitions?: number[] }> | null = null;
  private running = false;
  private rejoin = false;
  private regroup = false;
  private exitAtEnd = false;
  private marked = new Set<string>();
  private lastCommit = 0;
  private stopWaiters: Array<() => void> = [];
  /** A run() is in progress (from its call until it returns or throws). */
  private inRun = false;
  /** stop() came while no run() was in progress: the next run() returns at once. */
  private stopPending = false;

  /** Fetch/ListOffsets isolation_level: 1 = read_committed. */
  private get isolation(): 0 | 1 {
    return this.opts.isolationLevel === 'read_committed' ? 1 : 0;
  }

  constructor(cluster: Cluster, opts: ConsumerOptions = {}) {
    this.cluster = cluster;
    this.opts = {
      groupId: opts.groupId,
      group: opts.group,
      start: opts.start ?? { type: 'latest' },
      maxWaitMs: opts.maxWaitMs ?? 500,
      minBytes: opts.minBytes ?? 1,
      maxBytes: opts.maxBytes ?? 52_428_800,
      partitionMaxBytes: opts.partitionMaxBytes ?? 4_194_304,
      autoCommit: opts.autoCommit ?? true,
      autoCommitIntervalMs: opts.autoCommitIntervalMs ?? 5000,
      verifyCrc: opts.verifyCrc ?? true,
      isolationLevel: opts.isolationLevel ?? 'read_uncommitted',
    };
  }

  /** Assign mode: these topics (all partitions unless listed), from opts.start. */
  assign(list: Array<{ topic: string; partitions?: number[] }>): void {
    if (this.opts.groupId) throw new Error('assign() is for consumers without a group; this one has a group id');
    this.assignRequest = list;
  }

  /** Group mode: the topics to subscribe to. */
  subscribe(topics: string[]): void {
    if (!this.opts.groupId) throw new Error('subscribe() needs a group id');
    this.subscribed = topics;
  }

  /** The partitions currently assigned, with positions. */
  assignment(): Array<{ topic: string; partition: number; offset: number; highWatermark: number }> {
    return [...this.positions.values()].map(({ topic, partition, offset, highWatermark }) => ({ topic, partition, offset, highWatermark }));
  }

  get memberId(): string | null {
    return this.member?.memberId ?? null;
  }

  /** Moves a partition's position (takes effect at the next fetch). */
  seek(topic: string, partition: number, offset: number): void {
    const p = this.positions.get(tpKey(topic, partition));
    if (!p) throw new Error(`${topic}[${partition}] is not assigned to this consumer`);
    p.offset = offset;
    p.epoch++;
  }

  /** Records that everything before `nextOffset` was handled (a handler that stops mid-batch says so). */
  markConsumed(topic: string, partition: number, nextOffset: number): void {
    const key = tpKey(topic, partition);
    this.consumed.set(key, { topic, partition, offset: nextOffset });
    this.marked.add(key);
  }

  /**
   * Ends the run() in progress; with none in progress, the next run() returns at once (as Kafka's
   * wakeup() before poll()). A task stopped while still starting calls stop() before it reaches run():
   * were that lost, run() would fetch for ever, and the task's stop — the worker's shutdown — would
   * wait for it (a Connect worker SIGTERMed during start-up then never exited).
   */
  stop(): void {
    this.running = false;
    if (!this.inRun) this.stopPending = true;
    for (const w of this.stopWaiters.splice(0)) w();
  }

  /** Fetches and hands batches to `handler` (awaited: it is the backpressure) until stop() or the end. */
  async run(handler: BatchHandler, opts: { exitAtEnd?: boolean } = {}): Promise<void> {
    if (this.stopPending) {
      this.stopPending = false;
      return;
    }
    this.inRun = true;
    try {
      await this.fetchLoop(handler, opts);
    } finally {
      this.inRun = false;
    }
  }

  private async fetchLoop(handler: BatchHandler, opts: { exitAtEnd?: boolean }): Promise<void> {
    this.exitAtEnd = opts.exitAtEnd ?? false;
    this.running = true;
    if (this.opts.groupId) {
      this.member = new GroupMember(this.cluster, { ...(this.opts.group ?? {}), groupId: this.opts.groupId, topics: this.subscribed });
      // Subscribed topics must exist: a clear error beats an empty assignment.
      await this.cluster.topicMetadata(this.subscribed);
      this.rejoin = true;
    } else {
      if (!this.assignRequest) throw new Error('call assign() or subscribe() before run()');
      await this.setupAssigned(this.assignRequest);
    }
    let failures = 0;
    while (this.running) {
      if (this.member && this.rejoin) {
        await this.commitConsumed().catch(() => undefined);
        this.rejoin = false;
        const before = this.member.assignment;
        const assignment = await this.member.join();
        await this.setupGroupPositions(assignment);
        // Cooperative rebalancing: having lost partitions this round, rejoin so the next round can
        // give them to their new owner (their offsets were committed above).
        if (this.member.cooperative && [...before].some(([t, ps]) => ps.some((p) => !(assignment.get(t) ?? []).includes(p)))) {
          this.rejoin = true;
        }
        this.member.startHeartbeats(() => {
          this.rejoin = true;
        });
      }
      if (this.exitAtEnd && this.allAtEnd()) break;
      if (this.positions.size === 0) {
        // Nothing assigned (more members than partitions): wait for a rebalance or stop.
        await this.idle(this.opts.maxWaitMs);
        continue;
      }
      this.regroup = false;
      const byLeader = new Map<number, PartitionPosition[]>();
      for (const p of this.positions.values()) {
        if (this.exitAtEnd && p.offset >= p.highWatermark) continue;
        const leader = this.cluster.leaderFor(p.topic, p.partition);
        if (leader < 0) {
          this.regroup = true;
          continue;
        }
        let l = byLeader.get(leader);
        if (!l) byLeader.set(leader, (l = []));
        l.push(p);
      }
      if (byLeader.size === 0 && this.regroup) {
        await this.cluster.refreshMetadata([...new Set([...this.positions.values()].map((p) => p.topic))]).catch(() => undefined);
        await this.idle(200);
        continue;
      }
      try {
        await Promise.all([...byLeader].map(([leader, parts]) => this.leaderLoop(leader, parts, handler)));
        failures = 0;
      } catch (e) {
        // A broker restarting or a network blip: keep trying for a while, as Kafka clients do.
        if (!(e instanceof ConnectionError || e instanceof TimeoutError) || !this.running || ++failures > 15) throw e;
        await this.idle(Math.min(100 * 2 ** failures, 2000));
        this.regroup = true;
      }
      if (this.regroup) await this.cluster.refreshMetadata([...new Set([...this.positions.values()].map((p) => p.topic))]).catch(() => undefined);
    }
    this.running = false;
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.stopWaiters.push(done);
    });
  }

  private allAtEnd(): boolean {
    for (const p of this.positions.values()) if (p.offset < p.highWatermark) return false;
    return true;
  }

  private shouldContinue(): boolean {
    return this.running && !this.rejoin && !this.regroup && !(this.exitAtEnd && this.allAtEnd());
  }

  /** Fetch → (send next fetch) → hand batches over, for the partitions led by one broker. */
  private async leaderLoop(leader: number, parts: PartitionPosition[], handler: BatchHandler): Promise<void> {
    const conn = await this.cluster.connectionTo(leader);
    const version = conn.negotiated(FetchApi, 12); // v13+ addresses topics by id
    if (version < 4) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `broker ${conn.address} offers no Fetch version ≥ 4 (magic-2 records)`);
    const send = () => {
      const active = parts.filter((p) => !(this.exitAtEnd && p.offset >= p.highWatermark) && this.positions.get(tpKey(p.topic, p.partition)) === p);
      if (active.length === 0) return null;
      const snapshot = active.map((p) => ({ p, offset: p.offset, epoch: p.epoch }));
      const byTopic = new Map<string, typeof snapshot>();
      for (const s of snapshot) {
        let l = byTopic.get(s.p.topic);
        if (!l) byTopic.set(s.p.topic, (l = []));
        l.push(s);
      }
      const req = conn.request(
        FetchApi,
        {
          replicaId: -1,
          maxWaitMs: this.opts.maxWaitMs,
          minBytes: this.opts.minBytes,
          maxBytes: this.opts.maxBytes,
          isolationLevel: this.isolation,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...byTopic].map(([topic, list]) => ({
            topic,
            partitions: list.map((s) => ({
              partition: s.p.partition,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(s.offset),
              logStartOffset: -1n,
              partitionMaxBytes: s.p.maxBytes,
            })),
          })),
          forgottenTopicsData: [],
          rackId: '',
        },
        { version, timeoutMs: this.opts.maxWaitMs + 30_000 },
      );
      return { req, snapshot };
    };
    let inflight = send();
    let errors = 0;
    while (inflight && this.shouldContinue()) {
      let res: FetchResponse;
      try {
        res = await inflight.req;
      } catch (e) {
        if (!this.running) return;
        if (++errors > 5) throw e;
        this.regroup = true;
        await sleep(200 * errors);
        return;
      }
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, 'Fetch');
      const ready: FetchedBatch[] = [];
      const resets: PartitionPosition[] = [];
      for (const t of res.responses) {
        for (const pr of t.partitions) {
          const s = inflight.snapshot.find((x) => x.p.topic === t.topic && x.p.partition === pr.partitionIndex);
          if (!s) continue;
          const p = s.p;
          if (p.epoch !== s.epoch || p.offset !== s.offset || this.positions.get(tpKey(p.topic, p.partition)) !== p) continue;
          if (pr.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            resets.push(p);
            continue;
          }
          if (pr.errorCode !== ErrorCode.NONE) {
            if (isRetriable(pr.errorCode) || needsMetadataRefresh(pr.errorCode)) {
              this.regroup = true;
              continue;
            }
            throw new KafkaError(pr.errorCode, `Fetch ${p.topic}[${p.partition}]`);
          }
          // Under read_committed the reachable end is the last stable offset.
          p.highWatermark = Number(this.isolation === 1 ? pr.lastStableOffset : pr.highWatermark);
          const batch = this.decode(p, pr.records, s.offset, this.isolation === 1 ? (pr.abortedTransactions ?? []) : null);
          if (batch) ready.push(batch);
        }
      }
      for (const p of resets) await this.resetOutOfRange(p);
      inflight = this.shouldContinue() ? send() : null;
      for (const b of ready) {
        if (!this.running) break;
        const key = tpKey(b.topic, b.partition);
        this.marked.delete(key);
        await handler(b);
        if (!this.marked.has(key)) this.consumed.set(key, { topic: b.topic, partition: b.partition, offset: b.nextOffset });
      }
      await this.maybeAutoCommit();
      if (this.regroup) {
        await sleep(100);
        break;
      }
    }
    // Let an unneeded in-flight fetch finish quietly.
    inflight?.req.catch(() => undefined);
  }

  private decode(p: PartitionPosition, records: Buffer | null, from: number, aborted: readonly AbortedTransaction[] | null): FetchedBatch | null {
    if (records === null || records.length === 0) return null;
    const data = new FetchedRecords(records, from, this.opts.verifyCrc, aborted);
    if (data.batches === 0) {
      // A batch bigger than partitionMaxBytes: ask for more next time (Kafka ≥ 0.10.1 sends it anyway).
      p.maxBytes = Math.min(p.maxBytes * 2, this.opts.maxBytes);
      return null;
    }
    p.offset = data.nextOffset;
    if (data.maybeEmpty && data.nextOffset === from) return null;
    return new Batch(p.topic, p.partition, p.highWatermark, data);
  }

  private async resetOutOfRange(p: PartitionPosition): Promise<void> {
    const earliest = await listOffsets(this.cluster, [{ topic: p.topic, partition: p.partition, timestamp: EARLIEST }]);
    const latest = await listOffsets(this.cluster, [{ topic: p.topic, partition: p.partition, timestamp: LATEST }], 5, this.isolation);
    const lo = Number(earliest.get(tpKey(p.topic, p.partition)) ?? 0n);
    const hi = Number(latest.get(tpKey(p.topic, p.partition)) ?? 0n);
    // Below the log start (retention) → the start; past the end → the end.
    p.offset = p.offset < lo ? lo : this.opts.start.type === 'earliest' ? lo : hi;
    p.highWatermark = hi;
    p.epoch++;
  }

  private async setupAssigned(list: Array<{ topic: string; partitions?: number[] }>): Promise<void> {
    const infos = await this.cluster.topicMetadata([...new Set(list.map((l) => l.topic))]);
    const tps: Array<{ topic: string; partition: number }> = [];
    for (const l of list) {
      const info = infos.find((i) => i.name === l.topic)!;
      const count = info.partitions.length;
      for (const p of l.partitions ?? info.partitions.map((x) => x.partition)) {
        if (p < 0 || p >= count) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${p} of topic "${l.topic}" does not exist (it has ${count})`);
        tps.push({ topic: l.topic, partition: p });
      }
    }
    const starts = await this.resolveStart(tps, this.opts.start);
    this.positions.clear();
    for (const [key, v] of starts) this.positions.set(key, v);
  }

  private async setupGroupPositions(assignment: Map<string, number[]>): Promise<void> {
    const tps = [...assignment].flatMap(([topic, parts]) => parts.map((partition) => ({ topic, partition })));
    this.positions.clear();
    this.consumed.clear();
    this.committed.clear();
    if (tps.length === 0) return;
    const committed = await this.member!.committed(tps);
    const fresh = tps.filter((tp) => !committed.has(tpKey(tp.topic, tp.partition)));
    const starts = await this.resolveStart(fresh, this.opts.start.type === 'earliest' ? { type: 'earliest' } : { type: 'latest' });
    const ends = await listOffsets(this.cluster, tps.map((tp) => ({ ...tp, timestamp: LATEST })), 5, this.isolation);
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition);
      const c = committed.get(key);
      const hw = Number(ends.get(key) ?? 0n);
      if (c !== undefined) {
        this.positions.set(key, { ...tp, offset: Number(c), highWatermark: hw, maxBytes: this.opts.partitionMaxBytes, epoch: 0 });
        this.committed.set(key, Number(c));
      } else {
        const s = starts.get(key)!;
        this.positions.set(key, { ...s, highWatermark: hw });
        // Like Java's auto-commit: a partition reset to a start position commits that position on
        // the next commit even before a record is handed out, so the group remembers where it is.
        this.consumed.set(key, { ...tp, offset: s.offset });
      }
    }
  }

  /** Start offsets (and current end offsets) for partitions, per the start position. */
  private async resolveStart(tps: Array<{ topic: string; partition: number }>, start: StartPosition): Promise<Map<string, PartitionPosition>> {
    const out = new Map<string, PartitionPosition>();
    if (tps.length === 0) return out;
    const q = (timestamp: bigint): OffsetQuery[] => tps.map((tp) => ({ ...tp, timestamp }));
    const ends = await listOffsets(this.cluster, q(LATEST), 5, this.isolation);
    const needEarliest = start.type === 'earliest' || start.type === 'last' || start.type === 'offset';
    const earliest = needEarliest ? await listOffsets(this.cluster, q(EARLIEST)) : null;
    const byTime = start.type === 'timestamp' ? await listOffsets(this.cluster, q(BigInt(start.timestamp))) : null;
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition);
      const hi = Number(ends.get(key) ?? 0n);
      const lo = Number(earliest?.get(key) ?? 0n);
      let offset: number;
      switch (start.type) {
        case 'earliest':
          offset = lo;
          break;
        case 'latest':
          offset = hi;
          break;
        case 'offset':
          offset = Math.min(Math.max(Number(start.offset), lo), hi);
          break;
        case 'last':
          offset = Math.max(lo, hi - start.count);
          break;
        case 'timestamp': {
          const t = byTime!.get(key) ?? -1n;
          offset = t < 0n ? hi : Number(t);
          break;
        }
      }
      out.set(key, { ...tp, offset, highWatermark: hi, maxBytes: this.opts.partitionMaxBytes, epoch: 0 });
    }
    return out;
  }

  private async maybeAutoCommit(): Promise<void> {
    if (!this.member || !this.opts.autoCommit) return;
    const now = Date.now();
    if (now - this.lastCommit < this.opts.autoCommitIntervalMs) return;
    this.lastCommit = now;
    await this.commitConsumed().catch(() => undefined);
  }

  /** Commits what was handed to the handler and not committed yet (group mode). */
  async commitConsumed(): Promise<void> {
    if (!this.member || this.member.generationId < 0) return;
    const todo = [...this.consumed.entries()].filter(([k, v]) => this.committed.get(k) !== v.offset);
    if (todo.length === 0) return;
    await this.member.commit(todo.map(([, v]) => v));
    for (const [k, v] of todo) this.committed.set(k, v.offset);
  }

  /** Stops, commits (group mode, unless autoCommit is off) and leaves the group. */
  async close(): Promise<void> {
    this.stop();
    if (this.member) {
      if (this.opts.autoCommit) await this.commitConsumed().catch(() => undefined);
      await this.member.leave();
    }
  }
}
