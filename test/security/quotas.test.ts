/**
 * Client quotas end to end: AlterClientQuotas/DescribeClientQuotas round trips and Kafka's errors, fast
 * producers and consumers (ours and kafkajs) throttled by producer_byte_rate / consumer_byte_rate with
 * throttle_time_ms in the responses (KIP-219), request_percentage with the connection muted, and
 * quotas surviving a restart of `kstream serve` (set and read with the CLI).
 *
 * The achieved rates are measured and printed; the tests assert that throttling happened, never a timing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type logCreator } from 'kafkajs';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import { BrokerConnection } from '../../src/client/broker-connection.ts';
import { KafkaError } from '../../src/client/errors.ts';
import { alterClientQuotas, alterClientQuotasOrThrow, describeClientQuotas } from '../../src/client/quotas-admin.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { DescribeClientQuotasApi } from '../../src/protocol/messages/describe-client-quotas.ts';
import { FetchApi } from '../../src/protocol/messages/fetch.ts';
import { MetadataApi } from '../../src/protocol/messages/metadata.ts';
import { closeAll, runCli, startChildBroker, startTestBroker, type TestBroker } from '../helpers/index.ts';

let broker: TestBroker;
let admin: Cluster;

beforeAll(async () => {
  broker = await startTestBroker();
  admin = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }], clientId: 'quota-admin' });
});

afterAll(async () => {
  await admin?.close();
  await closeAll();
});

/**
 * The achieved rate of a byte counter from its first sample. Kafka measures a quota over
 * quota.window.num (11) windows of quota.window.size.seconds (1), counting at least 10 whole windows:
 * a client may send 10 windows' worth at once and then nothing more until the window has moved on, so
 * its rate is the quota only over ~11 s from its first byte (and in the long run), not over any
 * shorter slice: before 10 s the window still counts as 10-11 s, so the allowance peaks at 11 windows'
 * worth late in each second. Hence the measuring span below, just before the first sample expires.
 */
const MEASURE_MS = 11_000;
class RateMeter {
  private start: number | null = null;
  sample(): void {
    this.start ??= performance.now();
  }
  get elapsedMs(): number {
    return this.start === null ? 0 : performance.now() - this.start;
  }
  rate(bytes: number): number {
    return bytes / (this.elapsedMs / 1000);
  }
}

function report(what: string, rate: number, quota: number): void {
  console.log(`[quotas] ${what}: ${Math.round(rate)} B/s achieved against a quota of ${quota} B/s (${((rate / quota) * 100).toFixed(1)} %)`);
}

/** kafkajs logs each throttle it honours at debug level: "Client side throttling in effect for Nms". */
function throttleLogs(): { creator: logCreator; throttles: number[] } {
  const throttles: number[] = [];
  const creator: logCreator = () => ({ log }) => {
    const m = /Client side throttling in effect for (\d+)ms/.exec(log.message);
    if (m) throttles.push(Number(m[1]));
  };
  return { creator, throttles };
}

describe('AlterClientQuotas / DescribeClientQuotas', () => {
  it('round-trips user, client-id and default entities through our client', async () => {
    await alterClientQuotasOrThrow(admin, [
      { entity: { user: 'alice' }, set: { producer_byte_rate: 1024, consumer_byte_rate: 2048 } },
      { entity: { user: 'alice', 'client-id': 'app' }, set: { request_percentage: 12.5 } },
      { entity: { user: null, 'client-id': null }, set: { controller_mutation_rate: 3 } },
      { entity: { ip: '127.0.0.1' }, set: { connection_creation_rate: 100 } },
    ]);
    const alice = await describeClientQuotas(admin, { components: [{ entityType: 'user', match: 'alice' }], strict: true });
    expect(alice).toEqual([{ entity: { user: 'alice' }, values: { producer_byte_rate: 1024, consumer_byte_rate: 2048 } }]);
    const aliceAny = await describeClientQuotas(admin, { components: [{ entityType: 'user', match: 'alice' }] });
    expect(aliceAny.map((e) => e.entity)).toEqual([{ user: 'alice' }, { user: 'alice', 'client-id': 'app' }]);
    const defaults = await describeClientQuotas(admin, { components: [{ entityType: 'user', match: null }, { entityType: 'client-id', match: null }], strict: true });
    expect(defaults).toEqual([{ entity: { user: null, 'client-id': null }, values: { controller_mutation_rate: 3 } }]);
    const ips = await describeClientQuotas(admin, { components: [{ entityType: 'ip', match: undefined }] });
    expect(ips).toEqual([{ entity: { ip: '127.0.0.1' }, values: { connection_creation_rate: 100 } }]);

    // validate_only: accepted, nothing changes.
    await alterClientQuotasOrThrow(admin, [{ entity: { user: 'alice' }, set: { producer_byte_rate: 1 } }], { validateOnly: true });
    expect((await describeClientQuotas(admin, { components: [{ entityType: 'user', match: 'alice' }], strict: true }))[0]!.values.producer_byte_rate).toBe(1024);

    // Removing keys; an entity with no values left is gone.
    await alterClientQuotasOrThrow(admin, [
      { entity: { user: 'alice' }, remove: ['producer_byte_rate', 'consumer_byte_rate'] },
      { entity: { user: 'alice', 'client-id': 'app' }, remove: ['request_percentage', 'not_set_is_fine'] },
      { entity: { user: null, 'client-id': null }, remove: ['controller_mutation_rate'] },
      { entity: { ip: '127.0.0.1' }, remove: ['connection_creation_rate'] },
    ]);
    expect(await describeClientQuotas(admin, { components: [] })).toEqual([]);
  });

  it("answers bad quota configs with Kafka's errors, per entity", async () => {
    const results = await alterClientQuotas(admin, [
      { entity: { user: 'bad1' }, set: { produce_byte_rate: 10 } },
      { entity: { user: 'bad2' }, set: { producer_byte_rate: -5 } },
      { entity: { user: 'bad3' }, set: { consumer_byte_rate: 10.5 } },
      { entity: { ip: 'no such host.invalid' }, set: { connection_creation_rate: 1 } },
      { entity: { user: 'good' }, set: { request_percentage: 0.5 } },
    ]);
    expect(results.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [ErrorCode.INVALID_REQUEST, 'Invalid configuration key produce_byte_rate'],
      [ErrorCode.INVALID_REQUEST, 'Quota producer_byte_rate must be greater than 0'],
      [ErrorCode.INVALID_REQUEST, 'consumer_byte_rate cannot be a fractional value.'],
      [ErrorCode.INVALID_REQUEST, 'no such host.invalid is not a valid IP or resolvable host.'],
      [ErrorCode.NONE, null],
    ]);
    const all = await describeClientQuotas(admin, { components: [] });
    expect(all).toEqual([{ entity: { user: 'good' }, values: { request_percentage: 0.5 } }]);
    await alterClientQuotasOrThrow(admin, [{ entity: { user: 'good' }, remove: ['request_percentage'] }]);

    // A filter Kafka refuses fails the whole DescribeClientQuotas.
    const conn = await admin.controllerConnection();
    const res = await conn.request(DescribeClientQuotasApi, { components: [{ entityType: 'topic', matchType: 0, match: 'x' }], strict: false });
    expect([res.errorCode, res.errorMessage, res.entries]).toEqual([ErrorCode.UNSUPPORTED_VERSION, 'Unsupported entity type topic', null]);
    await expect(describeClientQuotas(admin, { components: [{ entityType: 'user', match: 'a' }, { entityType: 'ip', match: undefined }] })).rejects.toMatchObject({
      code: ErrorCode.INVALID_REQUEST,
    } satisfies Partial<KafkaError>);
  });
});

describe('producer_byte_rate', () => {
  const QUOTA = 100_000;
  const value = Buffer.alloc(1024, 120);

  it('throttles our producer: responses carry throttle_time_ms and the rate comes down to the quota', async () => {
    await alterClientQuotasOrThrow(admin, [{ entity: { 'client-id': 'fast-ours' }, set: { producer_byte_rate: QUOTA } }]);
    const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }], clientId: 'fast-ours' });
    const producer = new Producer(cluster, { batchSize: 16_384, lingerMs: 1, maxBufferedBytes: 64 * 1024 });
    try {
      await producer.connect();
      await producer.prepareTopic('quota-produce-ours');
      const meter = new RateMeter();
      meter.sample();
      while (meter.elapsedMs < MEASURE_MS) {
        if (!producer.send({ topic: 'quota-produce-ours', value })) await producer.waitForSpace();
      }
      const rate = meter.rate(producer.stats.bytes);
      report(`our producer (${producer.stats.throttled} throttled responses, ${producer.stats.throttleTimeMs} ms in all)`, rate, QUOTA);
      expect(producer.stats.throttled).toBeGreaterThan(0);
      expect(producer.stats.throttleTimeMs).toBeGreaterThan(0);
    } finally {
      await producer.close({ flush: false });
      await cluster.close();
    }
  }, 30_000);

  it('throttles a kafkajs producer, which honours throttle_time_ms', async () => {
    await alterClientQuotasOrThrow(admin, [{ entity: { 'client-id': 'fast-kafkajs' }, set: { producer_byte_rate: QUOTA } }]);
    const { creator, throttles } = throttleLogs();
    const kafka = new Kafka({ clientId: 'fast-kafkajs', brokers: [broker.bootstrap], logLevel: logLevel.DEBUG, logCreator: creator });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      const meter = new RateMeter();
      let bytes = 0;
      const messages = Array.from({ length: 16 }, () => ({ value }));
      meter.sample();
      while (meter.elapsedMs < MEASURE_MS) {
        await producer.send({ topic: 'quota-produce-kafkajs', messages, acks: 1 });
        bytes += messages.length * value.length;
      }
      report(`kafkajs producer (${throttles.length} throttled responses, ${throttles.reduce((a, b) => a + b, 0)} ms in all)`, meter.rate(bytes), QUOTA);
      expect(throttles.length).toBeGreaterThan(0);
      expect(Math.max(...throttles)).toBeGreaterThan(0);
    } finally {
      await producer.disconnect();
    }
  }, 30_000);
});

describe('consumer_byte_rate', () => {
  const QUOTA = 100_000;
  const TOPIC = 'quota-consume';
  const value = Buffer.alloc(1024, 121);

  beforeAll(async () => {
    // 2.5 MB to read, produced by a client without a quota.
    const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }], clientId: 'loader' });
    const producer = new Producer(cluster, { batchSize: 65_536 });
    try {
      await producer.connect();
      await producer.prepareTopic(TOPIC);
      for (let i = 0; i < 2500; i++) if (!producer.send({ topic: TOPIC, partition: 0, value })) await producer.waitForSpace();
      await producer.flush();
      expect(producer.stats.throttled).toBe(0);
    } finally {
      await producer.close();
      await cluster.close();
    }
  }, 30_000);

  it('throttles a kafkajs consumer: fetch responses carry throttle_time_ms', async () => {
    await alterClientQuotasOrThrow(admin, [{ entity: { 'client-id': 'slow-kafkajs' }, set: { consumer_byte_rate: QUOTA } }]);
    const { creator, throttles } = throttleLogs();
    const kafka = new Kafka({ clientId: 'slow-kafkajs', brokers: [broker.bootstrap], logLevel: logLevel.DEBUG, logCreator: creator });
    const consumer = kafka.consumer({ groupId: 'quota-readers', maxBytes: 65_536, maxBytesPerPartition: 65_536, maxWaitTimeInMs: 100 });
    await consumer.connect();
    let bytes = 0;
    const meter = new RateMeter();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          meter.sample();
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
        },
      });
      const end = Date.now() + 20_000;
      while (Date.now() < end && meter.elapsedMs < MEASURE_MS) await new Promise((r) => setTimeout(r, 20));
      report(`kafkajs consumer (${throttles.length} throttled fetches)`, meter.rate(bytes), QUOTA);
      expect(throttles.length).toBeGreaterThan(0);
    } finally {
      await consumer.disconnect();
    }
  }, 40_000);

  it('our fetches over the quota get an empty response with throttle_time_ms, and a muted connection', async () => {
    await alterClientQuotasOrThrow(admin, [{ entity: { 'client-id': 'slow-ours' }, set: { consumer_byte_rate: QUOTA } }]);
    const conn = await BrokerConnection.open({ host: broker.host, port: broker.port, clientId: 'slow-ours' });
    try {
      const meta = await conn.request(MetadataApi, { topics: [{ name: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false });
      const topicId = meta.topics[0]!.topicId;
      let offset = 0n;
      let fetched = 0;
      let throttled: { ms: number; at: number } | null = null;
      for (let i = 0; i < 200 && throttled === null; i++) {
        const res = await conn.request(FetchApi, {
          replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 65_536, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: TOPIC, topicId, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 65_536, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1 }] }],
          forgottenTopicsData: [], rackId: '',
        });
        if (res.throttleTimeMs > 0) {
          // Kafka's throttled fetch: no partitions at all, nothing read.
          expect(res.responses).toEqual([]);
          throttled = { ms: res.throttleTimeMs, at: performance.now() };
          break;
        }
        const p = res.responses[0]!.partitions[0]!;
        fetched += p.records?.length ?? 0;
        offset = p.highWatermark > offset ? nextOffset(p.records, offset) : offset;
      }
      expect(throttled).not.toBeNull();
      // At the quota, 10 windows' worth (1 MB) goes through before the first throttle.
      expect(fetched).toBeGreaterThanOrEqual(QUOTA * 9);
      // KIP-219: the broker reads nothing more from this connection until the throttle time is over.
      await conn.request(MetadataApi, { topics: [], allowAutoTopicCreation: false });
      const waited = performance.now() - throttled!.at;
      console.log(`[quotas] our fetch: ${fetched} bytes before a ${throttled!.ms} ms throttle; the next request was answered ${Math.round(waited)} ms later`);
      expect(waited).toBeGreaterThanOrEqual(throttled!.ms - 50);
    } finally {
      conn.close();
    }
  }, 30_000);
});

/** The offset after the last record batch in `records` (base offset + last offset delta + 1). */
function nextOffset(records: Buffer | null, current: bigint): bigint {
  if (!records || records.length < 61) return current;
  let pos = 0;
  let next = current;
  while (pos + 61 <= records.length) {
    const base = records.readBigInt64BE(pos);
    const length = records.readInt32BE(pos + 8);
    const lastDelta = records.readInt32BE(pos + 23);
    if (pos + 12 + length > records.length) break;
    next = base + BigInt(lastDelta) + 1n;
    pos += 12 + length;
  }
  return next;
}

describe('request_percentage', () => {
  it('throttles a client that keeps the broker busy, at most one window', async () => {
    await alterClientQuotasOrThrow(admin, [{ entity: { 'client-id': 'busy' }, set: { request_percentage: 0.01 } }]);
    const conn = await BrokerConnection.open({ host: broker.host, port: broker.port, clientId: 'busy' });
    try {
      let throttle = 0;
      let requests = 0;
      // One at a time: once over the quota every request is throttled (up to a window each).
      while (throttle === 0 && requests < 20_000) {
        const r = await conn.request(MetadataApi, { topics: null, allowAutoTopicCreation: false });
        requests++;
        throttle = r.throttleTimeMs;
      }
      console.log(`[quotas] request_percentage=0.01: throttled ${throttle} ms after ${requests} Metadata requests`);
      expect(throttle).toBeGreaterThan(0);
      expect(throttle).toBeLessThanOrEqual(1000);
    } finally {
      conn.close();
    }
  }, 30_000);
});

describe('kstream serve and the CLI', () => {
  it('quotas set with the CLI survive a restart and still throttle', async () => {
    const first = await startChildBroker();
    const b = ['-b', first.bootstrap];
    const set = await runCli(['quotas', 'set', ...b, '--user', 'alice', 'producer_byte_rate=1048576', 'consumer_byte_rate=2097152']);
    expect(set.code, set.stderr).toBe(0);
    expect((await runCli(['quotas', 'set', ...b, '--client-defaults', 'producer_byte_rate=1024'])).code).toBe(0);
    const bad = await runCli(['quotas', 'set', ...b, '--user', 'bob', 'producer_byte_rate=1024', 'frobnicate=1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid configuration key frobnicate');
    const noEntity = await runCli(['quotas', 'set', ...b, 'producer_byte_rate=1']);
    expect(noEntity.code).not.toBe(0);
    first.kill('SIGTERM');
    await first.exited;

    const second = await startChildBroker({ dataDir: first.dataDir });
    const get = await runCli(['quotas', 'get', '-b', second.bootstrap]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/))).toEqual([
      ['USER', 'CLIENT', 'IP', 'QUOTA', 'VALUE'],
      ['-', '<default>', '-', 'producer_byte_rate', '1024'],
      ['alice', '-', '-', 'consumer_byte_rate', '2097152'],
      ['alice', '-', '-', 'producer_byte_rate', '1048576'],
    ]);
    const json = JSON.parse((await runCli(['quotas', 'get', '-b', second.bootstrap, '--user', 'alice', '--json'])).stdout);
    expect(json).toEqual([{ entity: { user: 'alice' }, values: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } }]);

    // The restarted broker enforces the default client quota at once.
    const cluster = new Cluster({ bootstrap: [{ host: '127.0.0.1', port: second.port }], clientId: 'after-restart' });
    const producer = new Producer(cluster, { batchSize: 65_536 });
    try {
      await producer.connect();
      await producer.prepareTopic('after-restart');
      for (let i = 0; i < 30; i++) producer.send({ topic: 'after-restart', partition: 0, value: Buffer.alloc(1024) });
      await producer.flush();
      expect(producer.stats.throttled).toBeGreaterThan(0);
    } finally {
      await producer.close({ flush: false });
      await cluster.close();
    }

    const del = await runCli(['quotas', 'delete', '-b', second.bootstrap, '--user', 'alice', '--all']);
    expect(del.code, del.stderr).toBe(0);
    const after = await runCli(['quotas', 'get', '-b', second.bootstrap, '--user', 'alice']);
    expect(after.stdout).toBe('');
    second.kill('SIGTERM');
    await second.exited;
  }, 60_000);
});
