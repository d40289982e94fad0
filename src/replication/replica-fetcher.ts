/**
 * The follower side of replication (Kafka's ReplicaFetcherManager / ReplicaFetcherThread /
 * AbstractFetcherThread, 3.9): fetchers per leader broker (num.replica.fetchers of them, partitions
 * spread by Kafka's hash), each one loop over one client connection issuing replica Fetch requests.
 *
 * - A replica Fetch names this broker (replica_id, and ReplicaState from v15), the current leader epoch
 *   and the last fetched epoch of each partition; no fetch session (session epoch -1, full requests).
 * - Fetched batches are appended as they are (PartitionLog.appendAsFollower: offsets and epochs the
 *   leader's); the follower's high watermark becomes min(leader's, own log end).
 * - Divergence (KIP-320/595, what Kafka 3.9 uses): the leader answers a diverging epoch instead of
 *   data when the follower's last fetched epoch ends earlier there; the follower truncates to the
 *   point Kafka's getOffsetTruncationState computes and fetches on.
 * - OFFSET_OUT_OF_RANGE: a leader behind the follower (unclean election) → truncate to its end; a
 *   follower behind the leader's log start → start empty at the leader's log start.
 * - Leader-epoch errors, NOT_LEADER_OR_FOLLOWER and others back off replica.fetch.backoff.ms; the
 *   cluster layer's next assignment moves the partition.
 */
import type { BrokerConnection } from '../client/broker-connection.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { FetchApi, type FetchRequestInput, type FetchResponse, type FetchResponsePartitions } from '../protocol/messages/fetch.ts';
import { ListOffsetsApi } from '../protocol/messages/list-offsets.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import type { ReplicaEndpoint } from './replication-seam.ts';

export interface FetcherSettings {
  numReplicaFetchers: number;
  replicaFetchMaxBytes: number;
  replicaFetchResponseMaxBytes: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchMinBytes: number;
  replicaFetchBackoffMs: number;
}

interface FetcherLogger {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

/** What the fetchers ask the replica manager. */
interface FollowerOwner {
  isFollowing(key: string, leaderEpoch: number): boolean;
}

export interface FollowedPartition {
  topic: string;
  topicId: string;
  partition: number;
  leaderEpoch: number;
  leader: ReplicaEndpoint;
  log: PartitionLog;
}

interface FetchState extends FollowedPartition {
  key: string;
  /** Not fetched before this time (after an error). */
  delayedUntil: number;
}

const SOCKET_TIMEOUT_MS = 30_000; // Kafka's replica.socket.timeout.ms default

/** Kafka's AbstractFetcherManager.getFetcherId: Utils.abs(31 * topic.hashCode + partition) % numFetchers. */
export function fetcherId(topic: string, partition: number, numFetchers: number): number {
  let h = 0;
  for (let i = 0; i < topic.length; i++) h = (Math.imul(31, h) + topic.charCodeAt(i)) | 0;
  const v = (Math.imul(31, h) + partition) | 0;
  return (v === -2147483648 ? 0 : Math.abs(v)) % Math.max(1, numFetchers);
}

export class ReplicaFetcherManager {
  private readonly nodeId: number;
  private readonly settings: FetcherSettings;
  private readonly logger: FetcherLogger;
  private readonly owner: FollowerOwner;
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  private readonly byPartition = new Map<string, ReplicaFetcher>();

  constructor(o: { nodeId: number; settings: FetcherSettings; logger: FetcherLogger; replicas: FollowerOwner }) {
    this.nodeId = o.nodeId;
    this.settings = o.settings;
    this.logger = o.logger;
    this.owner = o.replicas;
  }

  addPartition(key: string, fp: FollowedPartition): void {
    const id = fetcherId(fp.topic, fp.partition, this.settings.numReplicaFetchers);
    const fk = `${fp.leader.nodeId}/${fp.leader.host}:${fp.leader.port}/${id}`;
    let f = this.fetchers.get(fk);
    if (!f) {
      f = new ReplicaFetcher({ nodeId: this.nodeId, fetcherId: id, leader: fp.leader, settings: this.settings, logger: this.logger, owner: this.owner });
      this.fetchers.set(fk, f);
    }
    this.byPartition.set(key, f);
    f.add({ ...fp, key, delayedUntil: 0 });
  }

  /** Stops fetching `key`; resolves once no response for it is being applied any more. */
  async removePartition(key: string): Promise<void> {
    const f = this.byPartition.get(key);
    if (!f) return;
    this.byPartition.delete(key);
    await f.remove(key);
    if (f.isEmpty) {
      for (const [fk, v] of this.fetchers) if (v === f) this.fetchers.delete(fk);
      await f.stop();
    }
  }

  /** Fetchers running (tests, describe). */
  get fetcherCount(): number {
    return this.fetchers.size;
  }

  async close(): Promise<void> {
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.byPartition.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}

class ReplicaFetcher {
  private readonly nodeId: number;
  private readonly id: number;
  private readonly leader: ReplicaEndpoint;
  private readonly settings: FetcherSettings;
  private readonly logger: FetcherLogger;
  private readonly owner: FollowerOwner;
  private readonly partitions = new Map<string, FetchState>();
  private conn: BrokerConnection | null = null;
  private running = true;
  /** Settles when the response being applied (if any) is done. */
  private processing: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private readonly loop: Promise<void>;

  constructor(o: { nodeId: number; fetcherId: number; leader: ReplicaEndpoint; settings: FetcherSettings; logger: FetcherLogger; owner: FollowerOwner }) {
    this.nodeId = o.nodeId;
    this.id = o.fetcherId;
    this.leader = o.leader;
    this.settings = o.settings;
    this.logger = o.logger;
    this.owner = o.owner;
    this.loop = this.run();
  }

  get isEmpty(): boolean {
    return this.partitions.size === 0;
  }

  add(s: FetchState): void {
    this.partitions.set(s.key, s);
    this.wake();
  }

  async remove(key: string): Promise<void> {
    this.partitions.delete(key);
    await this.processing;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.conn?.close();
    this.wake();
    await this.loop;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async connection(): Promise<BrokerConnection> {
    if (this.conn && !this.conn.closed) return this.conn;
    // The client (with its TLS and SASL halves) is imported by the first fetcher, not by every broker
    // that constructs a replica manager: a standalone broker never follows anyone (issue 12).
    const { BrokerConnection } = await import('../client/broker-connection.ts');
    this.conn = await BrokerConnection.open({
      host: this.leader.host,
      port: this.leader.port,
      clientId: `broker-${this.nodeId}-fetcher-${this.id}`,
      nodeId: this.leader.nodeId,
      requestTimeoutMs: this.settings.replicaFetchWaitMaxMs + SOCKET_TIMEOUT_MS,
    });
    return this.conn;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      const ready = [...this.partitions.values()].filter((p) => p.delayedUntil <= now);
      if (ready.length === 0) {
        const next = Math.min(...[...this.partitions.values()].map((p) => p.delayedUntil));
        await this.sleep(Number.isFinite(next) ? Math.max(1, next - now) : 60_000);
        continue;
      }
      try {
        const conn = await this.connection();
        const version = conn.negotiated(FetchApi);
        const res = await conn.request(FetchApi, this.request(ready, version), { version });
        if (!this.running) break;
        let done!: () => void;
        this.processing = new Promise((resolve) => (done = resolve));
        try {
          await this.apply(ready, res, conn);
        } finally {
          done();
        }
      } catch (e) {
        if (!this.running) break;
        this.logger.warn(`replica fetcher ${this.nodeId}→${this.leader.nodeId}: ${(e as Error).message}; retrying in ${this.settings.replicaFetchBackoffMs} ms`);
        this.conn?.close();
        this.conn = null;
        await this.sleep(this.settings.replicaFetchBackoffMs);
      }
    }
    this.conn?.close();
  }

  private request(ready: FetchState[], version: number): FetchRequestInput {
    const topics = new Map<string, { topic: string; topicId: string; partitions: NonNullable<FetchRequestInput['topics'][number]['partitions']> }>();
    for (const p of ready) {
      let t = topics.get(p.topic);
      if (!t) topics.set(p.topic, (t = { topic: p.topic, topicId: p.topicId, partitions: [] }));
      t.partitions.push({
        partition: p.partition,
        currentLeaderEpoch: p.leaderEpoch,
        fetchOffset: BigInt(p.log.logEndOffset),
        lastFetchedEpoch: p.log.epochCache.latestEpoch,
        logStartOffset: BigInt(p.log.logStartOffset),
        partitionMaxBytes: this.settings.replicaFetchMaxBytes,
      });
    }
    return {
      // From v15 the replica is named in ReplicaState (KIP-903), before in replica_id.
      ...(version >= 15 ? { replicaState: { replicaId: this.nodeId, replicaEpoch: -1n } } : { replicaId: this.nodeId }),
      maxWaitMs: this.settings.replicaFetchWaitMaxMs,
      minBytes: this.settings.replicaFetchMinBytes,
      maxBytes: this.settings.replicaFetchResponseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics.values()],
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  private async apply(sent: FetchState[], res: FetchResponse, conn: BrokerConnection): Promise<void> {
    if (res.errorCode !== ErrorCode.NONE) {
      for (const p of sent) p.delayedUntil = Date.now() + this.settings.replicaFetchBackoffMs;
      this.logger.warn(`replica fetch from ${this.leader.nodeId} failed with error ${res.errorCode}`);
      return;
    }
    const byName = new Map(sent.map((p) => [`${p.topic}\u0000${p.partition}`, p]));
    const byId = new Map(sent.map((p) => [`${p.topicId}\u0000${p.partition}`, p]));
    for (const t of res.responses) {
      for (const pd of t.partitions) {
        const p = (t.topic ? byName.get(`${t.topic}\u0000${pd.partitionIndex}`) : undefined) ?? byId.get(`${t.topicId}\u0000${pd.partitionIndex}`);
        // Removed, or re-added at another epoch, while the request was out: the answer is stale.
        if (!p || this.partitions.get(p.key) !== p || !this.owner.isFollowing(p.key, p.leaderEpoch)) continue;
        try {
          await this.applyPartition(p, pd, conn);
        } catch (e) {
          this.logger.warn(`replica fetcher: ${p.key}: ${(e as Error).message}`);
          p.delayedUntil = Date.now() + this.settings.replicaFetchBackoffMs;
        }
      }
    }
  }

  private async applyPartition(p: FetchState, pd: FetchResponsePartitions, conn: BrokerConnection): Promise<void> {
    const log = p.log;
    if (pd.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      await this.handleOutOfRange(p, conn);
      return;
    }
    if (pd.errorCode !== ErrorCode.NONE) {
      this.logger.debug(`replica fetcher: ${p.key} error ${pd.errorCode} from leader ${this.leader.nodeId}; backing off`);
      p.delayedUntil = Date.now() + this.settings.replicaFetchBackoffMs;
      return;
    }
    const div = pd.divergingEpoch;
    if (div && (div.epoch >= 0 || div.endOffset >= 0n)) {
      const target = truncationOffset(log, div.epoch, Number(div.endOffset));
      this.logger.info(`replica fetcher: ${p.key} diverges from leader ${this.leader.nodeId} (epoch ${div.epoch} ends at ${div.endOffset}); truncating ${log.logEndOffset} → ${target}`);
      await log.truncateTo(target);
      return;
    }
    if (pd.records && pd.records.length > 0) await log.appendAsFollower(pd.records);
    const leaderHw = Number(pd.highWatermark);
    if (leaderHw >= 0) log.setHighWatermark(Math.min(leaderHw, log.logEndOffset));
    const leaderStart = Number(pd.logStartOffset);
    if (leaderStart > log.logStartOffset) log.advanceLogStartOffset(Math.min(leaderStart, log.highWatermark));
  }

  /** Kafka's fetchOffsetAndTruncate. */
  private async handleOutOfRange(p: FetchState, conn: BrokerConnection): Promise<void> {
    const log = p.log;
    const leaderEnd = await this.leaderOffset(conn, p, -1n);
    if (leaderEnd < log.logEndOffset) {
      this.logger.warn(`replica fetcher: ${p.key} leader ${this.leader.nodeId} ends at ${leaderEnd}, below this replica's ${log.logEndOffset}; truncating`);
      await log.truncateTo(leaderEnd);
      return;
    }
    const leaderStart = await this.leaderOffset(conn, p, -2n);
    if (leaderStart > log.logEndOffset) {
      this.logger.warn(`replica fetcher: ${p.key} leader ${this.leader.nodeId} starts at ${leaderStart}, past this replica's end ${log.logEndOffset}; starting over there`);
      await log.truncateFullyAndStartAt(leaderStart);
    }
  }

  private async leaderOffset(conn: BrokerConnection, p: FetchState, timestamp: bigint): Promise<number> {
    const res = await conn.request(ListOffsetsApi, {
      replicaId: this.nodeId,
      topics: [{ name: p.topic, partitions: [{ partitionIndex: p.partition, currentLeaderEpoch: p.leaderEpoch, timestamp }] }],
    }, { maxVersion: 9 });
    const r = res.topics[0]?.partitions[0];
    if (!r || r.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets ${timestamp} on leader ${this.leader.nodeId} for ${p.key} failed (error ${r?.errorCode})`);
    return Number(r.offset);
  }
}

/**
 * Where a follower truncates given the leader's diverging epoch (Kafka's
 * AbstractFetcherThread.getOffsetTruncationState): the leader's end of that epoch, bounded by what
 * the follower itself has of it; a follower that does not know the epoch cuts at its own end of the
 * largest epoch below it and asks again on the next fetch.
 */
export function truncationOffset(log: PartitionLog, leaderEpoch: number, leaderEndOffset: number): number {
  const leo = log.logEndOffset;
  if (leaderEndOffset < 0) return Math.min(log.highWatermark, leo);
  if (leaderEpoch < 0) return Math.min(leaderEndOffset, leo);
  const local = log.epochCache.endOffsetFor(leaderEpoch, leo);
  if (local.endOffset < 0) return Math.min(leaderEndOffset, leo);
  if (local.epoch !== leaderEpoch) return Math.min(local.endOffset, leo);
  return Math.min(leaderEndOffset, local.endOffset, leo);
}
