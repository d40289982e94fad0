/**
 * DescribeConfigs / AlterConfigs / IncrementalAlterConfigs against a real broker, compared with what
 * Kafka 3.9 answers (ConfigHelper, ConfigAdminManager, DynamicBrokerConfig): every Kafka topic config,
 * synonyms in Kafka's order under the broker's names, dynamic broker settings persisted in the data
 * dir, applied live to every partition, and back after a restart. Driven with kafkajs 2.2.4 (admin
 * describeConfigs v0–2 with includeSynonyms, legacy alterConfigs) and the protocol-level client for
 * IncrementalAlterConfigs and DescribeConfigs v4 (documentation), which kafkajs does not send.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPIC_CONFIG_DOCS } from '../../src/config/topic-docs.ts';
import { closeAll, RawClient, startTestBroker, type TestBroker } from '../helpers/index.ts';
import { DescribeConfigsFacts, IncrementalAlterConfigsFacts } from '../../src/protocol/messages/api-facts.ts';

const TOPIC = 2;
const BROKER = 4;
// DescribeConfigs ConfigSource ids.
const TOPIC_CONFIG = 1;
const DYNAMIC_BROKER = 2;
const DYNAMIC_DEFAULT = 3;
const STATIC = 4;
const DEFAULT = 5;

let b: TestBroker;
let admin: Admin;
let kafka: Kafka;

async function connect(broker: TestBroker): Promise<void> {
  kafka = new Kafka({ clientId: 'kstream-config-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  admin = kafka.admin();
  await admin.connect();
}

/** kafkajs describeConfigs with synonyms, as name → { value, source, readOnly, synonyms: [name, value, source][] }. */
async function describeWith(type: number, name: string) {
  const r = await admin.describeConfigs({ resources: [{ type, name }], includeSynonyms: true });
  const res = r.resources[0]!;
  expect(res.errorCode).toBe(0);
  return Object.fromEntries(
    res.configEntries.map((e) => [
      e.configName,
      {
        value: e.configValue,
        source: e.configSource,
        readOnly: e.readOnly,
        synonyms: e.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]),
      },
    ]),
  );
}

beforeAll(async () => {
  b = await startTestBroker({ config: { 'log.cleanup.policy': 'compact', 'message.max.bytes': '2000000' } });
  await connect(b);
});

afterAll(async () => {
  await admin?.disconnect();
  await closeAll();
});

describe('DescribeConfigs on a topic (kafkajs, includeSynonyms)', () => {
  it('lists every Kafka 3.9 topic config, with synonyms built as Kafka builds them', async () => {
    await admin.createTopics({
      topics: [{ topic: 'syn', configEntries: [{ name: 'retention.ms', value: '5000' }, { name: 'message.format.version', value: '0.10.0' }] }],
    });
    const c = await describeWith(TOPIC, 'syn');
    expect(Object.keys(c).sort()).toEqual(Object.keys(TOPIC_CONFIG_DOCS).sort());
    // A topic override comes first, then the broker setting under the broker's name, then its default.
    expect(c['retention.ms']).toEqual({ value: '5000', source: TOPIC_CONFIG, readOnly: false, synonyms: [['retention.ms', '5000', TOPIC_CONFIG]] });
    expect(c['message.format.version']).toMatchObject({
      value: '0.10.0',
      source: TOPIC_CONFIG,
      synonyms: [['message.format.version', '0.10.0', TOPIC_CONFIG], ['log.message.format.version', '3.0-IV1', DEFAULT]],
    });
    // Unset topic configs never list themselves: only the broker synonyms.
    expect(c['cleanup.policy']).toEqual({
      value: 'compact',
      source: STATIC,
      readOnly: false,
      synonyms: [['log.cleanup.policy', 'compact', STATIC], ['log.cleanup.policy', 'delete', DEFAULT]],
    });
    expect(c['max.message.bytes']).toMatchObject({ value: '2000000', source: STATIC, synonyms: [['message.max.bytes', '2000000', STATIC], ['message.max.bytes', '1048588', DEFAULT]] });
    expect(c['segment.bytes']).toMatchObject({ value: '1073741824', source: DEFAULT, synonyms: [['log.segment.bytes', '1073741824', DEFAULT]] });
    // Kafka's default layer holds log.roll.hours, not log.roll.ms, so segment.ms has no synonyms.
    expect(c['segment.ms']).toMatchObject({ value: '604800000', source: DEFAULT, synonyms: [] });
    // Topic configs with no broker default.
    expect(c['leader.replication.throttled.replicas']).toEqual({ value: '', source: DEFAULT, readOnly: false, synonyms: [] });
    expect(c['follower.replication.throttled.replicas']).toMatchObject({ value: '', synonyms: [] });
    expect(c['remote.storage.enable']).toMatchObject({ value: 'false', synonyms: [] });
    expect(c['message.downconversion.enable']).toMatchObject({ value: 'true', synonyms: [['log.message.downconversion.enable', 'true', DEFAULT]] });
    expect(c['local.retention.ms']).toMatchObject({ value: '-2', synonyms: [['log.local.retention.ms', '-2', DEFAULT]] });
  });

  it('v4: Kafka\'s documentation and config types; an empty key list means every key', async () => {
    const raw = await RawClient.connect(b.port);
    try {
      const r = await raw.request(DescribeConfigsFacts, 4, { resources: [{ resourceType: TOPIC, resourceName: 'syn', configurationKeys: [] }], includeSynonyms: false, includeDocumentation: true });
      const byName = Object.fromEntries(r.results[0].configs.map((x: any) => [x.name, x]));
      expect(Object.keys(byName).length).toBe(Object.keys(TOPIC_CONFIG_DOCS).length);
      expect(byName['cleanup.policy']).toMatchObject({ configType: 7, documentation: TOPIC_CONFIG_DOCS['cleanup.policy'], synonyms: [] });
      expect(byName['retention.ms']).toMatchObject({ configType: 5, readOnly: false, isSensitive: false });
      expect(byName['leader.replication.throttled.replicas'].documentation).toMatch(/^A list of replicas for which log replication should be throttled on the leader side/);
    } finally {
      raw.close();
    }
  });
});

describe('dynamic broker configs', () => {
  it('AlterConfigs (kafkajs) on the broker: only settings Kafka can change at runtime, applied live', async () => {
    await admin.createTopics({ topics: [{ topic: 'plain' }] });
    await expect(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '1', configEntries: [{ name: 'log.retention.hours', value: '1' }] }] }),
    ).rejects.toMatchObject({ type: 'INVALID_REQUEST' }); // kafkajs shows the code's text, not Kafka's message (checked below)

    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: BROKER, name: '1', configEntries: [{ name: 'log.retention.ms', value: '60000' }, { name: 'message.max.bytes', value: '1000' }] }],
    });
    // Live: every partition's config follows at once.
    expect(b.broker.context.logs.logConfig('plain')).toMatchObject({ retentionMs: 60000, maxMessageBytes: 1000 });
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'plain', messages: [{ value: 'x'.repeat(2000) }] })).rejects.toThrow(/larger than the max message size/);
      await producer.send({ topic: 'plain', messages: [{ value: 'small' }] });
    } finally {
      await producer.disconnect();
    }

    const t = await describeWith(TOPIC, 'plain');
    expect(t['retention.ms']).toEqual({
      value: '60000',
      source: DYNAMIC_BROKER,
      readOnly: false,
      synonyms: [['log.retention.ms', '60000', DYNAMIC_BROKER], ['log.retention.hours', '168', DEFAULT]],
    });
    expect(t['max.message.bytes']!.synonyms).toEqual([['message.max.bytes', '1000', DYNAMIC_BROKER], ['message.max.bytes', '2000000', STATIC], ['message.max.bytes', '1048588', DEFAULT]]);

    const node = await describeWith(BROKER, '1');
    expect(node['log.retention.ms']).toMatchObject({ value: '60000', source: DYNAMIC_BROKER, readOnly: false });
    expect(node['log.retention.hours']).toEqual({ value: '168', source: DEFAULT, readOnly: true, synonyms: [['log.retention.hours', '168', DEFAULT]] });
    expect(node['num.partitions']).toMatchObject({ readOnly: true });
    expect(node['log.cleaner.threads']).toMatchObject({ value: '1', readOnly: false });
  });

  it('IncrementalAlterConfigs on the cluster-wide resource: SET, APPEND, DELETE; "" describes only those', async () => {
    const raw = await RawClient.connect(b.port);
    try {
      const inc = await raw.request(IncrementalAlterConfigsFacts, 1, {
        resources: [{
          resourceType: BROKER,
          resourceName: '',
          configs: [
            { name: 'log.cleaner.threads', configOperation: 0, value: '2' },
            // Kafka appends to the dynamic layer's value, else to the setting's default (not the static one).
            { name: 'log.cleanup.policy', configOperation: 2, value: 'compact' },
            { name: 'log.cleaner.delete.retention.ms', configOperation: 0, value: '1000' },
          ],
        }],
        validateOnly: false,
      });
      expect(inc.responses[0]).toMatchObject({ errorCode: 0, errorMessage: null });
      const bad = await raw.request(IncrementalAlterConfigsFacts, 1, {
        resources: [
          { resourceType: BROKER, resourceName: '', configs: [{ name: 'num.partitions', configOperation: 0, value: '3' }] },
          { resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: 'soon' }] },
          { resourceType: BROKER, resourceName: '1', configs: [{ name: 'message.max.bytes', configOperation: 2, value: '5' }] },
          { resourceType: BROKER, resourceName: 'one', configs: [{ name: 'message.max.bytes', configOperation: 0, value: '5' }] },
        ],
        validateOnly: false,
      });
      expect(bad.responses.map((x: any) => [x.errorCode, x.errorMessage])).toEqual([
        [42, 'Cannot update these configs dynamically: Set(num.partitions)'],
        [42, expect.stringMatching(/^Invalid value soon for configuration log\.retention\.ms/)],
        [40, 'Config value append is not allowed for config key: message.max.bytes'],
        [42, 'Node id must be an integer, but it is: one'],
      ]);

      const cluster = await raw.request(DescribeConfigsFacts, 2, { resources: [{ resourceType: BROKER, resourceName: '', configurationKeys: null }], includeSynonyms: true });
      const entries = cluster.results[0].configs.map((x: any) => [x.name, x.value, x.configSource, x.synonyms.map((s: any) => s.source)]);
      expect(entries.sort()).toEqual([
        ['log.cleaner.delete.retention.ms', '1000', DYNAMIC_DEFAULT, [DYNAMIC_DEFAULT]],
        ['log.cleaner.threads', '2', DYNAMIC_DEFAULT, [DYNAMIC_DEFAULT]],
        ['log.cleanup.policy', 'delete,compact', DYNAMIC_DEFAULT, [DYNAMIC_DEFAULT]],
      ]);
    } finally {
      raw.close();
    }
    const t = await describeWith(TOPIC, 'plain');
    expect(t['cleanup.policy']).toMatchObject({
      value: 'delete,compact',
      source: DYNAMIC_DEFAULT,
      synonyms: [['log.cleanup.policy', 'delete,compact', DYNAMIC_DEFAULT], ['log.cleanup.policy', 'compact', STATIC], ['log.cleanup.policy', 'delete', DEFAULT]],
    });
    expect(b.broker.context.logs.logConfig('plain')).toMatchObject({ cleanupPolicy: ['delete', 'compact'], deleteRetentionMs: 1000 });
  });

  it('survive a restart (persisted in the data dir); DELETE goes back to the lower layer', async () => {
    await admin.disconnect();
    await b.close();
    expect(existsSync(join(b.dataDir, '__kstream_meta', 'broker-configs.json'))).toBe(true);
    b = await startTestBroker({ dataDir: b.dataDir, config: { 'log.cleanup.policy': 'compact', 'message.max.bytes': '2000000' } });
    await connect(b);
    expect(b.broker.context.logs.logConfig('plain')).toMatchObject({ retentionMs: 60000, maxMessageBytes: 1000, cleanupPolicy: ['delete', 'compact'] });
    const node = await describeWith(BROKER, '1');
    expect(node['message.max.bytes']).toMatchObject({ value: '1000', source: DYNAMIC_BROKER });
    expect(node['log.cleaner.threads']).toMatchObject({ value: '2', source: DYNAMIC_DEFAULT });

    const raw = await RawClient.connect(b.port);
    try {
      const del = await raw.request(IncrementalAlterConfigsFacts, 0, {
        resources: [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'message.max.bytes', configOperation: 1, value: null }] }],
        validateOnly: false,
      });
      expect(del.responses[0].errorCode).toBe(0);
    } finally {
      raw.close();
    }
    // Back to the static setting; log.retention.ms (also per-broker) stays.
    expect(b.broker.context.logs.logConfig('plain')).toMatchObject({ retentionMs: 60000, maxMessageBytes: 2000000 });
  });
});
