/**
 * Fixtures of the reliability tests: the short/long switch, a `kstream serve` child from the sources,
 * reading a partition back from the beginning over the wire, and /proc probes of a child process.
 *
 * The short forms run in `npm test`; KSTREAM_RELIABILITY_LONG=1 (`npm run test:reliability`) scales
 * every test up (more kill rounds, fuzz cases, connections).
 */
import { readdir, readFile } from 'node:fs/promises';
import { decodeRecordsBlob, encodeRecordBatch, iterateBatches } from '../../src/protocol/records/record-batch.ts';
import { RawClient, startChildBroker, type ChildBroker } from '../helpers/index.ts';
import { CreateTopicsFacts, FetchFacts, ListOffsetsFacts, ProduceFacts } from '../../src/protocol/messages/api-facts.ts';

export const LONG = process.env.KSTREAM_RELIABILITY_LONG === '1';

/** `short` in `npm test`, `long` under KSTREAM_RELIABILITY_LONG=1. */
export function scale<T>(short: T, long: T): T {
  return LONG ? long : short;
}

/** Seeds seededRandom (test/helpers/random.ts): set KSTREAM_RELIABILITY_SEED to replay a failing run. */
export const SEED = Number(process.env.KSTREAM_RELIABILITY_SEED ?? Date.now() % 1_000_000_007);

/**
 * `kstream serve` as a child process, from the current TypeScript sources (bin/dev): the code under
 * test, never a dist/ that may be stale.
 */
export function startServe(opts: { dataDir?: string; port?: number; args?: string[]; timeoutMs?: number } = {}): Promise<ChildBroker> {
  return startChildBroker({ ...opts, args: ['--log-level', 'info', ...(opts.args ?? [])], timeoutMs: opts.timeoutMs ?? 30_000 });
}

export interface ReadBack {
  /** Every record from offset 0 (or the log start) to the high watermark, in log order. */
  records: { offset: number; value: string }[];
  /** [baseOffset, lastOffset] of every batch, in log order. */
  batches: [number, number][];
  highWatermark: number;
  logStartOffset: number;
}

export function fetchBody(topic: string, partition: number, offset: number, maxBytes = 1 << 20, maxWaitMs = 0) {
  return {
    maxWaitMs,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** One Fetch v11 at `offset`; returns the partition's answer. */
export async function fetchAt(c: RawClient, topic: string, partition: number, offset: number, maxBytes = 1 << 20): Promise<any> {
  const f = await c.request(FetchFacts, 11, fetchBody(topic, partition, offset, maxBytes));
  return f.responses[0].partitions[0];
}

/** Reads a whole partition from its log start to the high watermark with Fetch v11. */
export async function readAll(port: number, topic: string, partition = 0): Promise<ReadBack> {
  const c = await RawClient.connect(port);
  try {
    const out: ReadBack = { records: [], batches: [], highWatermark: -1, logStartOffset: 0 };
    const earliest = await listOffset(port, topic, partition, -2);
    let p = await fetchAt(c, topic, partition, earliest);
    if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}@${earliest}: error ${p.errorCode}`);
    out.logStartOffset = Number(p.logStartOffset);
    out.highWatermark = Number(p.highWatermark);
    let next = out.logStartOffset;
    for (let guard = 0; next < out.highWatermark; guard++) {
      if (guard > 1_000_000) throw new Error('readAll made no progress');
      p = await fetchAt(c, topic, partition, next);
      if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}@${next}: error ${p.errorCode}`);
      const blob: Buffer = p.records ?? Buffer.alloc(0);
      if (blob.length === 0) throw new Error(`fetch ${topic}-${partition}@${next} returned nothing below the high watermark ${out.highWatermark}`);
      for (const b of iterateBatches(blob)) {
        const last = b.baseOffset + b.lastOffsetDelta;
        if (last < next) continue;
        out.batches.push([b.baseOffset, last]);
        for (const r of b.records) if (r.offset >= next) out.records.push({ offset: r.offset, value: r.value?.toString() ?? '' });
        next = last + 1;
      }
    }
    return out;
  } finally {
    c.close();
  }
}

/** ListOffsets v7 with timestamp -1 (latest) or -2 (earliest). */
export async function listOffset(port: number, topic: string, partition: number, timestamp: -1 | -2): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.request(ListOffsetsFacts, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: BigInt(timestamp) }] }],
    });
    const p = r.topics[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${partition} ${timestamp}: error ${p.errorCode}`);
    return Number(p.offset);
  } finally {
    c.close();
  }
}

/** Records a Fetch at exactly `offset` returns first (the offset index is used to find it). */
export async function firstOffsetFetchedAt(c: RawClient, topic: string, partition: number, offset: number): Promise<number> {
  const p = await fetchAt(c, topic, partition, offset, 1);
  if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}@${offset}: error ${p.errorCode}`);
  const recs = decodeRecordsBlob(p.records ?? Buffer.alloc(0));
  const hit = recs.find((r) => r.offset >= offset);
  return hit ? hit.offset : -1;
}

/** Resident set size of a process in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Open file descriptors of a process (Linux /proc). */
export async function fdCount(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** One uncompressed magic-2 batch of string values (not idempotent unless producerId given). */
export function batchOf(values: string[], opts: { compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'; producerId?: number; baseSequence?: number } = {}): Buffer {
  return encodeRecordBatch({
    compression: opts.compression ?? 'none',
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.producerId === undefined ? -1 : 0,
    baseSequence: opts.baseSequence ?? -1,
    records: values.map((v) => ({ value: v })),
  });
}

/** Produce v9 of one batch to topic-partition; resolves with the partition's answer. */
export async function produceTo(c: RawClient, topic: string, partition: number, records: Buffer | null, acks: -1 | 0 | 1 = -1): Promise<any> {
  const r = await c.request(ProduceFacts, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  return r.responses[0].partitionResponses[0];
}

/** CreateTopics v7 of one topic; throws unless created. */
export async function createTopic(c: RawClient, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const r = await c.request(CreateTopicsFacts, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  if (r.topics[0].errorCode !== 0) throw new Error(`CreateTopics ${name}: error ${r.topics[0].errorCode} ${r.topics[0].errorMessage}`);
}

/** [position, size, baseOffset, lastOffset] of every complete batch of a .log file. */
export function batchesOfLogFile(log: Buffer): { position: number; size: number; baseOffset: number; lastOffset: number }[] {
  const out: { position: number; size: number; baseOffset: number; lastOffset: number }[] = [];
  let at = 0;
  while (at + 61 <= log.length) {
    const size = log.readInt32BE(at + 8) + 12;
    if (size < 61 || at + size > log.length) break;
    const baseOffset = Number(log.readBigInt64BE(at));
    out.push({ position: at, size, baseOffset, lastOffset: baseOffset + log.readInt32BE(at + 23) });
    at += size;
  }
  return out;
}
