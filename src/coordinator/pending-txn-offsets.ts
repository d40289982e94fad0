import type { AcceptedCommit } from './group-metadata-manager.ts';

/**
 * Transactional offset commits not yet decided (Kafka's GroupMetadata.pendingTransactionalOffsetCommits),
 * per producer id and group. They are durable in `__consumer_offsets` as a transactional batch but
 * invisible to OffsetFetch until the transaction's COMMIT marker lands (then they become the committed
 * offsets); an ABORT marker drops them. A later commit of the same producer and partition in the same
 * transaction replaces the earlier one.
 */
export class PendingTransactionalOffsets {
  readonly #byProducer = new Map<bigint, Map<string, Map<string, AcceptedCommit>>>();

  add(producerId: bigint, groupId: string, commits: readonly AcceptedCommit[]): void {
    let groups = this.#byProducer.get(producerId);
    if (!groups) this.#byProducer.set(producerId, (groups = new Map()));
    let parts = groups.get(groupId);
    if (!parts) groups.set(groupId, (parts = new Map()));
    for (const c of commits) parts.set(`${c.topic}\u0000${c.partition}`, c);
  }

  /** Removes and returns the producer's pending commits by group (empty when it has none). */
  take(producerId: bigint): Map<string, AcceptedCommit[]> {
    const groups = this.#byProducer.get(producerId);
    this.#byProducer.delete(producerId);
    const out = new Map<string, AcceptedCommit[]>();
    for (const [g, parts] of groups ?? []) out.set(g, [...parts.values()]);
    return out;
  }

  has(groupId: string, topic: string, partition: number): boolean {
    const key = `${topic}\u0000${partition}`;
    for (const groups of this.#byProducer.values()) if (groups.get(groupId)?.has(key)) return true;
    return false;
  }

  /** Producers with pending commits for the group (DeleteGroups must not drop what a transaction will decide). */
  get size(): number {
    return this.#byProducer.size;
  }
}
