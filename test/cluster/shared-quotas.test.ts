/**
 * Client quotas shared cluster-wide: etcd and real `kstream serve` child processes. Quotas live in the
 * metadata store (client-quotas/… keys in etcd), one quota set for the cluster as Kafka keeps its
 * ClientQuotaRecords in the cluster metadata: an AlterClientQuotas answered by broker 1 is described
 * and enforced by broker 2, a removal through broker 2 reaches broker 1, and a broker started later
 * loads them. Requests go straight to one broker (not to "the controller", as our admin client does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/client/broker-connection.ts';
import { createEtcdMetadataStore } from '../../src/cluster/stores.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { AlterClientQuotasApi } from '../../src/protocol/messages/alter-client-quotas.ts';
import { DescribeClientQuotasApi } from '../../src/protocol/messages/describe-client-quotas.ts';
import { MetadataApi } from '../../src/protocol/messages/metadata.ts';
import { closeAll } from '../helpers/cleanup.ts';
import { tempDir } from '../helpers/temp.ts';
import { etcdAvailable, etcdMissingMessage, startClusterNode, startEtcd, waitFor, type ClusterNode, type RunningEtcd } from './etcd-harness.ts';

const CONFIG = ['broker.session.timeout.ms=2000', 'leader.imbalance.check.interval.seconds=3600'];

let etcd: RunningEtcd;
const nodes: ClusterNode[] = [];

async function connect(n: ClusterNode, clientId = 'quota-admin'): Promise<BrokerConnection> {
  return BrokerConnection.open({ host: '127.0.0.1', port: n.broker!.port, clientId, requestTimeoutMs: 10_000, connectTimeoutMs: 5000 });
}

async function withConnection<T>(n: ClusterNode, fn: (c: BrokerConnection) => Promise<T>): Promise<T> {
  const c = await connect(n);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

type Entity = { entityType: string; entityName: string | null }[];

/** AlterClientQuotas answered by `n`: each entry's error code. */
function alter(n: ClusterNode, entries: { entity: Entity; ops: { key: string; value: number; remove: boolean }[] }[]): Promise<number[]> {
  return withConnection(n, async (c) => (await c.request(AlterClientQuotasApi, { entries, validateOnly: false })).entries.map((e) => e.errorCode));
}

/** Every quota `n` describes, as `<entity> <key>=<value>` lines, sorted. */
function described(n: ClusterNode): Promise<string[]> {
  return withConnection(n, async (c) => {
    const res = await c.request(DescribeClientQuotasApi, { components: [], strict: false });
    expect(res.errorCode).toBe(ErrorCode.NONE);
    return (res.entries ?? [])
      .flatMap((e) => e.values.map((v) => `${e.entity.map((x) => `${x.entityType}=${x.entityName ?? '<default>'}`).join(',')} ${v.key}=${v.value}`))
      .sort();
  });
}

/** Metadata requests as client `busy`, one at a time, until `n` throttles one (bounded): its throttle_time_ms. */
async function throttledAfterBusyRequests(n: ClusterNode): Promise<number> {
  const c = await connect(n, 'busy');
  try {
    for (let i = 0; i < 20_000; i++) {
      const r = await c.request(MetadataApi, { topics: null, allowAutoTopicCreation: false });
      if (r.throttleTimeMs > 0) return r.throttleTimeMs;
    }
    return 0;
  } finally {
    c.close();
  }
}

const BUSY: Entity = [{ entityType: 'client-id', entityName: 'busy' }];
const ALICE_DEFAULT_CLIENT: Entity = [
  { entityType: 'user', entityName: 'team/alice' },
  { entityType: 'client-id', entityName: null },
];

describe.skipIf(!etcdAvailable)('client quotas in the metadata store, one set for the cluster', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    for (let id = 1; id <= 3; id++) nodes.push({ id, dataDir: await tempDir('kstream-quota-cluster-'), broker: null });
    await Promise.all(nodes.slice(0, 2).map((n) => startClusterNode(n, etcd, CONFIG)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(
      nodes.filter((n) => n.broker).map(async (n) => {
        n.broker!.kill('SIGTERM');
        await n.broker!.exited;
      }),
    );
    await closeAll();
    await etcd?.stop();
  }, 120_000);

  it('a quota set through one broker is described and enforced by the other; removed through the other, gone from the first', async () => {
    // Not throttled anywhere yet: no quota is set, so nothing is even measured.
    for (const n of nodes.slice(0, 2)) expect(await described(n)).toEqual([]);

    expect(
      await alter(nodes[0]!, [
        { entity: BUSY, ops: [{ key: 'request_percentage', value: 0.01, remove: false }] },
        { entity: ALICE_DEFAULT_CLIENT, ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] },
      ]),
    ).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    const both = ['client-id=busy request_percentage=0.01', 'user=team/alice,client-id=<default> producer_byte_rate=1024'];
    // Broker 1 answered: it describes them at once. Broker 2 learns them through its etcd watch.
    expect(await described(nodes[0]!)).toEqual(both);
    await waitFor('broker 2 to describe the quotas', async () => ((await described(nodes[1]!)).join('\n') === both.join('\n') ? true : undefined), 10_000);

    // In etcd under the documented key layout, one key per entity and quota key.
    const store = createEtcdMetadataStore(etcd.spec);
    try {
      const { records } = await store.listClientQuotas();
      expect(records).toEqual([
        { entity: { 'client-id': null, user: 'team/alice' }, key: 'producer_byte_rate', value: 1024 },
        { entity: { 'client-id': 'busy' }, key: 'request_percentage', value: 0.01 },
      ]);
    } finally {
      await store.close();
    }

    // Broker 2 enforces the quota set through broker 1 (each broker on its own traffic, as in Kafka).
    const throttle = await throttledAfterBusyRequests(nodes[1]!);
    console.log(`[shared quotas] broker 2 throttled client busy for ${throttle} ms`);
    expect(throttle).toBeGreaterThan(0);

    expect(await alter(nodes[1]!, [{ entity: BUSY, ops: [{ key: 'request_percentage', value: 0, remove: true }] }])).toEqual([ErrorCode.NONE]);
    expect(await described(nodes[1]!)).toEqual([both[1]]);
    await waitFor('broker 1 to drop the removed quota', async () => ((await described(nodes[0]!)).join('\n') === both[1] ? true : undefined), 10_000);
  }, 90_000);

  it('a broker that joins later loads the cluster quotas from the store', async () => {
    const late = nodes[2]!;
    await startClusterNode(late, etcd, CONFIG);
    expect(late.broker!.output()).toMatch(/client quotas: 1 values loaded from the metadata store/);
    expect(await described(late)).toEqual(['user=team/alice,client-id=<default> producer_byte_rate=1024']);
  }, 60_000);
});

if (!etcdAvailable) it.skip(etcdMissingMessage, () => {});
