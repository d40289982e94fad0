/**
 * One contract, two stores: the in-process store and etcd (a real etcd child process) must behave the
 * same for registration, leases, topic creation, CAS on the partition epoch, controller election and
 * fencing, and watches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdMetadataStore, createLocalMetadataStore, metadataStoreFromSetting, newTopicId } from '../../src/cluster/stores.ts';
import { DuplicateBrokerRegistrationError, MetadataStoreError, type Lease, type MetadataEvent, type MetadataStore, type PartitionState } from '../../src/cluster/metadata-store.ts';
import { ClusterMode } from '../../src/broker/cluster-mode.ts';
import { parseEtcdEndpoints } from '../../src/cluster/etcd-kv.ts';
import { KvMetadataStore } from '../../src/cluster/kv-metadata-store.ts';
import { MemoryKv } from '../../src/cluster/memory-kv.ts';
import { etcdAvailable, etcdMissingMessage, startEtcd, waitFor, type RunningEtcd } from './etcd-harness.ts';

const reg = (nodeId: number, port = 9092 + nodeId) => ({ nodeId, host: '127.0.0.1', port, rack: null, incarnationId: `inc-${nodeId}-${Math.random()}`, inControlledShutdown: false });
const part = (replicas: number[]): PartitionState => ({ replicas, isr: [...replicas], leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0, leaderRecoveryState: 0 });

let clusterSeq = 0;

function contract(name: string, make: () => Promise<{ store: MetadataStore; expire: (lease: { revoke(): Promise<void> }) => Promise<void> }>) {
  describe(name, () => {
    it('registers brokers with a broker epoch, refuses a duplicate live node id, forgets a broker whose lease ended', async () => {
      const { store, expire } = await make();
      try {
        const l1 = await store.grantLease(5000);
        const b1 = await store.registerBroker(reg(1), l1);
        expect(b1.brokerEpoch).toBeGreaterThan(0);
        const l2 = await store.grantLease(5000);
        await expect(store.registerBroker(reg(1, 9999), l2)).rejects.toBeInstanceOf(DuplicateBrokerRegistrationError);
        // Updating under its own lease keeps the epoch.
        const upd = await store.updateBroker({ ...reg(1), inControlledShutdown: true }, l1);
        expect(upd.brokerEpoch).toBe(b1.brokerEpoch);
        let snap = await store.snapshot();
        expect(snap.brokers.map((b) => [b.nodeId, b.inControlledShutdown, b.brokerEpoch])).toEqual([[1, true, b1.brokerEpoch]]);
        await expire(l1);
        snap = await store.snapshot();
        expect(snap.brokers).toEqual([]);
        // The id is free again, and the new incarnation gets a higher broker epoch.
        const again = await store.registerBroker(reg(1), l2);
        expect(again.brokerEpoch).toBeGreaterThan(b1.brokerEpoch);
        expect(await l1.keepAlive()).toBe(false);
        expect(await l2.keepAlive()).toBe(true);
      } finally {
        await store.close();
      }
    });

    it('registers every listener endpoint; a client of a listener is told that listener\'s address', async () => {
      const { store } = await make();
      try {
        const lease = await store.grantLease(5000);
        const endpoints = [{ listener: 'CLIENT', host: 'clients.example', port: 19092 }, { listener: 'REPLICATION', host: '127.0.0.1', port: 29092 }];
        await store.registerBroker({ ...reg(7, 29092), endpoints }, lease);
        const [b] = (await store.snapshot()).brokers;
        expect(b!.endpoints).toEqual(endpoints);
        expect(ClusterMode.addressFor(b!, 'CLIENT')).toEqual({ host: 'clients.example', port: 19092 });
        expect(ClusterMode.addressFor(b!, 'REPLICATION')).toEqual({ host: '127.0.0.1', port: 29092 });
        // A listener it did not register (or a connection from outside any listener): the inter-broker address.
        expect(ClusterMode.addressFor(b!, 'OTHER')).toEqual({ host: '127.0.0.1', port: 29092 });
        expect(ClusterMode.addressFor(b!, undefined)).toEqual({ host: '127.0.0.1', port: 29092 });
        const l2 = await store.grantLease(5000);
        await expect(store.registerBroker({ ...reg(8), endpoints: [{ listener: 'X', host: 'h', port: 70000 }] }, l2)).rejects.toThrow(/listener X: bad port 70000/);
      } finally {
        await store.close();
      }
    });

    it('creates a topic with its partitions atomically, once; validates what it writes', async () => {
      const { store } = await make();
      try {
        const topic = { name: 'orders', topicId: newTopicId(), partitionCount: 2, configs: { 'min.insync.replicas': '2' } };
        expect(await store.createTopic(topic, [part([1, 2, 3]), part([2, 3, 1])])).toBe(true);
        expect(await store.createTopic(topic, [part([1]), part([1])])).toBe(false);
        const snap = await store.snapshot();
        expect(snap.topics).toEqual([topic]);
        expect(snap.partitions.map((p) => [p.topic, p.partition, p.leader, p.replicas])).toEqual([
          ['orders', 0, 1, [1, 2, 3]],
          ['orders', 1, 2, [2, 3, 1]],
        ]);
        await expect(store.createTopic({ ...topic, name: 'bad/name' }, [part([1]), part([1])])).rejects.toThrow(/bad topic name/);
        await expect(store.createTopic({ ...topic, name: 'x' }, [{ ...part([1, 2]), isr: [3] }, part([1])])).rejects.toThrow(/ISR \[3\] not within replicas/);
        expect(await store.deleteTopic('orders')).toBe(true);
        expect((await store.snapshot()).partitions).toEqual([]);
        expect(await store.deleteTopic('orders')).toBe(false);
      } finally {
        await store.close();
      }
    });

    it('alterPartition is a compare-and-set on the partition epoch', async () => {
      const { store } = await make();
      try {
        await store.createTopic({ name: 't', topicId: newTopicId(), partitionCount: 1, configs: {} }, [part([1, 2, 3])]);
        const change = { replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 0, leaderRecoveryState: 0 as const };
        const first = await store.alterPartition('t', 0, 0, change);
        expect(first).toMatchObject({ ok: true, state: { isr: [1, 2], partitionEpoch: 1 } });
        // A second writer that read epoch 0 loses, and learns the current state.
        const second = await store.alterPartition('t', 0, 0, { ...change, isr: [1, 3] });
        expect(second).toMatchObject({ ok: false, reason: 'stale-partition-epoch', current: { isr: [1, 2], partitionEpoch: 1 } });
        expect(await store.alterPartition('t', 7, 0, change)).toEqual({ ok: false, reason: 'unknown-partition' });
        await expect(store.alterPartition('t', 0, 1, { ...change, leader: 9 })).rejects.toBeInstanceOf(MetadataStoreError);
      } finally {
        await store.close();
      }
    });

    it('elects one controller per lease-backed key; a fenced controller cannot write; a new one gets a higher epoch', async () => {
      const { store, expire } = await make();
      try {
        await store.createTopic({ name: 't', topicId: newTopicId(), partitionCount: 1, configs: {} }, [part([1, 2])]);
        const la = await store.grantLease(5000);
        const lb = await store.grantLease(5000);
        const a = await store.campaign(1, la);
        const b = await store.campaign(2, lb);
        expect(a.elected).toBe(true);
        expect(b).toEqual({ elected: false, controller: a.controller });
        const epochA = a.controller!.controllerEpoch;
        const change = { replicas: [1, 2], isr: [1], leader: 1, leaderEpoch: 0, leaderRecoveryState: 0 as const };
        expect((await store.alterPartition('t', 0, 0, change, { controllerEpoch: epochA })).ok).toBe(true);
        await expire(la);
        const b2 = await store.campaign(2, lb);
        expect(b2.elected).toBe(true);
        expect(b2.controller!.controllerEpoch).toBeGreaterThan(epochA);
        // The old controller's write is refused even though the partition epoch matches.
        expect(await store.alterPartition('t', 0, 1, { ...change, isr: [1, 2] }, { controllerEpoch: epochA })).toEqual({ ok: false, reason: 'not-controller' });
        await store.resign(2, lb);
        expect((await store.snapshot()).controller).toBeNull();
      } finally {
        await store.close();
      }
    });

    it('hands out producer-id blocks that never overlap, concurrent allocations included', async () => {
      const { store } = await make();
      try {
        expect(await store.latestProducerIdBlock()).toBeNull();
        const first = await store.allocateProducerIdBlock(1, 1000);
        expect(first).toEqual({ assignedBrokerId: 1, firstProducerId: 0n, size: 1000 });
        // Two brokers asking at once: each CAS on the one key wins once; the loser goes after the winner.
        const blocks = await Promise.all([1, 2, 3, 2, 1, 3].map((b) => store.allocateProducerIdBlock(b, 1000)));
        const starts = [first, ...blocks].map((b) => b.firstProducerId).sort((a, b) => (a < b ? -1 : 1));
        expect(starts).toEqual([0n, 1000n, 2000n, 3000n, 4000n, 5000n, 6000n]);
        expect(await store.latestProducerIdBlock()).toMatchObject({ firstProducerId: 6000n, size: 1000 });
        await expect(store.allocateProducerIdBlock(1, 0)).rejects.toBeInstanceOf(MetadataStoreError);
      } finally {
        await store.close();
      }
    });

    it('watch delivers every change from a snapshot revision, in order', async () => {
      const { store, expire } = await make();
      try {
        const snap = await store.snapshot();
        const events: MetadataEvent[] = [];
        const w = await store.watch(snap.revision + 1, (e) => events.push(e), () => {});
        const lease = await store.grantLease(5000);
        await store.registerBroker(reg(3), lease);
        await store.createTopic({ name: 'w', topicId: newTopicId(), partitionCount: 1, configs: {} }, [part([3])]);
        await store.alterPartition('w', 0, 0, { replicas: [3], isr: [3], leader: 3, leaderEpoch: 1, leaderRecoveryState: 0 });
        await store.campaign(3, lease);
        await expire(lease);
        const got = await waitFor('watch events', async () => (events.length >= 7 ? events : undefined));
        w.close();
        expect(got.map((e) => e.type)).toEqual([
          'broker-registered',
          'topic-created',
          'partition-changed',
          'partition-changed',
          'controller-changed',
          // lease end deletes both keys in one revision (order within it is the store's)
          ...got.slice(5).map((e) => e.type).sort(),
        ]);
        expect(got.slice(5).map((e) => e.type).sort()).toEqual(['broker-unregistered', 'controller-changed']);
        const revs = got.map((e) => e.revision);
        expect([...revs].sort((x, y) => x - y)).toEqual(revs);
        const pc = got[3]!;
        expect(pc.type === 'partition-changed' && pc.partition.leaderEpoch === 1 && pc.partition.partitionEpoch === 1).toBe(true);
      } finally {
        await store.close();
      }
    });
  });
}

contract('local metadata store', async () => {
  let now = 1_000_000;
  const { store, kv } = createLocalMetadataStore({ now: () => now });
  const leases: Lease[] = [];
  const grant = store.grantLease.bind(store);
  store.grantLease = async (ttl) => {
    const l = await grant(ttl);
    leases.push(l);
    return l;
  };
  return {
    store,
    // Expire by time, not by revoking: every other lease is kept alive, then the clock passes the TTL.
    expire: async (lease) => {
      now += 4000;
      for (const l of leases) if (l !== lease) await l.keepAlive();
      now += 2000;
      kv.expireLeases();
    },
  };
});

describe.skipIf(!etcdAvailable)('etcd metadata store (real etcd)', () => {
  let etcd: RunningEtcd;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  contract('contract', async () => ({
    store: createEtcdMetadataStore(etcd.spec, `c${++clusterSeq}`),
    expire: (lease) => lease.revoke(),
  }));

  it('fails over to the next endpoint when one cannot be reached', async () => {
    const store = createEtcdMetadataStore(`etcd://127.0.0.1:1,${etcd.spec.slice('etcd://'.length)}`, `c${++clusterSeq}`);
    try {
      const lease = await store.grantLease(5000);
      await store.registerBroker(reg(5), lease);
      expect((await store.snapshot()).brokers.map((b) => b.nodeId)).toEqual([5]);
    } finally {
      await store.close();
    }
  });

  it('reports an unreachable etcd clearly', async () => {
    const store = createEtcdMetadataStore('etcd://127.0.0.1:1');
    await expect(store.snapshot()).rejects.toThrow(/cannot reach etcd at http:\/\/127.0.0.1:1/);
    await store.close();
  });
});

if (!etcdAvailable) it.skip(etcdMissingMessage, () => {});

describe('store settings', () => {
  it('parses endpoints and rejects bad ones by name', () => {
    expect(parseEtcdEndpoints('etcd://a:2379,b:2380')).toEqual(['http://a:2379', 'http://b:2380']);
    expect(() => parseEtcdEndpoints('etcd://a')).toThrow(/has no port/);
    expect(() => parseEtcdEndpoints('etcd://')).toThrow(/names no etcd endpoint/);
    expect(() => metadataStoreFromSetting('zk://x:1')).toThrow(/metadata.store "zk:\/\/x:1" is not understood/);
  });
});

describe('broker registration racing the previous incarnation', () => {
  it("registers when the old registration's lease ends between the failed create and the read of the key", async () => {
    const kv = new MemoryKv();
    const store = new KvMetadataStore(kv);
    try {
      const old = await store.grantLease(5000);
      await store.registerBroker(reg(3), old);
      // The old incarnation's lease runs out right after the new one's create found the key taken.
      const txn = kv.txn.bind(kv);
      let expired = false;
      kv.txn = async (compares, success) => {
        const result = await txn(compares, success);
        if (!result.succeeded && !expired) {
          expired = true;
          await kv.revokeLease(old.id);
        }
        return result;
      };
      const fresh = await store.grantLease(5000);
      const registered = await store.registerBroker(reg(3), fresh);
      expect(expired).toBe(true);
      expect(registered.nodeId).toBe(3);
      expect((await store.snapshot()).brokers.map((b) => b.nodeId)).toEqual([3]);
    } finally {
      await store.close();
    }
  });
});
