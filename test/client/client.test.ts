import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { BrokerConnection } from '../../src/client/broker-connection.ts';
import { Consumer, type FetchedBatch } from '../../src/client/consumer.ts';
import { ConnectionError, KafkaError } from '../../src/client/errors.ts';
import { murmur2, toPositive } from '../../src/client/murmur2.ts';
import { Producer } from '../../src/client/producer.ts';
import { decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/headers.ts';
import { ApiKeys, apisByName, lookupApi } from '../../src/protocol/messages/index.ts';
import { FrameSplitter } from '../../src/protocol/framing.ts';
import { Writer } from '../../src/protocol/primitives/writer.ts';
import { encodeResponseHeader } from '../../src/protocol/headers.ts';
import { encodeApiVersionsResponse } from '../../src/protocol/messages/api-versions.ts';
import { closeAll, settlesWithin, startTestBroker, waitFor, type TestBroker } from '../helpers/index.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { ApiVersionsFacts, MetadataFacts } from '../../src/protocol/messages/api-facts.ts';

/** The client library against a real broker on an ephemeral port. */

let broker: TestBroker;
let cluster: Cluster;
const clusters: Cluster[] = [];

function newCluster(): Cluster {
  const c = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }], clientId: 'client-test' });
  clusters.push(c);
  return c;
}

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  cluster = newCluster();
});
afterAll(async () => {
  for (const c of clusters) await c.close();
  await closeAll();
});

async function readAll(topic: string, start: ConstructorParameters<typeof Consumer>[1] extends infer O ? O : never = {}): Promise<FetchedBatch[]> {
  const c = new Consumer(cluster, { start: { type: 'earliest' }, ...start });
  c.assign([{ topic }]);
  const out: FetchedBatch[] = [];
  await c.run((b) => void out.push(b), { exitAtEnd: true });
  await c.close();
  return out;
}

describe('connection', () => {
  it('negotiates the highest common version per API', async () => {
    const conn = await BrokerConnection.open({ host: broker.host, port: broker.port });
    try {
      expect(conn.negotiated(apisByName.Metadata)).toBeGreaterThanOrEqual(1);
      const produce = conn.brokerVersions.get(ApiKeys.Produce)!;
      expect(conn.negotiated(apisByName.Produce)).toBe(Math.min(produce[1], 11));
      expect(conn.negotiated(apisByName.Fetch, 12)).toBeLessThanOrEqual(12);
    } finally {
      conn.close();
    }
  });

  it('falls back when the broker answers ApiVersions v3 in v0 format with UNSUPPORTED_VERSION (KIP-511)', async () => {
    // A real TCP peer that only knows ApiVersions v0–2, as a pre-2.4 Kafka broker does.
    const seen: number[] = [];
    const server: Server = createServer((sock) => {
      const splitter = new FrameSplitter();
      sock.on('data', (chunk) => {
        for (const frame of splitter.push(chunk)) {
          const { apiVersion, correlationId } = { apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
          seen.push(apiVersion);
          if (apiVersion > 2) {
            const w = new Writer();
            w.int32(0);
            encodeResponseHeader(w, { correlationId }, 0);
            encodeApiVersionsResponse(w, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [{ apiKey: ApiVersionsFacts.key, minVersion: 0, maxVersion: 2 }] }, 0);
            const out = w.finish();
            out.writeInt32BE(out.length - 4, 0);
            sock.write(out);
          } else {
            const req = decodeRequestFrame(frame, lookupApi);
            sock.write(encodeResponseFrame(apisByName.ApiVersions, req.header.apiVersion, correlationId, { errorCode: 0, apiKeys: [{ apiKey: ApiVersionsFacts.key, minVersion: 0, maxVersion: 2 }, { apiKey: MetadataFacts.key, minVersion: 0, maxVersion: 5 }], throttleTimeMs: 0 }));
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const conn = await BrokerConnection.open({ host: '127.0.0.1', port });
      expect(seen).toEqual([3, 2]);
      expect(conn.negotiated(apisByName.Metadata)).toBe(5);
      expect(conn.negotiated(apisByName.Produce)).toBe(-1);
      await expect(conn.request(apisByName.Produce, { acks: 1, timeoutMs: 1000, topicData: [] })).rejects.toThrow(/does not support Produce/);
      conn.close();
    } finally {
      server.close();
    }
  });

  it('names the address and suggests kstream serve when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const err = await BrokerConnection.open({ host: '127.0.0.1', port }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe(`could not connect to 127.0.0.1:${port} — is a broker running? start one with \`kstream serve\``);
  });
});

describe('producer and consumer', () => {
  it('an idempotent producer writes keyed records to the Java partitions, in order per key', async () => {
    const admin = new Admin(cluster);
    await admin.createTopic('keyed', { partitions: 4 });
    const producer = new Producer(cluster, { compression: 'lz4', batchSize: 16_384, lingerMs: 2 });
    await producer.prepareTopic('keyed');
    expect(producer.isIdempotent).toBe(true);
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const ok = producer.send({ topic: 'keyed', key: Buffer.from(`k${i % 37}`), value: Buffer.from(String(i)) });
      if (!ok) await producer.waitForSpace();
    }
    await producer.flush();
    expect(producer.stats.acked).toBe(n);
    const batches = await readAll('keyed');
    const lastByKey = new Map<string, number>();
    let total = 0;
    for (const b of batches) {
      for (const r of b.records) {
        total++;
        const key = r.key!.toString();
        expect(b.partition).toBe(toPositive(murmur2(r.key!)) % 4);
        const v = Number(r.value!.toString());
        expect(v).toBeGreaterThan(lastByKey.get(key) ?? -1);
        lastByKey.set(key, v);
      }
    }
    expect(total).toBe(n);
  });

  it('acks=0 and non-idempotent producers deliver too; null keys stick to a partition per batch', async () => {
    for (const [acks, idempotent] of [[0, false], [1, false]] as const) {
      const topic = `acks${acks}`;
      await new Admin(cluster).createTopic(topic, { partitions: 3 });
      const p = new Producer(cluster, { acks, idempotent });
      await p.prepareTopic(topic);
      for (let i = 0; i < 1000; i++) p.send({ topic, value: Buffer.from(`v${i}`) });
      await p.flush();
      expect(p.isIdempotent).toBe(false);
      const got = (await readAll(topic)).flatMap((b) => b.records.map((r) => r.value!.toString()));
      expect(got.sort()).toEqual(Array.from({ length: 1000 }, (_, i) => `v${i}`).sort());
    }
  });

  it('starts at the last N records per partition, at a timestamp, or at an offset; seeks', async () => {
    await new Admin(cluster).createTopic('positions', { partitions: 1 });
    const p = new Producer(cluster, {});
    await p.prepareTopic('positions');
    for (let i = 0; i < 10; i++) p.send({ topic: 'positions', value: Buffer.from(`v${i}`), timestamp: 1_000_000 + i * 1000 });
    await p.flush();
    const values = (bs: FetchedBatch[]) => bs.flatMap((b) => b.records.map((r) => r.value!.toString()));
    expect(values(await readAll('positions', { start: { type: 'last', count: 3 } }))).toEqual(['v7', 'v8', 'v9']);
    expect(values(await readAll('positions', { start: { type: 'timestamp', timestamp: 1_004_500 } }))).toEqual(['v5', 'v6', 'v7', 'v8', 'v9']);
    expect(values(await readAll('positions', { start: { type: 'offset', offset: 8 } }))).toEqual(['v8', 'v9']);
    expect(values(await readAll('positions', { start: { type: 'timestamp', timestamp: 2_000_000 } }))).toEqual([]);
    expect(values(await readAll('positions', { start: { type: 'latest' } }))).toEqual([]);

    const c = new Consumer(cluster, { start: { type: 'earliest' } });
    c.assign([{ topic: 'positions' }]);
    const seen: string[] = [];
    let seeked = false;
    await c.run(
      (b) => {
        seen.push(...b.records.map((r) => r.value!.toString()));
        if (!seeked) {
          seeked = true;
          c.seek('positions', 0, 9);
        }
      },
      { exitAtEnd: true },
    );
    expect(seen.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
    expect(seen.slice(10)).toEqual(['v9']);
  });

  it('a stop() before run() is not lost: that run() returns at once without fetching; the next one runs', async () => {
    // A Connect sink task stopped while starting (worker SIGTERMed during start-up) stops its consumer
    // before calling run(): run() used to clear the stop and fetch for ever, so the worker never exited.
    await new Admin(cluster).createTopic('stop-before-run', { partitions: 1 });
    const p = new Producer(cluster, {});
    await p.prepareTopic('stop-before-run');
    p.send({ topic: 'stop-before-run', value: Buffer.from('only') });
    await p.flush();
    const c = new Consumer(cluster, { start: { type: 'earliest' } });
    c.assign([{ topic: 'stop-before-run' }]);
    const seen: string[] = [];
    c.stop();
    const first = c.run((b) => void seen.push(...b.records.map((r) => r.value!.toString())));
    const settled = await settlesWithin(first, 3000);
    if (!settled) {
      // The stop was lost: end the run it left fetching before failing.
      c.stop();
      await first;
    }
    expect(settled).toBe(true);
    expect(seen).toEqual([]);
    // The pending stop was for that run only.
    await c.run((b) => void seen.push(...b.records.map((r) => r.value!.toString())), { exitAtEnd: true });
    expect(seen).toEqual(['only']);
  });

  it('a missing topic is a clear error', async () => {
    const c = new Consumer(cluster, {});
    c.assign([{ topic: 'missing-topic' }]);
    const err = await c.run(() => undefined).catch((e: Error) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('consumer groups', () => {
  it('two members split the partitions; when one leaves, the other takes over and resumes from the commits', async () => {
    await new Admin(cluster).createTopic('grouped', { partitions: 4 });
    const p = new Producer(cluster, {});
    await p.prepareTopic('grouped');
    const send = async (from: number, n: number) => {
      for (let i = from; i < from + n; i++) p.send({ topic: 'grouped', partition: i % 4, value: Buffer.from(`v${i}`) });
      await p.flush();
    };
    await send(0, 40);
    const opts = { groupId: 'split', start: { type: 'earliest' as const }, autoCommitIntervalMs: 100, group: { heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000 } };
    const a = new Consumer(newCluster(), opts);
    const b = new Consumer(newCluster(), opts);
    a.subscribe(['grouped']);
    b.subscribe(['grouped']);
    const seenA: string[] = [];
    const seenB: string[] = [];
    const runA = a.run((x) => void seenA.push(...x.records.map((r) => r.value!.toString())));
    const runB = b.run((x) => void seenB.push(...x.records.map((r) => r.value!.toString())));
    await waitFor('two members with two partitions each', () => a.assignment().length === 2 && b.assignment().length === 2, 20_000);
    await waitFor('all 40 records', () => new Set([...seenA, ...seenB]).size === 40, 20_000);
    const partsA = a.assignment().map((x) => x.partition);
    expect(new Set([...partsA, ...b.assignment().map((x) => x.partition)])).toEqual(new Set([0, 1, 2, 3]));
    await a.close();
    await runA;
    await waitFor('b to own all four partitions', () => b.assignment().length === 4, 20_000);
    await send(40, 8);
    await waitFor('the 8 new records at b', () => seenB.filter((v) => Number(v.slice(1)) >= 40).length === 8, 20_000);
    // Nothing was read twice by b after the handover: a committed what it had handed out.
    expect(seenB.length + seenA.length).toBe(48);
    await b.close();
    await runB;
    const d = await new Admin(cluster).describeGroup('split');
    expect(d.state).toBe('Empty');
    expect(d.totalLag).toBe(0);
    expect(d.partitions.map((x) => x.committed)).toEqual([12, 12, 12, 12]);
  }, 60_000);
});

describe('admin', () => {
  it('topics, configs, partitions', async () => {
    const admin = new Admin(cluster);
    await admin.createTopic('adm', { partitions: 2, configs: { 'retention.ms': '1000000' } });
    await expect(admin.createTopic('adm')).rejects.toMatchObject({ code: ErrorCode.TOPIC_ALREADY_EXISTS });
    expect((await admin.listTopics()).find((t) => t.name === 'adm')).toEqual({ name: 'adm', partitions: 2, replicationFactor: 1, internal: false });
    expect((await admin.describeConfigs('adm', false)).find((c) => c.name === 'retention.ms')?.value).toBe('1000000');
    await admin.alterConfigs('adm', { 'retention.ms': '2000000' }, []);
    expect((await admin.describeConfigs('adm')).find((c) => c.name === 'retention.ms')?.value).toBe('2000000');
    await admin.createPartitions('adm', 3);
    expect((await admin.topicInfo('adm')).partitions).toHaveLength(3);
    await admin.deleteTopics(['adm']);
    await expect(admin.topicInfo('adm')).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    await expect(admin.deleteTopics(['adm'])).rejects.toThrow(/does not exist/);
  });
});

describe('a broker restart', () => {
  it('producer and consumer keep going across a restart of their broker', async () => {
    const b1 = await startTestBroker();
    const own = new Cluster({ bootstrap: [{ host: b1.host, port: b1.port }] });
    clusters.push(own);
    await new Admin(own).createTopic('survive', { partitions: 1 });
    const p = new Producer(own, {});
    await p.prepareTopic('survive');
    p.send({ topic: 'survive', value: Buffer.from('before') });
    await p.flush();
    const c = new Consumer(own, { start: { type: 'earliest' } });
    c.assign([{ topic: 'survive' }]);
    const seen: string[] = [];
    const running = c.run((b) => void seen.push(...b.records.map((r) => r.value!.toString())));
    await waitFor('the first record', () => seen.length === 1, 20_000);
    await b1.close();
    // The idempotent producer retries (same batch, same sequence) until the broker is back.
    p.send({ topic: 'survive', value: Buffer.from('during') });
    const flushing = p.flush();
    await new Promise((r) => setTimeout(r, 300));
    const b2 = await startTestBroker({ dataDir: b1.dataDir, port: b1.port });
    await flushing;
    const other = new Cluster({ bootstrap: [{ host: b2.host, port: b2.port }] });
    clusters.push(other);
    const p2 = new Producer(other, {});
    await p2.prepareTopic('survive');
    p2.send({ topic: 'survive', value: Buffer.from('after') });
    await p2.flush();
    await waitFor('the records produced during and after the restart', () => seen.length === 3, 20_000);
    expect(seen).toEqual(['before', 'during', 'after']);
    c.stop();
    await running;
    await b2.close();
  }, 40_000);
});
