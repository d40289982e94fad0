/**
 * Where a new topic's replicas go: Kafka's `AdminUtils.assignReplicasToBrokers` (rack-unaware and
 * rack-aware round robin), so a kstream cluster spreads leaders and followers the way Kafka does.
 *
 * - Leaders of consecutive partitions go to consecutive brokers from a random start.
 * - Followers follow the leader with a shift that grows every time the partitions wrap around the
 *   broker list, so replicas of different partitions do not always pair the same brokers.
 * - With racks on every broker, the broker list alternates racks and each partition's replicas take
 *   one broker per rack before any rack gets a second.
 */

export interface AssignableBroker {
  nodeId: number;
  rack: string | null;
}

export class ReplicaAssignmentError extends Error {
  override name = 'ReplicaAssignmentError';
}

export interface AssignmentOptions {
  /** Kafka picks these at random; tests fix them. */
  startIndex?: number;
  replicaShift?: number;
  /**
   * Number the partitions from here (CreatePartitions adds partitions after the existing ones: the
   * follower shift grows where the partition ids wrap, as for a topic created that large).
   */
  startPartitionId?: number;
  random?: () => number;
}

/**
 * Replicas of partitions 0..partitions-1 (or `startPartitionId`.. on), the first of each being its
 * preferred leader.
 */
export function assignReplicas(brokers: readonly AssignableBroker[], partitions: number, replicationFactor: number, opts: AssignmentOptions = {}): number[][] {
  if (partitions <= 0) throw new ReplicaAssignmentError('Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) throw new ReplicaAssignmentError('Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length) {
    throw new ReplicaAssignmentError(`Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`);
  }
  const withRack = brokers.filter((b) => b.rack !== null).length;
  if (withRack === 0) return unaware(brokers.map((b) => b.nodeId).sort((a, b) => a - b), partitions, replicationFactor, opts);
  if (withRack < brokers.length) throw new ReplicaAssignmentError('Not all brokers have rack information for replica rack aware assignment.');
  return rackAware(brokers, partitions, replicationFactor, opts);
}

const pick = (n: number, fixed: number | undefined, random: () => number): number => (fixed !== undefined ? fixed % n : Math.floor(random() * n));

function replicaIndex(first: number, shift: number, j: number, n: number): number {
  return (first + 1 + ((shift + j) % (n - 1))) % n;
}

function unaware(ids: number[], partitions: number, rf: number, opts: AssignmentOptions): number[][] {
  const n = ids.length;
  const random = opts.random ?? Math.random;
  const startIndex = pick(n, opts.startIndex, random);
  let shift = pick(n, opts.replicaShift, random);
  const out: number[][] = [];
  const from = Math.max(0, opts.startPartitionId ?? 0);
  for (let p = from; p < from + partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + startIndex) % n;
    const replicas = [ids[first]!];
    for (let j = 0; j < rf - 1; j++) replicas.push(ids[replicaIndex(first, shift, j, n)]!);
    out.push(replicas);
  }
  return out;
}

/** Brokers ordered rack by rack in turn (racks and brokers sorted), as Kafka's getRackAlternatedBrokerList. */
/**
 * CreatePartitions without explicit assignments (Kafka's AdminZkClient.createNewPartitionsAssignment):
 * the new partitions continue the topic's layout — replication factor of partition 0, start index and
 * follower shift both the position of partition 0's leader among the brokers (sorted by id), partition
 * ids counted on from the existing ones — rack-aware when every broker has a rack.
 */
export function assignNewPartitions(brokers: readonly AssignableBroker[], partition0Replicas: readonly number[], existingPartitions: number, partitionsToAdd: number): number[][] {
  const sorted = [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  const startIndex = Math.max(0, sorted.findIndex((b) => b.nodeId >= partition0Replicas[0]!));
  return assignReplicas(brokers, partitionsToAdd, partition0Replicas.length, { startIndex, replicaShift: startIndex, startPartitionId: existingPartitions });
}

export function rackAlternatedBrokers(brokers: readonly AssignableBroker[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of brokers) {
    const list = byRack.get(b.rack!) ?? [];
    list.push(b.nodeId);
    byRack.set(b.rack!, list);
  }
  const racks = [...byRack.keys()].sort();
  for (const r of racks) byRack.get(r)!.sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const r of racks) {
      const list = byRack.get(r)!;
      if (i < list.length) out.push(list[i]!);
    }
  }
  return out;
}

function rackAware(brokers: readonly AssignableBroker[], partitions: number, rf: number, opts: AssignmentOptions): number[][] {
  const rackOf = new Map(brokers.map((b) => [b.nodeId, b.rack!]));
  const numRacks = new Set(rackOf.values()).size;
  const arranged = rackAlternatedBrokers(brokers);
  const n = arranged.length;
  const random = opts.random ?? Math.random;
  const startIndex = pick(n, opts.startIndex, random);
  let shift = pick(n, opts.replicaShift, random);
  const out: number[][] = [];
  const from = Math.max(0, opts.startPartitionId ?? 0);
  for (let p = from; p < from + partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + startIndex) % n;
    const leader = arranged[first]!;
    const replicas = [leader];
    const racks = new Set([rackOf.get(leader)!]);
    const used = new Set([leader]);
    let k = 0;
    for (let j = 0; j < rf - 1; j++) {
      for (;;) {
        const broker = arranged[replicaIndex(first, shift * numRacks, k, n)]!;
        const rack = rackOf.get(broker)!;
        k++;
        // A rack already holding a replica only once every rack has one; same for brokers.
        if ((!racks.has(rack) || racks.size === numRacks) && (!used.has(broker) || used.size === n)) {
          replicas.push(broker);
          racks.add(rack);
          used.add(broker);
          break;
        }
      }
    }
    out.push(replicas);
  }
  return out;
}
