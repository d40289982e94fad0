/**
 * Cluster membership against a real etcd (child process): three members register with leases, one is
 * elected controller, and the controller reacts through etcd watches to a crashed broker (lease
 * expiry), a crashed controller (re-election with a higher epoch, fencing), and a controlled shutdown.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterMember } from '../../src/cluster/cluster-member.ts';
import { createEtcdMetadataStore, newTopicId } from '../../src/cluster/stores.ts';
import type { MetadataEvent, MetadataStore, PartitionState } from '../../src/cluster/metadata-store.ts';
import { etcdAvailable, etcdMissingMessage, startEtcd, waitFor, type RunningEtcd } from './etcd-harness.ts';

const part = (replicas: number[]): PartitionState => ({ replicas, isr: [...replicas], leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0, leaderRecoveryState: 0 });

if (!etcdAvailable) it.skip(etcdMissingMessage, () => {});

describe.skipIf(!etcdAvailable)('cluster members over a real etcd', () => {
  let etcd: RunningEtcd;
  let seq = 0;
  const open: { members: ClusterMember[]; stores: MetadataStore[] }[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) {
      for (const m of o.members) await m.close();
      for (const s of o.stores) await s.close();
    }
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  /** Three members (each with its own store connection, as separate brokers would have) and a topic. */
  async function threeBrokers() {
    const cluster = `k${++seq}`;
    const stores = [1, 2, 3].map(() => createEtcdMetadataStore(etcd.spec, cluster));
    const seen: MetadataEvent[][] = [[], [], []];
    const warnings: string[] = [];
    const logger = { info: () => {}, warn: (m: string) => void warnings.push(m) };
    const members = stores.map(
      (store, i) => new ClusterMember({ store, nodeId: i + 1, host: '127.0.0.1', port: 9101 + i, leaseTtlMs: 2000, logger, onMetadataEvent: (e) => seen[i]!.push(e) }),
    );
    open.push({ members, stores });
    for (const m of members) await m.start();
    const admin = stores[0]!;
    await admin.createTopic({ name: 'events', topicId: newTopicId(), partitionCount: 3, configs: {} }, [part([1, 2, 3]), part([2, 3, 1]), part([3, 1, 2])]);
    const controller = await waitFor('a controller', async () => members.find((m) => m.controller !== null));
    // Everyone agrees on who it is.
    await waitFor('all members to see the controller', async () => (members.every((m) => m.currentController?.nodeId === controller.controller!.nodeId) ? true : undefined));
    return { members, admin, controller, seen, warnings };
  }

  it('elects exactly one controller, and moves leadership off a crashed broker once its lease expires', async () => {
    const { members, admin, controller, seen } = await threeBrokers();
    expect(members.filter((m) => m.controller !== null)).toHaveLength(1);
    const victim = members.find((m) => m !== controller)!;
    const victimId = members.indexOf(victim) + 1;
    victim.crash();
    const snap = await waitFor(`broker ${victimId} to be fenced`, async () => {
      const s = await admin.snapshot();
      return s.partitions.every((p) => p.leader !== victimId && !p.isr.includes(victimId)) ? s : undefined;
    });
    expect(snap.brokers.map((b) => b.nodeId)).not.toContain(victimId);
    for (const p of snap.partitions) {
      expect(p.leader).not.toBe(-1);
      expect(p.isr).toEqual(p.replicas.filter((r) => r !== victimId));
      // The partition it led changed leader (epoch bump); the others only lost an ISR member.
      expect(p.leaderEpoch).toBe(p.replicas[0] === victimId ? 1 : 0);
      expect(p.partitionEpoch).toBe(1);
    }
    // Every surviving broker learned the new state of each partition through its watch.
    for (const m of members) {
      if (m === victim) continue;
      const mine = seen[members.indexOf(m)]!;
      await waitFor(`broker ${members.indexOf(m) + 1} to see every partition change`, async () =>
        snap.partitions.every((p) => mine.some((e) => e.type === 'partition-changed' && e.partition.topic === p.topic && e.partition.partition === p.partition && e.partition.partitionEpoch === p.partitionEpoch && e.partition.leader === p.leader))
          ? true
          : undefined,
      );
    }
  });

  it('re-elects a controller with a higher epoch when the controller crashes, and the new one handles its loss', async () => {
    const { members, admin, controller } = await threeBrokers();
    const oldEpoch = controller.controller!.controllerEpoch;
    const oldId = members.indexOf(controller) + 1;
    controller.crash();
    const next = await waitFor('a new controller', async () => members.find((m) => m !== controller && m.controller !== null));
    expect(next.controller!.controllerEpoch).toBeGreaterThan(oldEpoch);
    await waitFor(`partitions to leave broker ${oldId}`, async () => {
      const s = await admin.snapshot();
      return s.partitions.every((p) => p.leader !== oldId && !p.isr.includes(oldId)) ? true : undefined;
    });
  });

  it('controlled shutdown moves leadership away before the broker leaves', async () => {
    const { members, admin, controller } = await threeBrokers();
    const leaving = members.find((m) => m !== controller)!;
    const id = members.indexOf(leaving) + 1;
    const before = await admin.snapshot();
    expect(before.partitions.some((p) => p.leader === id)).toBe(true);
    expect(await leaving.controlledShutdown(20_000)).toBe(0);
    const after = await admin.snapshot();
    expect(after.partitions.filter((p) => p.leader === id)).toEqual([]);
    expect(after.partitions.every((p) => p.leader !== -1)).toBe(true);
    expect(after.brokers.map((b) => b.nodeId)).not.toContain(id); // lease revoked: gone at once
  });

  it('a broker whose session ended while it was alive (paused, cut off) re-registers with a new broker epoch and is no longer controller', async () => {
    const { members, admin, controller } = await threeBrokers();
    const id = members.indexOf(controller) + 1;
    const oldBrokerEpoch = controller.brokerEpoch;
    const oldControllerEpoch = controller.controller!.controllerEpoch;
    // As if it had been SIGSTOPped past its TTL: etcd ends the lease, the broker keeps running.
    const revoke = await fetch(`${etcd.clientUrl}/v3/lease/revoke`, { method: 'POST', body: JSON.stringify({ ID: controller.leaseId }) });
    expect(revoke.ok).toBe(true);
    const back = await waitFor(`broker ${id} to re-register`, async () => {
      const s = await admin.snapshot();
      const b = s.brokers.find((x) => x.nodeId === id);
      return b && b.brokerEpoch > oldBrokerEpoch && s.controller && s.controller.controllerEpoch > oldControllerEpoch ? s : undefined;
    });
    const newEpoch = back.brokers.find((x) => x.nodeId === id)!.brokerEpoch;
    // The member learns its new epoch when its registration call returns (may trail etcd slightly).
    await waitFor('the member to adopt its new broker epoch', async () => (controller.brokerEpoch === newEpoch ? true : undefined));
    const controllers = await waitFor('exactly one member acting as controller', async () => {
      const acting = members.filter((m) => m.controller !== null);
      return acting.length === 1 && acting[0]!.controller!.controllerEpoch === back.controller!.controllerEpoch ? acting : undefined;
    });
    expect(controllers).toHaveLength(1);
  });

  it('survives an etcd restart: watches are re-established and a later broker loss is still handled', async () => {
    const { members, admin, controller, warnings } = await threeBrokers();
    await etcd.restart();
    const victim = members.find((m) => m !== controller)!;
    const victimId = members.indexOf(victim) + 1;
    victim.crash();
    await waitFor(`broker ${victimId} to be fenced after the etcd restart`, async () => {
      try {
        const s = await admin.snapshot();
        return s.partitions.every((p) => p.leader !== victimId && !p.isr.includes(victimId)) && s.controller ? true : undefined;
      } catch {
        return undefined; // etcd still coming back
      }
    }, 30_000);
    // The path taken: watches broke with the restart and were re-listed.
    expect(warnings.some((w) => w.startsWith(`node ${members.indexOf(controller) + 1}: metadata watch broke`))).toBe(true);
    // The surviving members are still registered (their keep-alives resumed).
    const s = await admin.snapshot();
    expect(s.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3].filter((id) => id !== victimId));
  }, 60_000);

  it('a broker restarted right after a crash waits out its old registration, then rejoins with a new epoch and is elected where it is the only ISR member', async () => {
    const { members, admin, controller } = await threeBrokers();
    const victim = members.find((m) => m !== controller)!;
    const id = members.indexOf(victim) + 1;
    const oldEpoch = victim.brokerEpoch;
    victim.crash();
    // Meanwhile a partition whose only ISR member is the victim goes offline once it is fenced.
    const snap0 = await admin.snapshot();
    await admin.createTopic({ name: 'solo', topicId: newTopicId(), partitionCount: 1, configs: {} }, [{ replicas: [id], isr: [id], leader: id, leaderEpoch: 0, partitionEpoch: 0, leaderRecoveryState: 0 }]);
    expect(snap0.brokers.map((b) => b.nodeId)).toContain(id);
    const store = createEtcdMetadataStore(etcd.spec, `k${seq}`);
    const restarted = new ClusterMember({ store, nodeId: id, host: '127.0.0.1', port: 9100 + id, leaseTtlMs: 2000 });
    open.push({ members: [restarted], stores: [store] });
    await restarted.start(); // blocks until the old lease is gone
    expect(restarted.brokerEpoch).toBeGreaterThan(oldEpoch);
    await waitFor('the solo partition to be led by the restarted broker again', async () => {
      const p = (await admin.snapshot()).partitions.find((x) => x.topic === 'solo')!;
      return p.leader === id && p.leaderEpoch >= 1 ? p : undefined;
    });
  });
});
