/**
 * The zero-config path `kstream serve` will take: one broker on the in-process store (wall clock,
 * lease expiry on a timer) registers, becomes controller of its one-node cluster, and leaves cleanly.
 */
import { describe, expect, it } from 'vitest';
import { ClusterMember } from '../../src/cluster/cluster-member.ts';
import { metadataStoreFromSetting, newTopicId } from '../../src/cluster/stores.ts';
import { waitFor } from './etcd-harness.ts';

describe('single node on the local metadata store', () => {
  it('registers, is elected controller, keeps its partitions led, and leaves no registration behind', async () => {
    const store = metadataStoreFromSetting(undefined);
    const member = new ClusterMember({ store, nodeId: 0, host: '127.0.0.1', port: 9092 });
    try {
      await member.start();
      await store.createTopic({ name: 'solo', topicId: newTopicId(), partitionCount: 2, configs: {} }, [0, 1].map(() => ({ replicas: [0], isr: [0], leader: 0, leaderEpoch: 0, partitionEpoch: 0, leaderRecoveryState: 0 as const })));
      const ctl = await waitFor('the node to become controller', async () => member.controller ?? undefined);
      expect(ctl.nodeId).toBe(0);
      await member.idle();
      const snap = await store.snapshot();
      expect(snap.controller).toEqual({ nodeId: 0, controllerEpoch: ctl.controllerEpoch });
      expect(snap.brokers.map((b) => [b.nodeId, b.brokerEpoch])).toEqual([[0, member.brokerEpoch]]);
      expect(snap.partitions.map((p) => [p.leader, p.isr])).toEqual([[0, [0]], [0, [0]]]);
      // Controlled shutdown of the only replica: nobody else can lead, so the partitions go offline
      // (leader -1, ISR kept) rather than being led by a broker that is leaving — Kafka's behaviour.
      expect(await member.controlledShutdown(5000)).toBe(0);
      const after = await store.snapshot();
      expect(after.brokers).toEqual([]);
      expect(after.controller).toBeNull();
      expect(after.partitions.map((p) => [p.leader, p.isr, p.leaderEpoch])).toEqual([[-1, [0], 1], [-1, [0], 1]]);
    } finally {
      await member.close();
      await store.close();
    }
  });
});
