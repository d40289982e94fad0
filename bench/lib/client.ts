/**
 * kstream's own client (src/client) against a bench broker, for the scenarios that measure the
 * client-side features (transactions, partition spread, streams): a Cluster per broker, a
 * back-pressured send loop, and the topic's end offsets (the check that every record landed).
 */
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import type { ProducerRecord } from '../../src/client/producer.ts';
import type { BrokerHandle } from './broker.ts';

export function clusterFor(broker: BrokerHandle, clientId: string): Cluster {
  return new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }], clientId, requestTimeoutMs: 30_000 });
}

/** What both Producer and TransactionalProducer offer to a send loop. */
export interface Sender {
  send(r: ProducerRecord): boolean;
  waitForSpace(): Promise<void>;
}

/** Sends records `from` … `to`−1 made by `make`, waiting whenever the producer's buffer is full. */
export async function sendRange(p: Sender, from: number, to: number, make: (i: number) => ProducerRecord): Promise<void> {
  for (let i = from; i < to; i++) if (!p.send(make(i))) await p.waitForSpace();
}

/** Creates a topic and waits until the client sees all its partitions. */
export async function createTopic(cluster: Cluster, topic: string, partitions: number): Promise<void> {
  await new Admin(cluster).createTopic(topic, { partitions, replicationFactor: 1 });
}

/** Sum of the partitions' end offsets (records in the topic when nothing was deleted). */
export async function topicEnd(cluster: Cluster, topic: string): Promise<number> {
  const offs = await new Admin(cluster).topicOffsets(topic);
  return offs.reduce((s, p) => s + p.latest, 0);
}

/**
 * Throws unless the topic holds exactly `expected` records (transaction markers count as offsets).
 * Markers are written after EndTxn is answered (as in Kafka: the coordinator answers once PrepareCommit
 * is durable, then writes the markers), so with `markers` the end may still be short by the last ones
 * for a moment: it is read again for up to 10 s before that counts as missing.
 */
export async function expectRecords(cluster: Cluster, topic: string, expected: number, markers = 0): Promise<void> {
  const deadline = Date.now() + (markers > 0 ? 10_000 : 0);
  for (;;) {
    const end = await topicEnd(cluster, topic);
    if (end === expected + markers) return;
    if (end > expected + markers || Date.now() >= deadline) throw new Error(`topic ${topic} ends at ${end} offsets, expected ${expected} records + ${markers} markers`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
