import { describe, expect, it } from 'vitest';
import { assignNewPartitions, assignReplicas, rackAlternatedBrokers, ReplicaAssignmentError } from '../../src/cluster/replica-assignment.ts';

// Expected placements are Kafka's own (AdminUtilsTest / AdminRackAwareTest, fixed start index and shift).
describe("replica assignment (Kafka's assignReplicasToBrokers)", () => {
  it('rack-unaware round robin with the follower shift', () => {
    const brokers = [0, 1, 2, 3, 4].map((nodeId) => ({ nodeId, rack: null }));
    expect(assignReplicas(brokers, 10, 3, { startIndex: 0, replicaShift: 0 })).toEqual([
      [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1], [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2],
    ]);
  });

  it('rack-aware: brokers alternate racks and each partition spans racks', () => {
    const racks: Record<number, string> = { 0: 'rack1', 1: 'rack3', 2: 'rack3', 3: 'rack2', 4: 'rack2', 5: 'rack1' };
    const brokers = Object.entries(racks).map(([id, rack]) => ({ nodeId: Number(id), rack }));
    expect(rackAlternatedBrokers(brokers)).toEqual([0, 3, 1, 5, 4, 2]);
    expect(rackAlternatedBrokers(brokers.filter((b) => b.nodeId !== 5))).toEqual([0, 3, 1, 4, 2]);
    expect(assignReplicas(brokers, 7, 3, { startIndex: 0, replicaShift: 0 })).toEqual([
      [0, 3, 1], [3, 1, 5], [1, 5, 4], [5, 4, 2], [4, 2, 0], [2, 0, 3], [0, 4, 2],
    ]);
  });

  it('refuses a replication factor above the broker count and mixed rack information', () => {
    const brokers = [1, 2, 3].map((nodeId) => ({ nodeId, rack: null }));
    expect(() => assignReplicas(brokers, 1, 4)).toThrow(ReplicaAssignmentError);
    expect(() => assignReplicas(brokers, 1, 4)).toThrow('Replication factor: 4 larger than available brokers: 3.');
    expect(() => assignReplicas([{ nodeId: 1, rack: 'a' }, { nodeId: 2, rack: null }], 1, 1)).toThrow(/rack information/);
  });

  it('a random start still gives every partition distinct replicas and spreads leaders', () => {
    const brokers = [1, 2, 3].map((nodeId) => ({ nodeId, rack: null }));
    const a = assignReplicas(brokers, 6, 3);
    for (const r of a) expect(new Set(r).size).toBe(3);
    expect(new Set(a.map((r) => r[0])).size).toBe(3);
  });

  it('CreatePartitions continues the layout: added partitions are placed as if the topic had been created that large', () => {
    const brokers = [0, 1, 2, 3, 4].map((nodeId) => ({ nodeId, rack: null }));
    for (const start of [0, 2, 4]) {
      const whole = assignReplicas(brokers, 10, 3, { startIndex: start, replicaShift: start });
      const added = assignNewPartitions(brokers, whole[0]!, 4, 6);
      expect(added).toEqual(whole.slice(4));
    }
    // Partition 0's replication factor, not a default.
    expect(assignNewPartitions(brokers, [3, 4], 1, 2).every((r) => r.length === 2)).toBe(true);
    expect(() => assignNewPartitions(brokers.slice(0, 2), [0, 1, 2], 3, 1)).toThrow(ReplicaAssignmentError);
    // Rack-aware when every broker has a rack: each new partition spans the racks first.
    const racks: Record<number, string> = { 0: 'a', 1: 'b', 2: 'c', 3: 'a', 4: 'b', 5: 'c' };
    const racked = Object.entries(racks).map(([id, rack]) => ({ nodeId: Number(id), rack }));
    for (const r of assignNewPartitions(racked, [0, 1, 2], 3, 9)) expect(new Set(r.map((id) => racks[id])).size).toBe(3);
  });
});
