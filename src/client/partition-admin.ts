/**
 * Partition administration for a cluster: preferred / unclean leader elections (ElectLeaders),
 * reassignments (AlterPartitionReassignments / ListPartitionReassignments) and the health summary
 * `kstream cluster describe` prints (under-replicated and offline partitions, from Metadata) — what
 * Kafka's kafka-leader-election.sh, kafka-reassign-partitions.sh and kafka-topics.sh
 * --under-replicated-partitions / --unavailable-partitions do.
 */
import { AlterPartitionReassignmentsApi } from '../protocol/messages/alter-partition-reassignments.ts';
import { ElectLeadersApi } from '../protocol/messages/elect-leaders.ts';
import { ListPartitionReassignmentsApi } from '../protocol/messages/list-partition-reassignments.ts';
import { errorName } from '../protocol/error-codes.ts';
import type { Cluster } from './cluster.ts';
import { check } from './errors.ts';

export interface PartitionOutcome {
  topic: string;
  partition: number;
  /** Kafka's error name, NONE on success. */
  error: string;
  message: string | null;
}

/** ElectLeaders: `partitions` null = every partition (only the ones that needed an election come back). */
export async function electLeaders(cluster: Cluster, partitions: { topic: string; partition: number }[] | null, unclean: boolean): Promise<PartitionOutcome[]> {
  const conn = await cluster.controllerConnection();
  const byTopic = new Map<string, number[]>();
  for (const p of partitions ?? []) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const res = await conn.request(ElectLeadersApi, {
    electionType: unclean ? 1 : 0,
    topicPartitions: partitions === null ? null : [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })),
    timeoutMs: 30_000,
  });
  check(res.errorCode, 'ElectLeaders');
  return res.replicaElectionResults.flatMap((t) =>
    t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, error: errorName(p.errorCode), message: p.errorMessage })),
  );
}

/** AlterPartitionReassignments: target replicas per partition, null to cancel. */
export async function alterReassignments(cluster: Cluster, topic: string, targets: { partition: number; replicas: number[] | null }[]): Promise<PartitionOutcome[]> {
  const conn = await cluster.controllerConnection();
  const res = await conn.request(AlterPartitionReassignmentsApi, {
    timeoutMs: 30_000,
    topics: [{ name: topic, partitions: targets.map((t) => ({ partitionIndex: t.partition, replicas: t.replicas })) }],
  });
  check(res.errorCode, 'AlterPartitionReassignments', res.errorMessage);
  return res.responses.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, error: errorName(p.errorCode), message: p.errorMessage })));
}

export interface Reassignment {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
}

export async function listReassignments(cluster: Cluster): Promise<Reassignment[]> {
  const conn = await cluster.controllerConnection();
  const res = await conn.request(ListPartitionReassignmentsApi, { timeoutMs: 30_000, topics: null });
  check(res.errorCode, 'ListPartitionReassignments', res.errorMessage);
  return res.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })),
  );
}

export interface PartitionHealth {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

/** Partitions whose ISR is smaller than their replica set, and partitions with no leader (offline). */
export async function partitionHealth(cluster: Cluster): Promise<{ underReplicated: PartitionHealth[]; offline: PartitionHealth[]; partitions: number }> {
  const md = await cluster.refreshMetadata(null);
  const underReplicated: PartitionHealth[] = [];
  const offline: PartitionHealth[] = [];
  let partitions = 0;
  for (const t of md.topics) {
    for (const p of t.partitions) {
      partitions++;
      const h = { topic: t.name ?? '', partition: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes, offlineReplicas: p.offlineReplicas };
      if (p.leaderId < 0) offline.push(h);
      else if (p.isrNodes.length < p.replicaNodes.length) underReplicated.push(h);
    }
  }
  const order = (a: PartitionHealth, b: PartitionHealth) => a.topic.localeCompare(b.topic) || a.partition - b.partition;
  return { underReplicated: underReplicated.sort(order), offline: offline.sort(order), partitions };
}
