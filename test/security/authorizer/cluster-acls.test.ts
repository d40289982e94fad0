/**
 * ACLs in cluster mode: a real in-process broker on a cluster metadata store (the in-memory one etcd
 * stands in for), SASL PLAIN as User:alice, StandardAuthorizer. Metadata is answered from the metadata
 * store here (cluster-metadata.ts), so it must filter and refuse topics, gate auto-creation and report
 * authorized operations exactly as a single node does; the cluster admin APIs need their cluster ACLs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode as E } from '../../../src/protocol/error-codes.ts';
import { AclOperation as Op, type AclBinding, CLUSTER_NAME, ResourceType as Res } from '../../../src/security/authorizer/acl.ts';
import type { StandardAuthorizer } from '../../../src/security/authorizer/standard-authorizer.ts';
import { createLocalMetadataStore } from '../../../src/cluster/stores.ts';
import type { ClusterMode } from '../../../src/broker/cluster-mode.ts';
import { closeAll, RawClient, startTestBroker, type TestBroker } from '../../helpers/index.ts';
import { waitFor } from '../../helpers/wait.ts';
import { aliceAcl, saslPlain, setAcls, standardAuthorizerConfig } from './acl-fixtures.ts';
import {
  ElectLeadersFacts, ListPartitionReassignmentsFacts, MetadataFacts,
} from '../../../src/protocol/messages/api-facts.ts';

const VISIBLE = 'cacl-visible';
const HIDDEN = 'cacl-hidden';

let b: TestBroker;
let cluster: ClusterMode;
let alice: RawClient;
let authorizer: StandardAuthorizer;

const acl = (resourceType: number, resourceName: string, operation: number): AclBinding => aliceAcl(resourceType, resourceName, operation);

const grant = (...bindings: AclBinding[]) => setAcls(authorizer, ...bindings);

const metadata = async (topics: string[] | null, allowAutoTopicCreation = false) =>
  alice.request(MetadataFacts, 9, { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });

beforeAll(async () => {
  b = await startTestBroker({
    metadataStore: createLocalMetadataStore().store,
    config: standardAuthorizerConfig('SASL_PLAINTEXT://127.0.0.1:0'),
  });
  cluster = b.broker.context.cluster!;
  expect(cluster).toBeDefined();
  authorizer = b.broker.context.authorizer!;
  for (const name of [VISIBLE, HIDDEN]) await cluster.createTopic({ name, partitions: 1, replicationFactor: -1, configs: {} });
  await waitFor('both topics to have a leader', () => [VISIBLE, HIDDEN].every((t) => (cluster.partitionsOf(t)[0]?.leader ?? -1) >= 0));
  alice = await saslPlain(b.port, 'alice', 'alice-secret');
}, 60_000);

afterAll(async () => {
  alice?.close();
  await closeAll();
});

describe('ACLs in cluster mode', () => {
  it('Metadata for all topics lists only what alice may DESCRIBE, with her authorized operations', async () => {
    await grant(acl(Res.TOPIC, VISIBLE, Op.READ));
    const all = await metadata(null);
    const ours = all.topics.filter((t: { name: string }) => t.name.startsWith('cacl-'));
    expect(ours.map((t: { name: string }) => t.name)).toEqual([VISIBLE]);
    expect(ours[0].errorCode).toBe(E.NONE);
    // READ (3) and the DESCRIBE (8) it implies; no DESCRIBE on the cluster → 0 cluster operations.
    expect(ours[0].topicAuthorizedOperations).toBe((1 << Op.READ) | (1 << Op.DESCRIBE));
    expect(all.clusterAuthorizedOperations).toBe(0);
    await grant(acl(Res.TOPIC, VISIBLE, Op.READ), acl(Res.CLUSTER, CLUSTER_NAME, Op.DESCRIBE));
    expect((await metadata(null)).clusterAuthorizedOperations).toBe(1 << Op.DESCRIBE);
  });

  it('a named topic alice may not DESCRIBE is TOPIC_AUTHORIZATION_FAILED, existing or not', async () => {
    await grant(acl(Res.TOPIC, VISIBLE, Op.DESCRIBE));
    const r = await metadata([VISIBLE, HIDDEN, 'cacl-nowhere']);
    expect(r.topics.map((t: { name: string; errorCode: number; partitions: unknown[] }) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      [VISIBLE, E.NONE, 1],
      [HIDDEN, E.TOPIC_AUTHORIZATION_FAILED, 0],
      ['cacl-nowhere', E.TOPIC_AUTHORIZATION_FAILED, 0],
    ]);
  });

  it('auto-creation needs CREATE on the topic or the cluster', async () => {
    const name = 'cacl-auto';
    await grant(acl(Res.TOPIC, name, Op.DESCRIBE));
    expect((await metadata([name], true)).topics[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
    expect(cluster.topic(name)).toBeUndefined();
    await grant(acl(Res.TOPIC, name, Op.DESCRIBE), acl(Res.CLUSTER, CLUSTER_NAME, Op.CREATE));
    expect((await metadata([name], true)).topics[0].errorCode).not.toBe(E.TOPIC_AUTHORIZATION_FAILED);
    expect(cluster.topic(name)).toBeDefined();
  });

  it('ElectLeaders needs ALTER and ListPartitionReassignments DESCRIBE on the cluster', async () => {
    const elect = async () => alice.request(ElectLeadersFacts, 2, { electionType: 0, topicPartitions: [{ topic: VISIBLE, partitions: [0] }], timeoutMs: 5000 });
    const list = async () => (await alice.request(ListPartitionReassignmentsFacts, 0, { timeoutMs: 5000, topics: null })).errorCode;
    await grant();
    const refused = await elect();
    expect([refused.errorCode, refused.replicaElectionResults[0].partitionResult[0].errorCode]).toEqual([E.CLUSTER_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED]);
    expect(await list()).toBe(E.CLUSTER_AUTHORIZATION_FAILED);
    await grant(acl(Res.CLUSTER, CLUSTER_NAME, Op.ALTER), acl(Res.CLUSTER, CLUSTER_NAME, Op.DESCRIBE));
    const allowed = await elect();
    // The only replica already leads.
    expect([allowed.errorCode, allowed.replicaElectionResults[0].partitionResult[0].errorCode]).toEqual([E.NONE, E.ELECTION_NOT_NEEDED]);
    expect(await list()).toBe(E.NONE);
  });
});
