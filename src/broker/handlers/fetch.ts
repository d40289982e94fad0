import { ErrorCode } from '../../protocol/error-codes.ts';
import { FetchApi, type FetchRequest, type FetchResponseInput, type FetchResponsePartitionsInput, type FetchResponseResponsesInput } from '../../protocol/messages/fetch.ts';
import { BATCH_LENGTH, COMPRESSION_MASK, ATTRIBUTES, LOG_OVERHEAD } from '../../protocol/records/batch-header.ts';
import type { PartitionLog } from '../../storage/partition-log.ts';
import { toErrorCode, ZERO_UUID } from '../errors.ts';
import type { ApiHandler, BrokerContext, RequestContext } from '../handler.ts';
import type { RequestQuota } from '../quotas/request-quota.ts';
import { encodeResponseFrameChunks, responseHeaderVersion } from '../../protocol/headers.ts';
import { checkLeaderEpoch } from '../topics.ts';
import { allowedOnCluster, allowedTopics, Op } from '../authorize.ts';

const ZSTD = 4;
const READ_COMMITTED = 1;
/**
 * The record set of a partition that carries an error. Kafka's log read path answers errors with
 * MemoryRecords.EMPTY (length 0), never null: librdkafka rejects a whole response holding a null
 * record set ("invalid MessageSetSize -1"), so it would never see the error and refetch forever.
 */
const NO_RECORDS = Buffer.alloc(0);

/**
 * Fetch (1), v0–17. Byte ranges of whole batches are read
 * from the segment files and sent as they are — from v4. v0–3 clients read only legacy message sets,
 * so their data is down-converted as Kafka 3.9 does (legacy-message-writer.ts): magic 0 for v0–1,
 * magic 1 for v2–3; zstd cannot be down-converted (UNSUPPORTED_COMPRESSION_TYPE).
 *
 * - Long poll: when fewer than MinBytes are available, the request waits up to MaxWaitMs and is woken
 *   by appends to any of its partitions (PartitionLog.onAppend), or ends early when the client leaves.
 * - MaxBytes caps the response, PartitionMaxBytes each partition; the first partition with data always
 *   gets at least one whole batch (KIP-74) so a large batch can never stall a consumer.
 * - Every requested partition is in the response, empty ones too (Java drops responses otherwise).
 * - Fetch sessions (KIP-227) are declined: the answer carries session id 0, so clients send full
 *   requests. A session id we never handed out gets FETCH_SESSION_ID_NOT_FOUND.
 * - v13+ names topics by id (the ids Metadata returns, persisted by storage); unknown → UNKNOWN_TOPIC_ID.
 * - isolation_level read_committed (1) reads only below the partition's last stable offset and gets the
 *   aborted transactions overlapping what was read (from the `.txnindex`), so the consumer can drop
 *   aborted batches; read_uncommitted reads to the high watermark and gets null there.
 * - A zstd batch to a fetcher below v10 gives UNSUPPORTED_COMPRESSION_TYPE for that partition.
 * - Replication (partitions the replica manager manages; others are single-node as above): a replica
 *   fetch (replica_id / ReplicaState ≥ 0) is served only by the leader, reads up to the log end,
 *   records the follower's position (ISR, high watermark) and answers a diverging epoch when the
 *   follower's last fetched epoch ends earlier here (KIP-320/595). A consumer may read from a follower
 *   from v11 (KIP-392, up to its high watermark); with replica.selector.class set, the leader names a
 *   replica in the consumer's rack as preferred_read_replica instead of returning data.
 */
export const fetch: ApiHandler<typeof FetchApi> = {
  api: FetchApi,
  // Responses carry record data read from segment files: sent as pieces, never copied.
  zeroCopyResponse: true,
  minVersion: 0,
  maxVersion: 17,
  async handle(req: FetchRequest, ctx: RequestContext): Promise<FetchResponseInput> {
    const v = ctx.apiVersion;
    const broker = ctx.broker;
    if (v >= 7 && req.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const targets = resolve(ctx, req, v);
    const quota = ctx.quota;
    // As Kafka: a consumer never asks for more than its quota lets through in the quota's whole span,
    // which would be certain to throttle it.
    const maxBytes = Math.floor(Math.min(req.maxBytes, broker.config.number('fetch.max.bytes'), quota?.maxFetchBytes() ?? Infinity));
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    const replicaId = v >= 15 ? req.replicaState.replicaId : req.replicaId;
    const fetcher: Fetcher = { replicaId, clientRack: v >= 11 ? req.rackId : '' };
    for (;;) {
      const { responses, bytes, errors, releases } = await readAll(broker, targets, maxBytes, v, req.isolationLevel === READ_COMMITTED, fetcher);
      const remaining = deadline - Date.now();
      if (bytes >= req.minBytes || bytes >= maxBytes || errors || remaining <= 0 || ctx.connection.closed) {
        const response: FetchResponseInput = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
        if (quota !== undefined && applyQuotas(ctx, quota, response)) {
          for (const release of releases) release();
          return response;
        }
        for (const release of releases) ctx.onResponseSent(release);
        return response;
      }
      for (const release of releases) release();
      const waitStart = Date.now();
      await waitForAppend(targets, remaining, ctx);
      quota?.waited(Date.now() - waitStart);
    }
  },
  errorResponse(req: FetchRequest, errorCode: number, ctx: RequestContext) {
    // Top-level error from v7; every requested partition carries it too (older versions have only those).
    const byId = ctx.apiVersion >= 13;
    return {
      throttleTimeMs: 0,
      errorCode,
      sessionId: 0,
      responses: req.topics.map((t) => ({
        ...(byId ? { topicId: t.topicId } : { topic: t.topic }),
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode, highWatermark: -1n, records: NO_RECORDS })),
      })),
    };
  },
};

/**
 * Client quotas, as KafkaApis.handleFetchRequest: the response's size (4 + its body, Kafka's
 * FetchResponse.sizeOf) against consumer_byte_rate and the request's time against request_percentage.
 * Over either, the larger throttle goes out in an empty response (the bytes recorded are taken back:
 * they were not sent) and the connection is muted for it (KIP-219). True when throttled.
 */
function applyQuotas(ctx: RequestContext, quota: RequestQuota, response: FetchResponseInput): boolean {
  const request = quota.requestThrottleMs();
  let size = 0;
  let bandwidth = 0;
  if (quota.fetchQuotaEnabled) {
    const chunks = encodeResponseFrameChunks(FetchApi, ctx.apiVersion, ctx.correlationId, response);
    let frame = 0;
    for (const c of chunks) frame += c.length;
    // The frame less its length prefix and response header, plus Kafka's 4.
    size = frame - (responseHeaderVersion(FetchApi, ctx.apiVersion) === 0 ? 4 : 5);
    bandwidth = quota.fetchThrottleMs(size);
  }
  const ms = Math.max(request, bandwidth);
  if (ms <= 0) return false;
  if (size > 0) quota.unrecordFetch(size);
  quota.throttle(ms);
  response.throttleTimeMs = ms;
  response.responses = [];
  return true;
}

interface Target {
  response: FetchResponseResponsesInput;
  /** Null when the topic is unknown (the partitions already carry the error). */
  topic: string | null;
  /** TOPIC_AUTHORIZATION_FAILED when the principal may not read it (checked before existence, as Kafka). */
  denied: boolean;
  partitions: {
    index: number;
    fetchOffset: number;
    maxBytes: number;
    currentLeaderEpoch: number;
    lastFetchedEpoch: number;
    logStartOffset: number;
    log: PartitionLog | undefined;
    /** Cluster mode: the error when this broker does not lead the partition (NONE when it does). */
    notLeader?: number;
  }[];
}

/** Who fetches: a consumer (replica id < 0, with its rack from v11) or a follower broker. */
interface Fetcher {
  replicaId: number;
  clientRack: string;
}

/**
 * Names the requested topics and applies Kafka's authorization: a follower (replica id ≥ 0) needs
 * CLUSTER_ACTION on the cluster, a consumer READ on each topic; refused topics get
 * TOPIC_AUTHORIZATION_FAILED whether they exist or not. A topic id that names nothing stays
 * UNKNOWN_TOPIC_ID (ids are not secret in Kafka).
 */
function resolve(ctx: RequestContext, req: FetchRequest, v: number): Target[] {
  const broker = ctx.broker;
  const replicaId = v >= 15 ? req.replicaState.replicaId : req.replicaId;
  const clusterAction = replicaId >= 0 ? allowedOnCluster(ctx, Op.CLUSTER_ACTION) : null;
  const named = req.topics.map((rt) => (v >= 13 ? (rt.topicId !== ZERO_UUID ? (broker.logs.getTopicById(rt.topicId)?.name ?? null) : null) : rt.topic));
  const readable = clusterAction === null ? allowedTopics(ctx, Op.READ, named.filter((n) => n !== null)) : null;
  return req.topics.map((rt, i) => {
    const requested = named[i]!;
    const denied = requested !== null && (clusterAction === null ? !readable!.has(requested) : !clusterAction);
    const name = denied ? null : v >= 13 ? requested : broker.logs.getTopic(rt.topic) ? rt.topic : null;
    const response: FetchResponseResponsesInput = v >= 13 ? { topicId: rt.topicId, partitions: [] } : { topic: rt.topic, partitions: [] };
    return {
      response,
      topic: name,
      denied,
      partitions: rt.partitions.map((p) => ({
        index: p.partition,
        fetchOffset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: p.lastFetchedEpoch,
        logStartOffset: Number(p.logStartOffset),
        log: name === null ? undefined : broker.logs.partition(name, p.partition),
        // Cluster mode: only the leader serves fetches (NOT_LEADER_OR_FOLLOWER makes the client
        // refresh its metadata and go to the leader).
        // Partitions the replica manager took on are checked below (followers may serve consumers, KIP-392).
        ...(broker.cluster && name !== null && !broker.replicas?.partitionState(name, p.partition) ? { notLeader: broker.cluster.leaderCheck(name, p.partition) } : {}),
      })),
    };
  });
}

/** The v0–3 down-converter, imported on the first such Fetch (clients of the last decade never need it). */
let legacyWriter: typeof import('../../protocol/records/legacy-message-writer.ts') | undefined;

async function readAll(
  broker: BrokerContext,
  targets: Target[],
  maxBytes: number,
  v: number,
  readCommitted: boolean,
  fetcher: Fetcher,
): Promise<{ responses: FetchResponseResponsesInput[]; bytes: number; errors: boolean; releases: (() => void)[] }> {
  let bytes = 0;
  let errors = false;
  const releases: (() => void)[] = [];
  const responses: FetchResponseResponsesInput[] = [];
  for (const t of targets) {
    const partitions: FetchResponsePartitionsInput[] = [];
    responses.push({ ...t.response, partitions });
    for (const p of t.partitions) {
      const out: FetchResponsePartitionsInput = {
        partitionIndex: p.index,
        errorCode: ErrorCode.NONE,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        // read_committed gets a list (filled below), read_uncommitted null, as Kafka. Before v4 the field
        // does not exist and must keep its default (an empty list).
        abortedTransactions: readCommitted || v < 4 ? [] : null,
        preferredReadReplica: -1,
        records: NO_RECORDS,
      };
      partitions.push(out);
      const log = p.log;
      if (p.notLeader) {
        out.errorCode = p.notLeader;
        errors = true;
        continue;
      }
      if (log === undefined) {
        out.errorCode = t.denied ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : t.topic === null && v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        errors = true;
        continue;
      }
      const epochError = checkLeaderEpoch(p.currentLeaderEpoch, log.leaderEpoch);
      if (epochError !== ErrorCode.NONE) {
        out.errorCode = epochError;
        errors = true;
        continue;
      }
      const replicas = broker.replicas;
      const state = replicas && t.topic !== null ? replicas.partitionState(t.topic, p.index) : undefined;
      const fromFollower = fetcher.replicaId >= 0;
      // Kafka (after the epoch check): followers fetch from the leader only; consumers from v11 from
      // any replica (KIP-392).
      if ((fromFollower && state?.role !== 'leader') || (state && state.role !== 'leader' && (state.role === 'none' || v < 11))) {
        out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
        errors = true;
        continue;
      }
      if (fromFollower && replicas && state) {
        const diverging = v >= 12 ? replicas.divergingEpoch(log, p.fetchOffset, p.lastFetchedEpoch) : null;
        if (diverging) {
          // No data and no position update: the follower truncates first (Partition.fetchRecords).
          out.divergingEpoch = { epoch: diverging.epoch, endOffset: BigInt(diverging.endOffset) };
          out.highWatermark = BigInt(log.highWatermark);
          out.lastStableOffset = BigInt(log.lastStableOffset);
          out.logStartOffset = BigInt(log.logStartOffset);
          errors = true;
          continue;
        }
        const code = replicas.onFollowerFetch(t.topic!, p.index, fetcher.replicaId, p.fetchOffset, p.logStartOffset);
        if (code !== ErrorCode.NONE) {
          out.errorCode = code;
          errors = true;
          continue;
        }
      } else if (replicas && state && fetcher.clientRack !== '') {
        const preferred = replicas.preferredReadReplica(state, fetcher.clientRack, p.fetchOffset);
        if (preferred !== null) {
          // As Kafka: no data, the offsets, and where to read instead.
          out.preferredReadReplica = preferred;
          out.highWatermark = BigInt(log.highWatermark);
          out.lastStableOffset = BigInt(log.lastStableOffset);
          out.logStartOffset = BigInt(log.logStartOffset);
          errors = true;
          continue;
        }
      }
      try {
        // KIP-74: the first partition that has data gets at least one whole batch.
        const limit = Math.max(0, Math.min(p.maxBytes, maxBytes - bytes));
        const r = await log.read(p.fetchOffset, limit, {
          minOneBatch: bytes === 0,
          isolation: readCommitted ? 'read_committed' : 'read_uncommitted',
          toLogEnd: fromFollower && state !== undefined,
        });
        if (readCommitted && v >= 4) {
          out.abortedTransactions = (r.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) }));
        }
        // A storage that lends pooled read buffers says so with release(): they are handed back once
        // the socket has copied the response (or at once when this read is not sent).
        const release = (r as { release?: () => void }).release;
        // v0–3 send a converted copy, so their read buffer can go back as soon as it is converted.
        if (release && v >= 4) releases.push(release);
        out.highWatermark = BigInt(r.highWatermark);
        out.lastStableOffset = BigInt(r.lastStableOffset);
        out.logStartOffset = BigInt(r.logStartOffset);
        if (v < 10 && r.records.length > 0 && containsZstd(r.records)) {
          if (v < 4) release?.();
          out.errorCode = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
          errors = true;
          continue;
        }
        if (v < 4) {
          // Kafka down-converts for these versions; the converted copy is ours, the read buffer goes back.
          legacyWriter ??= await import('../../protocol/records/legacy-message-writer.ts');
          try {
            out.records = legacyWriter.downConvertToLegacy(r.records, v <= 1 ? 0 : 1, p.fetchOffset);
          } finally {
            release?.();
          }
        } else {
          out.records = r.records;
        }
        bytes += out.records.length;
      } catch (err) {
        const { errorCode } = toErrorCode(err, broker.logger, `fetch from ${log.name}`);
        // As Kafka's ReplicaManager (createLogReadResult): a failed read, OFFSET_OUT_OF_RANGE included,
        // reports unknown (-1) high watermark, last stable and log start offsets.
        out.errorCode = errorCode;
        out.highWatermark = -1n;
        out.lastStableOffset = -1n;
        out.logStartOffset = -1n;
        errors = true;
      }
    }
    // Kafka answers an error partition without aborted-transaction list (null); before v4 the field
    // does not exist and keeps its default.
    if (v >= 4) for (const out of partitions) if (out.errorCode !== ErrorCode.NONE) out.abortedTransactions = null;
  }
  return { responses, bytes, errors, releases };
}

/** Whether any batch in `records` (whole batches, as storage returns them) is zstd-compressed. */
function containsZstd(records: Buffer): boolean {
  let pos = 0;
  while (pos + ATTRIBUTES + 2 <= records.length) {
    if ((records.readInt16BE(pos + ATTRIBUTES) & COMPRESSION_MASK) === ZSTD) return true;
    pos += records.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
  }
  return false;
}

/** Resolves on the first append to any target partition, after `ms`, or when the client disconnects. */
function waitForAppend(targets: Target[], ms: number, ctx: RequestContext): Promise<void> {
  return new Promise((resolvePromise) => {
    const unsubscribe: (() => void)[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      resolvePromise();
    };
    const timer = setTimeout(finish, ms);
    for (const t of targets) for (const p of t.partitions) if (p.log) unsubscribe.push(p.log.onAppend(finish));
    ctx.connection.closedPromise.then(finish);
  });
}
