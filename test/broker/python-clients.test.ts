/**
 * Clients of another language, from Debian (issues 13.6 and 13.7):
 * - kafka-python (python3-kafka) pinned to old api_versions: 0.8.2 fetches with Fetch v0 and lists
 *   offsets with ListOffsets v0, 0.9 with Fetch v1 (both read magic-0 message sets), 0.10.0 with
 *   Fetch v2 (magic 1), 0.10.1 with Fetch v3 and ListOffsets v1. The broker down-converts its magic-2
 *   batches for them, as Kafka 3.9 does.
 * - confluent-kafka (python3-confluent-kafka, librdkafka): produce and consume at current versions.
 * Skipped, with the reason in the name, when /usr/bin/python3 lacks the package.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compression, type CompressionCodec } from '../../src/protocol/records/compression/index.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { closeAll, run, startTestBroker, type TestBroker } from '../helpers/index.ts';

const PYTHON = '/usr/bin/python3';
const hasModule = (m: string) => spawnSync(PYTHON, ['-c', `import ${m}`], { stdio: 'ignore' }).status === 0;
const hasKafkaPython = hasModule('kafka');
const hasConfluent = hasModule('confluent_kafka');

let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(closeAll);

/** Appends one magic-2 batch of `n` keyed records (k0:v0, …) with the given codec and timestamps 1000+i. */
async function seed(topic: string, codec: number, n: number, first = 0): Promise<void> {
  const logs = b.broker.context.logs;
  if (!logs.getTopic(topic)) await logs.createTopic(topic, { partitions: 1 });
  const batch = encodeRecordBatch({
    compression: codec as CompressionCodec,
    records: Array.from({ length: n }, (_, i) => ({ key: `k${first + i}`, value: `v${first + i}`, timestamp: 1000 + first + i })),
  });
  await logs.partition(topic, 0)!.append(batch, { logAppendTime: false });
}

const KAFKA_PYTHON_CONSUME = `
import sys, json
from kafka import KafkaConsumer, TopicPartition
bootstrap, topic, ver, start = sys.argv[1], sys.argv[2], tuple(int(x) for x in sys.argv[3].split('.')), int(sys.argv[4])
c = KafkaConsumer(bootstrap_servers=bootstrap, api_version=ver, group_id=None, enable_auto_commit=False,
                  auto_offset_reset='earliest', request_timeout_ms=15000)
tp = TopicPartition(topic, 0)
c.assign([tp])
c.seek_to_end(tp)
end = c.position(tp)
c.seek_to_beginning(tp)
begin = c.position(tp)
c.seek(tp, start)
out = []
for _ in range(20):
    if len(out) >= end - start: break
    for msgs in c.poll(timeout_ms=1000).values():
        for m in msgs: out.append([m.offset, m.key.decode() if m.key is not None else None, m.value.decode(), m.timestamp])
c.close()
print(json.dumps({'begin': begin, 'end': end, 'records': out}))
`;

function kafkaPython(topic: string, version: string, start = 0) {
  return run(PYTHON, ['-c', KAFKA_PYTHON_CONSUME, b.bootstrap, topic, version, String(start)], { timeoutMs: 60_000 });
}

describe.skipIf(!hasKafkaPython)(`kafka-python with old api_versions${hasKafkaPython ? '' : ' (skipped: python3-kafka is not installed)'}`, () => {
  // api_version → (Fetch version, legacy magic): 0.8.2 → v0 (magic 0), 0.9 → v1 (0), 0.10.0 → v2 (1), 0.10.1 → v3 (1).
  for (const version of ['0.8.2', '0.9', '0.10.0', '0.10.1']) {
    it(`api_version ${version}: uncompressed and gzip batches, from the start and from mid-batch`, async () => {
      const plain = `py-plain-${version}`;
      const gzip = `py-gzip-${version}`;
      await seed(plain, Compression.none, 3);
      await seed(plain, Compression.none, 2, 3);
      await seed(gzip, Compression.gzip, 5);
      const magic1 = version.startsWith('0.10');
      for (const topic of [plain, gzip]) {
        const r = await kafkaPython(topic, version);
        expect(r.code, r.stderr).toBe(0);
        const got = JSON.parse(r.stdout);
        expect(got.begin).toBe(0);
        expect(got.end).toBe(5);
        expect(got.records).toEqual(
          Array.from({ length: 5 }, (_, i) => [i, `k${i}`, `v${i}`, magic1 ? 1000 + i : null]),
        );
      }
      // From offset 1 (inside the first batch): the uncompressed batch is cut at the fetch offset by
      // the broker, the compressed one is sent whole and the client skips what it did not ask for.
      for (const topic of [plain, gzip]) {
        const r = await kafkaPython(topic, version, 1);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).records.map((x: unknown[]) => x[0])).toEqual([1, 2, 3, 4]);
      }
    });
  }

  it('produces with api_version 0.10.0 (Produce v2, magic 1) and 0.9 (v1, magic 0); reads back with 0.10.1', async () => {
    const script = `
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1], api_version=tuple(int(x) for x in sys.argv[3].split('.')), compression_type=sys.argv[4] or None)
for i in range(3): p.send(sys.argv[2], key=b'k%d' % i, value=b'v%d' % i, partition=0).get(timeout=15)
p.close()
`;
    for (const [version, codec] of [['0.10.0', 'gzip'], ['0.9', '']]) {
      const topic = `py-produced-${version}`;
      await b.broker.context.logs.createTopic(topic, { partitions: 1 });
      const p = await run(PYTHON, ['-c', script, b.bootstrap, topic, version, codec], { timeoutMs: 60_000 });
      expect(p.code, p.stderr).toBe(0);
      const r = await kafkaPython(topic, '0.10.1');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).records.map((x: unknown[]) => [x[0], x[1], x[2]])).toEqual([[0, 'k0', 'v0'], [1, 'k1', 'v1'], [2, 'k2', 'v2']]);
    }
  });
});

describe.skipIf(!hasConfluent)(`confluent-kafka (librdkafka)${hasConfluent ? '' : ' (skipped: python3-confluent-kafka is not installed)'}`, () => {
  it('produces keyed records with headers and consumes them back in a group, reading past an out-of-range offset', async () => {
    const script = `
import sys, json
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'compression.codec': 'lz4'})
for i in range(10): p.produce(topic, key=b'k%d' % i, value=b'v%d' % i, headers=[('h', b'%d' % i)], partition=0)
assert p.flush(15) == 0
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'py-confluent', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.assign([TopicPartition(topic, 0, 100)])  # out of range: resets to earliest
out = []
while len(out) < 10:
    m = c.poll(15)
    if m is None: break
    if m.error(): raise Exception(str(m.error()))
    out.append([m.offset(), m.key().decode(), m.value().decode(), m.headers()[0][1].decode()])
c.commit(asynchronous=False)
committed = c.committed([TopicPartition(topic, 0)], 15)[0].offset
c.close()
print(json.dumps({'records': out, 'committed': committed}))
`;
    await b.broker.context.logs.createTopic('py-confluent', { partitions: 1 });
    const r = await run(PYTHON, ['-c', script, b.bootstrap, 'py-confluent'], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.records).toEqual(Array.from({ length: 10 }, (_, i) => [i, `k${i}`, `v${i}`, `${i}`]));
    expect(got.committed).toBe(10);
  });
});
