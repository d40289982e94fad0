/**
 * A secured cluster: etcd and three real `kstream serve` child processes whose only listener is
 * SASL_SSL (PLAIN over TLS with a private CA), `security.inter.broker.protocol=SASL_SSL`. Replica
 * fetchers log in to their leaders with the broker's own JAAS credentials over TLS; an RF 3 topic
 * produced with acks=all through the secured listener by our client ends byte-identical on all three.
 * A broker restarted with a wrong inter-broker password stays out of the ISR and says why in one line.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import { BrokerConnection } from '../../src/client/broker-connection.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import type { ClientSecurity } from '../../src/client/security.ts';
import { MetadataApi } from '../../src/protocol/messages/metadata.ts';
import { makePki, type TestPki } from '../security/pki.ts';
import { etcdAvailable, etcdMissingMessage, startClusterNode, startCluster, startEtcd, stopCluster, waitFor, type ClusterNode, type RunningEtcd } from './etcd-harness.ts';

const TOPIC = 'secured';

let etcd: RunningEtcd;
let pki: TestPki;
const nodes: ClusterNode[] = [];

/** The broker's own login (username/password) and the users it accepts (user_<name>). */
const jaas = (password: string) =>
  `org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="${password}" user_broker="broker-secret" user_alice="alice-secret";`;

function config(brokerPassword: string): string[] {
  return [
    'listeners=SASL_SSL://127.0.0.1:0',
    'security.inter.broker.protocol=SASL_SSL',
    'sasl.mechanism.inter.broker.protocol=PLAIN',
    'sasl.enabled.mechanisms=PLAIN',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas(brokerPassword)}`,
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${pki.serverKeystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${pki.caFile}`,
    'connection.failed.authentication.delay.ms=10',
    'broker.session.timeout.ms=2000',
    'replica.fetch.backoff.ms=200',
    'leader.imbalance.check.interval.seconds=3600',
  ];
}

const alice = (): ClientSecurity => ({ protocol: 'SASL_SSL', tls: { ca: pki.ca.cert }, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } });
const live = () => nodes.filter((n) => n.broker !== null);

async function metadata(n: ClusterNode) {
  const conn = await BrokerConnection.open({ host: '127.0.0.1', port: n.broker!.port, security: alice(), requestTimeoutMs: 5000, connectTimeoutMs: 5000 });
  try {
    return await conn.request(MetadataApi, { topics: [{ name: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false });
  } finally {
    conn.close();
  }
}

async function isr(n: ClusterNode): Promise<number[]> {
  const md = await metadata(n);
  return [...(md.topics[0]?.partitions[0]?.isrNodes ?? [])].sort();
}

async function produce(from: number, count: number): Promise<void> {
  const cluster = new Cluster({ bootstrap: live().map((n) => ({ host: '127.0.0.1', port: n.broker!.port })), security: alice(), connectTimeoutMs: 5000, requestTimeoutMs: 15_000 });
  const producer = new Producer(cluster, { acks: -1, lingerMs: 0 });
  try {
    await producer.prepareTopic(TOPIC);
    for (let i = from; i < from + count; i++) producer.send({ topic: TOPIC, partition: 0, key: Buffer.from(`k${i}`), value: Buffer.from(`record ${i}`) });
    await producer.flush();
  } finally {
    await producer.close({ flush: false });
    await cluster.close();
  }
}

const segment = (n: ClusterNode) => readFile(join(n.dataDir, `${TOPIC}-0`, '00000000000000000000.log')).catch(() => Buffer.alloc(0));

describe.skipIf(!etcdAvailable)('inter-broker TLS + SASL: 3 brokers with SASL_SSL-only listeners', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    pki = await makePki();
    nodes.push(...(await startCluster(etcd, { size: 3, dirPrefix: 'kstream-secure-cluster-', config: config('broker-secret'), brokersSeenBy: async (n) => (await metadata(n)).brokers.length })));
  }, 120_000);

  afterAll(() => stopCluster(nodes, etcd), 120_000);

  it('registers the SASL_SSL listener, replicates an RF 3 topic over it, followers in ISR and byte-identical', async () => {
    const md = await metadata(nodes[0]!);
    // The registered (and advertised) address is each broker's SASL_SSL listener.
    expect(md.brokers.map((b) => [b.nodeId, b.port]).sort()).toEqual(nodes.map((n) => [n.id, n.broker!.port]));
    for (const n of nodes) expect(n.broker!.output()).toMatch(/inter-broker connections: SASL_SSL \(SASL_SSL\), SASL PLAIN as broker/);

    const cluster = new Cluster({ bootstrap: [{ host: '127.0.0.1', port: nodes[0]!.broker!.port }], security: alice(), connectTimeoutMs: 5000, requestTimeoutMs: 15_000 });
    try {
      await new Admin(cluster).createTopic(TOPIC, { partitions: 1, replicationFactor: 3 });
    } finally {
      await cluster.close();
    }
    await produce(0, 200);
    // Every follower fetched everything over TLS + SASL: the full ISR, and the same bytes on disk.
    await waitFor('the full ISR', async () => ((await isr(nodes[0]!)).join() === '1,2,3' ? true : undefined), 30_000);
    const leaderId = (await metadata(nodes[0]!)).topics[0]!.partitions[0]!.leaderId;
    const leader = nodes.find((n) => n.id === leaderId)!;
    await waitFor('followers byte-identical to the leader', async () => {
      const want = await segment(leader);
      if (want.length === 0) return undefined;
      for (const n of nodes) if (!(await segment(n)).equals(want)) return undefined;
      return true;
    }, 30_000);
    const bytes = await segment(leader);
    expect(bytes.includes(Buffer.from('record 199'))).toBe(true);
    for (const n of nodes) {
      expect(n.broker!.output()).not.toMatch(/replica fetcher \d→\d .*(failed|Authentication)/);
    }
  }, 120_000);

  it('a broker with a wrong inter-broker password stays out of the ISR and logs why in one line per leader', async () => {
    const victim = nodes[2]!;
    // Controlled shutdown takes it out of the ISR and moves leadership away.
    victim.broker!.kill('SIGTERM');
    await victim.broker!.exited;
    victim.broker = null;
    await waitFor('broker 3 out of the ISR', async () => ((await isr(nodes[0]!)).includes(3) ? undefined : true), 30_000);
    await startClusterNode(victim, etcd, config('wrong-password'));
    await produce(200, 50);
    // It keeps trying (backoff 200 ms) and keeps failing: wait for the line, then for several more retries.
    const line = /WARN replica fetcher 3→(\d) \(127\.0\.0\.1:\d+\): .*(Authentication failed|authentication)/i;
    await waitFor('the follower to log why it cannot fetch', async () => (line.test(victim.broker!.output()) ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    const failures = victim.broker!.output().split('\n').filter((l) => /WARN replica fetcher 3→/.test(l));
    const perLeader = new Map<string, number>();
    for (const l of failures) perLeader.set(l.match(/3→(\d)/)![1]!, (perLeader.get(l.match(/3→(\d)/)![1]!) ?? 0) + 1);
    expect([...perLeader.values()].every((c) => c === 1), failures.join('\n')).toBe(true);
    expect(failures[0]).toMatch(/SASL|Authentication failed/i);
    expect(failures[0]).not.toContain('wrong-password');
    expect(await isr(nodes[0]!)).toEqual([1, 2]);
    // The leader refused the login (its own log line), and the follower holds none of the new records.
    expect((await segment(victim)).includes(Buffer.from('record 249'))).toBe(false);
  }, 120_000);
});

if (!etcdAvailable) it.skip(etcdMissingMessage, () => {});
