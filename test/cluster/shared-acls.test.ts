/**
 * ACLs shared cluster-wide: etcd and two real `kstream serve` child processes with SASL_PLAINTEXT
 * listeners and the StandardAuthorizer. ACLs live in the metadata store (acls/… keys in etcd); each
 * broker watches them, so a CreateAcls answered by broker 1 is enforced by broker 2 and a DeleteAcls
 * answered by broker 2 by broker 1, within the watch delay. A broker started later loads them.
 * SCRAM credentials likewise (scram/… keys): a user created through one broker logs in on the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/client/broker-connection.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Admin } from '../../src/client/admin.ts';
import { createAcls, deleteAcls, describeAcls } from '../../src/client/acls-admin.ts';
import { ScramAdmin } from '../../src/client/scram-admin.ts';
import type { ClientSecurity } from '../../src/client/security.ts';
import { createEtcdMetadataStore } from '../../src/cluster/stores.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { MetadataApi } from '../../src/protocol/messages/metadata.ts';
import { AclOperation, AclPermissionType, ANY_ACL, PatternType, ResourceType, type AclBinding } from '../../src/security/authorizer/acl.ts';
import { closeAll } from '../helpers/cleanup.ts';
import { tempDir } from '../helpers/temp.ts';
import { etcdAvailable, etcdMissingMessage, startClusterNode, startEtcd, waitFor, type ClusterNode, type RunningEtcd } from './etcd-harness.ts';

const TOPIC = 'guarded';
const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';
const CONFIG = [
  'listeners=SASL_PLAINTEXT://127.0.0.1:0',
  'security.inter.broker.protocol=SASL_PLAINTEXT',
  'sasl.mechanism.inter.broker.protocol=PLAIN',
  `listener.name.sasl_plaintext.plain.sasl.jaas.config=${JAAS}`,
  'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'super.users=User:admin',
  'connection.failed.authentication.delay.ms=10',
  'broker.session.timeout.ms=2000',
  'leader.imbalance.check.interval.seconds=3600',
];

let etcd: RunningEtcd;
const nodes: ClusterNode[] = [];

const as = (username: string, password: string): ClientSecurity => ({ protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username, password } });
const admin = as('admin', 'admin-secret');
const alice = as('alice', 'alice-secret');

const aliceDescribes: AclBinding = {
  resourceType: ResourceType.TOPIC,
  resourceName: TOPIC,
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: AclOperation.DESCRIBE,
  permissionType: AclPermissionType.ALLOW,
};

function clusterVia(n: ClusterNode, security: ClientSecurity): Cluster {
  return new Cluster({ bootstrap: [{ host: '127.0.0.1', port: n.broker!.port }], security, connectTimeoutMs: 5000, requestTimeoutMs: 10_000 });
}

/** What `n` answers alice's Metadata for the topic with (0 when she may describe it). */
async function aliceSees(n: ClusterNode): Promise<number> {
  const conn = await BrokerConnection.open({ host: '127.0.0.1', port: n.broker!.port, security: alice, requestTimeoutMs: 5000, connectTimeoutMs: 5000 });
  try {
    const md = await conn.request(MetadataApi, { topics: [{ name: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false });
    return md.topics[0]!.errorCode;
  } finally {
    conn.close();
  }
}

async function withCluster<T>(n: ClusterNode, security: ClientSecurity, fn: (c: Cluster) => Promise<T>): Promise<T> {
  const c = clusterVia(n, security);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

describe.skipIf(!etcdAvailable)('ACLs in the metadata store, enforced by every broker', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    for (let id = 1; id <= 3; id++) nodes.push({ id, dataDir: await tempDir('kstream-acl-cluster-'), broker: null });
    await Promise.all(nodes.slice(0, 2).map((n) => startClusterNode(n, etcd, CONFIG)));
    await withCluster(nodes[0]!, admin, (c) => new Admin(c).createTopic(TOPIC, { partitions: 1, replicationFactor: 2 }));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(nodes.filter((n) => n.broker).map(async (n) => {
      n.broker!.kill('SIGTERM');
      await n.broker!.exited;
    }));
    await closeAll();
    await etcd?.stop();
  }, 120_000);

  it('CreateAcls on one broker is enforced by the other; DeleteAcls on the other by the first', async () => {
    // No ACL yet: alice may not describe the topic on either broker.
    for (const n of nodes.slice(0, 2)) expect(await aliceSees(n)).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

    await withCluster(nodes[0]!, admin, (c) => createAcls(c, [aliceDescribes]));
    // Broker 1 answered: it enforces at once. Broker 2 learns it through its etcd watch.
    expect(await aliceSees(nodes[0]!)).toBe(ErrorCode.NONE);
    await waitFor('broker 2 to enforce the new ACL', async () => ((await aliceSees(nodes[1]!)) === ErrorCode.NONE ? true : undefined), 10_000);
    // Both describe it, and it is in etcd under the documented key layout.
    for (const n of nodes.slice(0, 2)) {
      const listed = await withCluster(n, admin, (c) => describeAcls(c, ANY_ACL));
      expect(listed).toEqual([aliceDescribes]);
    }
    const store = createEtcdMetadataStore(etcd.spec);
    try {
      expect((await store.listAcls()).acls).toEqual([
        { resourceType: 'TOPIC', resourceName: TOPIC, patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'DESCRIBE', permissionType: 'ALLOW' },
      ]);
    } finally {
      await store.close();
    }

    const deleted = await withCluster(nodes[1]!, admin, (c) => deleteAcls(c, [ANY_ACL]));
    expect(deleted).toEqual([aliceDescribes]);
    expect(await aliceSees(nodes[1]!)).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    await waitFor('broker 1 to enforce the deletion', async () => ((await aliceSees(nodes[0]!)) === ErrorCode.TOPIC_AUTHORIZATION_FAILED ? true : undefined), 10_000);
  }, 60_000);

  it('a SCRAM user created through one broker logs in on the other; deleted through the other, refused by the first', async () => {
    const bob = (n: ClusterNode) =>
      BrokerConnection.open({ host: '127.0.0.1', port: n.broker!.port, security: { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-secret' } }, requestTimeoutMs: 5000, connectTimeoutMs: 5000 }).then(
        (c) => (c.close(), 'ok'),
        (e: Error) => e.message,
      );
    expect(await bob(nodes[1]!)).toMatch(/Authentication failed/i);
    const results = await withCluster(nodes[0]!, admin, (c) => new ScramAdmin(c).alter([{ user: 'bob', mechanism: 'SCRAM-SHA-256', password: 'bob-secret' }]));
    expect(results.map((r) => r.error)).toEqual([null]);
    expect(await bob(nodes[0]!)).toBe('ok');
    await waitFor('broker 2 to accept bob', async () => ((await bob(nodes[1]!)) === 'ok' ? true : undefined), 10_000);
    const described = await withCluster(nodes[1]!, admin, (c) => new ScramAdmin(c).describe(['bob']));
    expect(described[0]!.credentials.map((c) => c.mechanism)).toEqual(['SCRAM-SHA-256']);
    await withCluster(nodes[1]!, admin, (c) => new ScramAdmin(c).alter([], [{ user: 'bob', mechanism: 'SCRAM-SHA-256' }]));
    await waitFor('broker 1 to refuse bob', async () => (/Authentication failed/i.test(await bob(nodes[0]!)) ? true : undefined), 10_000);
  }, 60_000);

  it('a broker that joins later loads the cluster ACLs from the store', async () => {
    await withCluster(nodes[0]!, admin, (c) => createAcls(c, [aliceDescribes]));
    const late = nodes[2]!;
    await startClusterNode(late, etcd, CONFIG);
    expect(late.broker!.output()).toMatch(/authorizer: 1 ACLs loaded from the metadata store/);
    expect(await aliceSees(late)).toBe(ErrorCode.NONE);
  }, 60_000);
});

if (!etcdAvailable) it.skip(etcdMissingMessage, () => {});
