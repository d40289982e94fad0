/**
 * Hostile input against a running compiled broker (`kstream serve` child), over raw sockets:
 *   - random bytes, truncated frames, huge and negative length prefixes;
 *   - every API key × out-of-range versions (ApiVersions gets the KIP-511 v0 reply with 35);
 *   - valid headers with random bodies for every served (api key, version);
 *   - Produce batches with bad CRC, bad lengths, wrong magic, absurd record counts, unknown codecs,
 *     and compression bombs of every codec (decompressing past the 64 MiB limit).
 * After each phase a fresh client must still produce and consume; the child must never exit; every
 * connection the broker closed must have a logged reason naming the peer; and the broker's RSS must
 * stay under a bound after the bombs (request size limit + decompressed size limit).
 *
 * Codec-level properties (fast-check: random values round-trip for every message/version, random
 * bytes and corrupted fixture frames fail with ProtocolError, never hang) live in
 * test/protocol/malformed.test.ts, roundtrip.test.ts and test/protocol/records/fuzz.test.ts; this
 * file does not repeat them.
 *
 * Short: ~2,500 cases. KSTREAM_RELIABILITY_LONG=1: ~40,000.
 */
import { createConnection, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as H from '../../src/protocol/records/batch-header.ts';
import { compress } from '../../src/protocol/records/compression/index.ts';
import { decodeRecordsBlob } from '../../src/protocol/records/record-batch.ts';
import { encodeRequestFrame } from '../../src/protocol/headers.ts';
import { apis } from '../../src/protocol/messages/index.ts';
import { type ChildBroker, closeAll, RawClient, seededRandom } from '../helpers/index.ts';
import { loadSchemas, SampleBuilder } from '../protocol/schema-samples.ts';
import { batchOf, fetchAt, produceTo, rssBytes, scale, SEED, startServe } from './helpers.ts';
import {
  ApiVersionsFacts, CreatePartitionsFacts, CreateTopicsFacts, OffsetCommitFacts, ProduceFacts, MetadataFacts,
} from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const MAX_FRAME = 104857600; // socket.request.max.bytes default (Kafka's)
const RSS_BOUND = 768 * 1024 * 1024;
let child: ChildBroker;
let served: { apiKey: number; minVersion: number; maxVersion: number }[] = [];
let cases = 0;
const random = seededRandom(SEED);
const int = (n: number) => Math.floor(random() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

afterAll(async () => {
  console.log(`fuzz: ${cases} hostile cases sent, seed ${SEED}`);
  await closeAll();
});

beforeAll(async () => {
  child = await startServe({ args: ['--config', 'num.partitions=1'] });
  const c = await RawClient.connect(child.port);
  try {
    const r = await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' });
    served = r.apiKeys;
  } finally {
    c.close();
  }
});

interface Probe {
  /** The broker closed the connection (before we did). */
  closedByBroker: boolean;
  /** Response frames received (length prefix stripped). */
  frames: Buffer[];
  localPort: number;
  /** Length of the broker's output when this probe started (its log lines come after). */
  outputStart: number;
}

/**
 * Connects, writes `data`, and waits until the broker answers `wantFrames` frames, closes the
 * connection, or `waitMs` pass; then closes our side.
 */
function probe(data: Buffer | Buffer[], opts: { waitMs?: number; wantFrames?: number } = {}): Promise<Probe> {
  cases++;
  return new Promise((resolve, reject) => {
    const s: Socket = createConnection({ port: child.port, host: '127.0.0.1' });
    const out: Probe = { closedByBroker: false, frames: [], localPort: 0, outputStart: child.output().length };
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(finish, opts.waitMs ?? 2000);
    s.on('connect', () => {
      out.localPort = s.localPort!;
      for (const d of Array.isArray(data) ? data : [data]) s.write(d);
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        out.frames.push(buf.subarray(4, 4 + buf.readInt32BE(0)));
        buf = buf.subarray(4 + buf.readInt32BE(0));
      }
      if (opts.wantFrames !== undefined && out.frames.length >= opts.wantFrames) finish();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') reject(new Error(`broker refused connections (exited? ${child.process.exitCode})`));
    });
    s.on('close', () => {
      if (!done) out.closedByBroker = true;
      finish();
    });
  });
}

/** A request frame with a hand-written v1 header (client id) and the given body. */
function request(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, flexible = false): Buffer {
  const id = Buffer.from('fuzz');
  const header = Buffer.alloc(10 + id.length + (flexible ? 1 : 0));
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(id.length, 8);
  id.copy(header, 10); // flexible headers end with an empty tagged-field section (0)
  const len = Buffer.alloc(4);
  len.writeInt32BE(header.length + body.length);
  return Buffer.concat([len, header, body]);
}

/**
 * A closed connection must have a logged reason naming our port. Returns the line. (stderr and the
 * socket are separate channels, so the line may arrive just after the close: wait a little.)
 */
async function expectLoggedClose(p: Probe, what: string): Promise<string | undefined> {
  if (!p.closedByBroker) return undefined;
  const find = () =>
    child.output().slice(p.outputStart).split('\n').find((l) => l.includes(`127.0.0.1:${p.localPort}:`) && /closing connection/.test(l));
  const deadline = Date.now() + 3000;
  let line = find();
  while (!line && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    line = find();
  }
  if (!line) expect.fail(`${what}: connection from port ${p.localPort} closed without a logged reason`);
  return line;
}

/** The broker is alive and serves a fresh client end to end: produce, then fetch it back. */
async function expectHealthy(tag: string): Promise<void> {
  expect(child.process.exitCode, `broker exited during ${tag}:\n${child.output().slice(-2000)}`).toBeNull();
  const c = await RawClient.connect(child.port);
  try {
    const value = `alive-${tag}-${Date.now()}`;
    const r = await produceTo(c, 'fuzz-health', 0, batchOf([value]));
    expect(r.errorCode, `produce after ${tag}`).toBe(0);
    const p = await fetchAt(c, 'fuzz-health', 0, Number(r.baseOffset));
    expect(decodeRecordsBlob(p.records).map((x) => x.value!.toString())).toContain(value);
  } finally {
    c.close();
  }
}

/** A topic with data and a group with a committed offset, for the targeted hostile-values fuzz. */
async function seedTarget(): Promise<void> {
  const c = await RawClient.connect(child.port);
  try {
    await c.request(CreateTopicsFacts, 7, { topics: [{ name: 'fuzz-target', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    for (let p = 0; p < 3; p++) for (let i = 0; i < 5; i++) await produceTo(c, 'fuzz-target', p, batchOf([`t${p}-${i}a`, `t${p}-${i}b`]));
    await c.request(OffsetCommitFacts, 7, { groupId: 'fuzz-group', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'fuzz-target', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
  } finally {
    c.close();
  }
}

const TOPIC_KEYS = new Set(['name', 'topic', 'topicName']);
const PARTITION_KEYS = new Set(['partitionIndex', 'partition', 'index']);

/** Points the names of a random request at fuzz-target / fuzz-group and its partition indexes at 0-2 or -1. */
function target(value: any, rnd: () => number): any {
  if (Array.isArray(value)) return value.map((x) => target(x, rnd));
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const out: any = {};
  for (const [key, v] of Object.entries(value)) {
    if (TOPIC_KEYS.has(key) && (typeof v === 'string' || v === null)) out[key] = 'fuzz-target';
    else if (key === 'topicNames' && Array.isArray(v)) out[key] = v.map(() => 'fuzz-target');
    else if (key === 'groupId' && typeof v === 'string') out[key] = 'fuzz-group';
    else if (key === 'groups' && Array.isArray(v) && v.every((g) => typeof g === 'string')) out[key] = v.map(() => 'fuzz-group');
    else if (PARTITION_KEYS.has(key) && typeof v === 'number') out[key] = [-1, 0, 1, 2, 3][Math.floor(rnd() * 5)];
    else if (key === 'partitionIndexes' && Array.isArray(v)) out[key] = v.map(() => Math.floor(rnd() * 4));
    else out[key] = target(v, rnd);
  }
  return out;
}

/** Runs `n` async cases with `width` at a time. */
async function parallel(n: number, width: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await one(next++);
  }));
}

describe('hostile input: the broker never crashes or hangs', () => {
  it('random bytes, truncated frames, huge and negative lengths', { timeout: scale(60_000, 600_000) }, async () => {
    const apiVersions = request(ApiVersionsFacts.key, 0, 1, Buffer.alloc(0));
    const metadata = request(MetadataFacts.key, 1, 2, Buffer.from([0, 0, 0, 0]));
    const valid = [apiVersions, metadata, request(ProduceFacts.key, 9, 3, Buffer.alloc(30))];
    await parallel(scale(600, 10_000), 16, async (i) => {
      let data: Buffer;
      const kind = i % 5;
      if (kind === 0) data = bytes(1 + int(600)); // pure noise
      else if (kind === 1) {
        // A plausible small length, then noise
        const body = bytes(int(400));
        data = Buffer.concat([Buffer.from([0, 0, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
      } else if (kind === 2) {
        const v = valid[int(valid.length)]!;
        data = v.subarray(0, int(v.length)); // truncated, then we hang up
      } else if (kind === 3) {
        data = Buffer.alloc(4 + int(64));
        data.writeInt32BE(MAX_FRAME + 1 + int(0x7fffffff - MAX_FRAME - 1), 0);
      } else {
        data = Buffer.alloc(4 + int(64));
        data.writeInt32BE(-1 - int(0x7fffffff), 0);
      }
      const p = await probe(data, { waitMs: kind >= 3 ? 3000 : 150 });
      if (kind >= 3) {
        expect(p.closedByBroker, `length prefix ${data.readInt32BE(0)} must close the connection`).toBe(true);
        expect(p.frames).toEqual([]);
      }
      await expectLoggedClose(p, `frame case ${i}`);
    });
    // The reasons name the limit.
    expect(child.output()).toMatch(/exceeds the maximum of 104857600/);
    expect(child.output()).toMatch(/negative/);
    await expectHealthy('frames');
  });

  it('every api key × out-of-range versions', { timeout: 60_000 }, async () => {
    const byKey = new Map(served.map((a) => [a.apiKey, a]));
    const keys = [...Array.from({ length: 75 }, (_, k) => k), -1, 999, 32767, -32768];
    const jobs: [number, number][] = [];
    for (const k of keys) {
      const a = byKey.get(k);
      const versions = a ? [a.minVersion - 1, a.maxVersion + 1, a.maxVersion + 50, -1, 32767] : [0, 1, -1];
      for (const v of new Set(versions)) jobs.push([k, v]);
    }
    await parallel(jobs.length, 8, async (i) => {
      const [k, v] = jobs[i]!;
      const p = await probe(request(k, v, 4000 + i, Buffer.alloc(8)), { waitMs: 5000, wantFrames: 1 });
      if (k === ApiVersionsFacts.key && v > byKey.get(ApiVersionsFacts.key)!.maxVersion) {
        // KIP-511: answered in v0 format with UNSUPPORTED_VERSION (35) and our range.
        expect(p.frames.length, `ApiVersions v${v}`).toBe(1);
        expect(p.frames[0]!.readInt32BE(0)).toBe(4000 + i);
        expect(p.frames[0]!.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
        return;
      }
      expect(p.closedByBroker, `api ${k} v${v} must be refused by closing`).toBe(true);
      expect(p.frames).toEqual([]);
      const line = (await expectLoggedClose(p, `api ${k} v${v}`))!;
      expect(line).toMatch(byKey.has(k) ? new RegExp(`unsupported version ${v} of api key ${k}`) : new RegExp(`unsupported api key ${k}`));
    });
    await expectHealthy('versions');
  });

  it('valid headers with random bodies for every served api and version', { timeout: scale(60_000, 900_000) }, async () => {
    const jobs: [number, number][] = [];
    const perPair = scale(4, 60);
    for (const a of served) for (let v = a.minVersion; v <= a.maxVersion; v++) for (let n = 0; n < perPair; n++) jobs.push([a.apiKey, v]);
    // Requests that may legitimately wait without answering: Fetch long-polls, group joins and syncs,
    // Produce decoded with acks=0.
    const mayWait = new Set([0, 1, 11, 14]);
    let answered = 0;
    let closed = 0;
    await parallel(jobs.length, 12, async (i) => {
      const [k, v] = jobs[i]!;
      const flexible = random() < 0.5;
      const body = bytes(int(random() < 0.8 ? 60 : 400));
      const p = await probe(request(k, v, 9000 + i, flexible ? Buffer.concat([Buffer.from([0]), body]) : body), {
        waitMs: mayWait.has(k) ? 300 : 10_000,
        wantFrames: 1,
      });
      if (p.frames.length > 0) {
        answered++;
        expect(p.frames[0]!.readInt32BE(0), `api ${k} v${v}: correlation id`).toBe(9000 + i);
      } else if (p.closedByBroker) {
        closed++;
        await expectLoggedClose(p, `api ${k} v${v} random body`);
      } else if (!mayWait.has(k)) {
        expect.fail(`api ${k} v${v}: neither answered nor closed within 10 s (body ${body.toString('hex').slice(0, 80)})`);
      }
    });
    console.log(`fuzz: random bodies: ${jobs.length} sent, ${answered} answered, ${closed} closed with a reason`);
    await expectHealthy('bodies');
  });

  for (const mode of ['random', 'targeted'] as const) it(`decodable requests with hostile values (${mode}) reach every handler: answered, never an internal error`, { timeout: scale(60_000, 900_000) }, async () => {
    // 'targeted': names point at a real topic with data and a real group, partition indexes are
    // small or -1, so the hostile numbers (offsets, sizes, timeouts, epochs) reach storage and the coordinator.
    if (mode === 'targeted') await seedTarget();
    // Random full-range values (negative ids, huge sizes, long names, nulls) in the exact shape of
    // each served request, built from the Kafka schemas independently of our generator.
    const schemas = loadSchemas().filter((x) => x.type === 'request');
    const byKey = new Map(schemas.map((x) => [x.apiKey!, x]));
    const perPair = scale(3, 40);
    const jobs: { k: number; v: number; seed: number }[] = [];
    for (const a of served) for (let v = a.minVersion; v <= a.maxVersion; v++) for (let n = 0; n < perPair; n++) jobs.push({ k: a.apiKey, v, seed: SEED + jobs.length });
    const mayWait = new Set([0, 1, 11, 14]);
    const before = child.output().length;
    let answered = 0;
    let closed = 0;
    const internalCloses: string[] = [];
    await parallel(jobs.length, 12, async (i) => {
      const { k, v, seed } = jobs[i]!;
      let frame: Buffer;
      try {
        const sample = new SampleBuilder(byKey.get(k)!, seed, true).message(v);
        frame = encodeRequestFrame(apis[k]!, v, 20_000 + i, 'fuzz', mode === 'targeted' ? target(sample, seededRandom(seed)) : sample);
      } catch {
        return; // a random value the encoder itself refuses (e.g. a string above 32767 bytes)
      }
      const p = await probe(frame, { waitMs: mayWait.has(k) ? 300 : 10_000, wantFrames: 1 });
      if (p.frames.length > 0) {
        answered++;
        expect(p.frames[0]!.readInt32BE(0), `api ${k} v${v}: correlation id`).toBe(20_000 + i);
      } else if (p.closedByBroker) {
        closed++;
        const why = await expectLoggedClose(p, `api ${k} v${v} hostile values`);
        if (/internal error/.test(why ?? "")) internalCloses.push(`api ${k} v${v} seed ${seed}: ${why}`);
      } else if (!mayWait.has(k)) {
        expect.fail(`api ${k} v${v} (seed ${seed}): neither answered nor closed within 10 s`);
      }
    });
    console.log(`fuzz: hostile values (${mode}): ${jobs.length} requests, ${answered} answered, ${closed} closed with a reason`);
    // A handler that throws is a bug even when the client gets UNKNOWN_SERVER_ERROR back.
    expect(internalCloses.slice(0, 5), 'connections closed by an internal error').toEqual([]);
    const internal = child.output().slice(before).split('\n').filter((l) => /ERROR|internal error/.test(l));
    expect(internal.slice(0, 5)).toEqual([]);
    await expectHealthy('values');
  });

  describe('hostile Produce batches get Kafka error codes', () => {
    let c: RawClient;
    beforeAll(async () => {
      c = await RawClient.connect(child.port);
    });
    afterAll(() => c?.close());

    const good = () => batchOf(['a', 'b', 'c']);
    const refresh = (b: Buffer) => {
      b.writeUInt32BE(H.computeCrc(b), H.CRC);
      return b;
    };
    async function expectCode(records: Buffer | null, code: number | number[], what: string, version = 9): Promise<void> {
      cases++;
      const r = await c.request(ProduceFacts, version, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'fuzz-produce', partitionData: [{ index: 0, records }] }] });
      const p = r.responses[0].partitionResponses[0];
      expect(Array.isArray(code) ? code : [code], `${what}: got ${p.errorCode} ${p.errorMessage}`).toContain(p.errorCode);
    }

    it('bad CRC → CORRUPT_MESSAGE (2)', async () => {
      const b = good();
      b[b.length - 1] ^= 1;
      await expectCode(b, ErrorCode.CORRUPT_MESSAGE, 'flipped record byte');
      const b2 = good();
      b2.writeUInt32BE((b2.readUInt32BE(H.CRC) + 1) >>> 0, H.CRC);
      await expectCode(b2, ErrorCode.CORRUPT_MESSAGE, 'wrong stored crc');
    });

    // Kafka answers CORRUPT_MESSAGE for a batch length below the minimum overhead and INVALID_RECORD
    // when the partition data holds no complete batch; a length past the end may be either.
    it('bad lengths → CORRUPT_MESSAGE (2) / INVALID_RECORD (87)', async () => {
      const longer = good();
      longer.writeInt32BE(longer.readInt32BE(H.BATCH_LENGTH) + 100, H.BATCH_LENGTH);
      await expectCode(longer, [ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD], 'batchLength past the end');
      const huge = good();
      huge.writeInt32BE(0x7fffffff, H.BATCH_LENGTH);
      await expectCode(huge, [ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD], 'batchLength 2^31-1');
      const tiny = good();
      tiny.writeInt32BE(10, H.BATCH_LENGTH);
      await expectCode(tiny, ErrorCode.CORRUPT_MESSAGE, 'batchLength shorter than a header');
      const negative = good();
      negative.writeInt32BE(-5, H.BATCH_LENGTH);
      await expectCode(negative, ErrorCode.CORRUPT_MESSAGE, 'negative batchLength');
      await expectCode(Buffer.alloc(0), ErrorCode.INVALID_RECORD, 'empty records');
      await expectCode(null, ErrorCode.INVALID_RECORD, 'null records');
      await expectCode(good().subarray(0, 30), [ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD], 'cut inside the header');
      await expectCode(Buffer.concat([good(), good()]), ErrorCode.INVALID_RECORD, 'two batches');
    });

    it('wrong magic → INVALID_RECORD (87) for legacy, CORRUPT_MESSAGE (2) for unknown', async () => {
      for (const m of [0, 1]) {
        const b = good();
        b[H.MAGIC] = m;
        await expectCode(b, ErrorCode.INVALID_RECORD, `magic ${m} in Produce v9`);
      }
      for (const m of [3, 127, -1]) {
        const b = good();
        b.writeInt8(m, H.MAGIC);
        await expectCode(b, ErrorCode.CORRUPT_MESSAGE, `magic ${m}`);
      }
    });

    it('absurd record counts → INVALID_RECORD (87)', async () => {
      for (const [count, delta] of [[0x7fffffff, 0x7ffffffe], [-1, 2], [0, -1], [1_000_000, 999_999], [4, 2]] as const) {
        const b = good();
        b.writeInt32BE(count, H.RECORD_COUNT);
        b.writeInt32BE(delta, H.LAST_OFFSET_DELTA);
        await expectCode(refresh(b), ErrorCode.INVALID_RECORD, `recordCount ${count}`);
      }
      // A compressed batch claiming 2^31-1 records.
      const gz = batchOf(['x', 'y'], { compression: 'gzip' });
      gz.writeInt32BE(0x7fffffff, H.RECORD_COUNT);
      gz.writeInt32BE(0x7ffffffe, H.LAST_OFFSET_DELTA);
      await expectCode(refresh(gz), ErrorCode.INVALID_RECORD, 'gzip recordCount 2^31-1');
    });

    it('unknown codecs → UNSUPPORTED_COMPRESSION_TYPE (76); zstd before Produce v7 too', async () => {
      for (const codec of [5, 6, 7]) {
        const b = good();
        b.writeInt16BE((b.readInt16BE(H.ATTRIBUTES) & ~7) | codec, H.ATTRIBUTES);
        await expectCode(refresh(b), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `codec ${codec}`);
      }
      await expectCode(batchOf(['z'], { compression: 'zstd' }), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd on v5', 5);
      await expectCode(batchOf(['z'], { compression: 'zstd' }), ErrorCode.NONE, 'zstd on v9');
    });

    it('garbage inside a compressed batch → CORRUPT_MESSAGE (2) or INVALID_RECORD (87)', async () => {
      for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
        for (let n = 0; n < scale(10, 200); n++) {
          const b = batchOf(['hello', 'world', 'x'.repeat(int(300))], { compression: codec });
          for (let k = 0; k < 1 + int(4); k++) b[H.RECORDS_START + int(b.length - H.RECORDS_START)] = int(256);
          cases++;
          const r = await c.request(ProduceFacts, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'fuzz-produce', partitionData: [{ index: 0, records: refresh(b) }] }] });
          const code = r.responses[0].partitionResponses[0].errorCode;
          // Some flips land in bytes that do not matter (e.g. a gzip header field): then it is stored.
          expect([ErrorCode.NONE, ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD], `${codec} garbage`).toContain(code);
        }
      }
    });

    it('compression bombs of every codec stop at the decompressed-size limit; memory stays bounded', { timeout: 60_000 }, async () => {
      const zeros = Buffer.alloc(72 * 1024 * 1024); // past the 64 MiB decompressed-size limit
      const rssBefore = await rssBytes(child.process.pid!);
      let peak = rssBefore;
      for (const [codec, id] of [['gzip', 1], ['snappy', 2], ['lz4', 3], ['zstd', 4]] as const) {
        const bomb = compress(id, zeros);
        const template = batchOf(['x'], { compression: codec });
        const b = Buffer.concat([template.subarray(0, H.RECORDS_START), bomb]);
        b.writeInt32BE(b.length - H.LOG_OVERHEAD, H.BATCH_LENGTH);
        await expectCode(refresh(b), ErrorCode.MESSAGE_TOO_LARGE, `${codec} bomb (${bomb.length} bytes → 72 MiB)`);
        peak = Math.max(peak, await rssBytes(child.process.pid!));
      }
      // Several bombs at once, on separate connections.
      const gzBomb = compress(1, zeros);
      const template = batchOf(['x'], { compression: 'gzip' });
      const b = refresh((() => {
        const x = Buffer.concat([template.subarray(0, H.RECORDS_START), gzBomb]);
        x.writeInt32BE(x.length - H.LOG_OVERHEAD, H.BATCH_LENGTH);
        return x;
      })());
      const clients = await Promise.all(Array.from({ length: 4 }, () => RawClient.connect(child.port)));
      const sampler = setInterval(() => rssBytes(child.process.pid!).then((r) => (peak = Math.max(peak, r)), () => {}), 20);
      try {
        const codes = await Promise.all(clients.map(async (k) => {
          cases++;
          const r = await k.request(ProduceFacts, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'fuzz-produce', partitionData: [{ index: 0, records: b }] }] });
          return r.responses[0].partitionResponses[0].errorCode;
        }));
        expect(codes).toEqual(Array(4).fill(ErrorCode.MESSAGE_TOO_LARGE));
      } finally {
        clearInterval(sampler);
        for (const k of clients) k.close();
      }
      console.log(`fuzz: broker RSS ${Math.round(rssBefore / 2 ** 20)} MiB before bombs, peak ${Math.round(peak / 2 ** 20)} MiB (bound ${RSS_BOUND / 2 ** 20} MiB)`);
      expect(peak).toBeLessThan(RSS_BOUND);
      await expectHealthy('bombs');
    });

    it('acks=0 with a corrupt batch: no answer possible, so the connection is closed with a reason', async () => {
      const k = await RawClient.connect(child.port);
      const localPort = k.socket.localPort;
      const b = good();
      b[b.length - 1] ^= 1;
      cases++;
      await k.request(ProduceFacts, 9, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: 'fuzz-produce', partitionData: [{ index: 0, records: b }] }] }, { noResponse: true });
      await k.closed;
      expect(child.output()).toMatch(new RegExp(`closing connection #\\d+ 127\\.0\\.0\\.1:${localPort}: acks=0 produce failed`));
      await expectHealthy('acks0');
    });
  });

  it('hostile admin values: huge partition counts are refused, not attempted', { timeout: 30_000 }, async () => {
    const c = await RawClient.connect(child.port);
    try {
      for (const n of [0x7fffffff, 10_000_000]) {
        cases++;
        const r = await c.request(CreateTopicsFacts, 7, { topics: [{ name: `huge-${n}`, numPartitions: n, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
        expect(r.topics[0].errorCode, r.topics[0].errorMessage).toBe(ErrorCode.INVALID_PARTITIONS);
      }
      const created = await c.request(CreateTopicsFacts, 7, { topics: [{ name: 'grow', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
      expect(created.topics[0].errorCode).toBe(0);
      cases++;
      const grown = await c.request(CreatePartitionsFacts, 3, { topics: [{ name: 'grow', count: 0x7fffffff, assignments: null }], timeoutMs: 1000, validateOnly: false });
      expect(grown.results[0].errorCode, grown.results[0].errorMessage).toBe(ErrorCode.INVALID_PARTITIONS);
    } finally {
      c.close();
    }
    await expectHealthy('admin');
  });
});
