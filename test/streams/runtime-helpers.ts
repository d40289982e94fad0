/**
 * Helpers for the Streams runtime tests: produce lines, read a topic to its end, wait for a condition,
 * run a golden case's app on a broker.
 */
import { Admin } from "../../src/client/admin.ts";
import { Cluster } from "../../src/client/cluster.ts";
import { Consumer } from "../../src/client/consumer.ts";
import { fetchCommittedOffsets } from "../../src/client/group-offsets.ts";
import { Producer } from "../../src/client/producer.ts";
import type { ConsumerRecord } from "../../src/protocol/records/record-batch.ts";
import { KafkaStreams } from "../../src/streams/index.ts";
import type { Topology } from "../../src/streams/index.ts";
import { tempDir, waitFor as waitUntil } from "../helpers/index.ts";
import type { GoldenCase, GoldenStep } from "./golden-cases.ts";

export function clusterFor(bootstrap: string): Cluster {
  const [host, port] = bootstrap.split(":");
  return new Cluster({ bootstrap: [{ host: host!, port: Number(port) }] });
}

export async function createTopic(bootstrap: string, name: string, partitions: number): Promise<void> {
  const cluster = clusterFor(bootstrap);
  try {
    await new Admin(cluster).createTopic(name, { partitions });
  } finally {
    await cluster.close();
  }
}

export async function produceLines(bootstrap: string, topic: string, lines: Array<string | { key: string; value: string }>): Promise<void> {
  const cluster = clusterFor(bootstrap);
  const producer = new Producer(cluster);
  try {
    await producer.prepareTopic(topic);
    for (const l of lines) {
      const r = typeof l === "string" ? { key: null, value: l } : l;
      producer.send({ topic, key: r.key === null ? null : Buffer.from(r.key), value: Buffer.from(r.value) });
    }
    await producer.flush();
  } finally {
    await producer.close();
    await cluster.close();
  }
}

/** Every record of a topic, from the start to the current end. */
export async function readTopic(bootstrap: string, topic: string): Promise<Array<ConsumerRecord & { partition: number }>> {
  const cluster = clusterFor(bootstrap);
  const out: Array<ConsumerRecord & { partition: number }> = [];
  try {
    const c = new Consumer(cluster, { start: { type: "earliest" }, maxWaitMs: 100 });
    c.assign([{ topic }]);
    await c.run((b) => {
      for (const r of b.records) out.push({ ...r, partition: b.partition });
    }, { exitAtEnd: true });
    await c.close();
  } finally {
    await cluster.close();
  }
  return out;
}

/** The last value per key of a String → Long topic (what `kcat -s value=q` shows last per key). */
export async function latestCounts(bootstrap: string, topic: string): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const r of await readTopic(bootstrap, topic)) m.set(r.key!.toString(), Number(r.value!.readBigInt64BE(0)));
  return m;
}

/** Polls `check` until it returns true; fails after `timeoutMs` naming what it waited for. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e; // e.g. the output topic does not exist yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Exact word counts of lines, split as the issue's program does. */
export function expectedCounts(lines: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of l.toLowerCase().split(/\W+/).filter((x) => x.length > 0)) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** A golden case's application running on a broker (golden-broker.test.ts, global-table.test.ts). */
export interface CaseApp {
  /** The case's logical topic name → this app's topic. */
  t: (name: string) => string;
  topology: Topology;
  streams: KafkaStreams;
  /** Produces one step's record to partition 0 of its topic and waits until it is written. */
  send(step: GoldenStep): Promise<void>;
  /** Whether the app's committed offset of partition 0 of `topic` covers its first `n` records. */
  committedCovers(topic: string, n: number): Promise<boolean>;
  /** Everything "out" holds, rendered with the case's serdes and `show`, as the driver's output is. */
  output(): Promise<Array<string | null>>;
  close(): Promise<void>;
}

/**
 * Starts case `c` as application `id`: every input topic and "out" made with one partition, kept forever
 * (retention.ms=-1: the cases' timestamps are near the epoch); the record cache off, so every update is
 * forwarded as the driver forwards it; commits every 30 ms; resolves once the instance is RUNNING.
 */
export async function startCaseApp(bootstrap: string, c: GoldenCase, id: string, stateDirPrefix: string): Promise<CaseApp> {
  const t = (n: string): string => `${id}-${n}`;
  const cluster = clusterFor(bootstrap);
  const topology = c.build(t);
  const streams = new KafkaStreams(topology, {
    "application.id": id,
    "bootstrap.servers": bootstrap,
    "statestore.cache.max.bytes": 0,
    "commit.interval.ms": 30,
    "state.dir": await tempDir(stateDirPrefix),
  });
  const producer = new Producer(cluster);
  const close = async (): Promise<void> => {
    await streams.close();
    await producer.close();
    await cluster.close();
  };
  try {
    const admin = new Admin(cluster);
    for (const n of [...c.inputs, "out"]) await admin.createTopic(t(n), { partitions: 1, configs: { "retention.ms": "-1" } });
    for (const n of c.inputs) await producer.prepareTopic(t(n));
    await streams.start();
    await waitUntil(`${id} RUNNING`, () => streams.state() === "RUNNING", 60_000);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    t,
    topology,
    streams,
    close,
    async send(s) {
      producer.send({ topic: t(s.topic), partition: 0, key: s.key === null ? null : Buffer.from(s.key), value: s.value === null ? null : Buffer.from(s.value), timestamp: s.ts });
      await producer.flush();
    },
    async committedCovers(topic, n) {
      const committed = await fetchCommittedOffsets(cluster, id, [{ topic, partition: 0 }]);
      return Number([...committed.values()][0] ?? -1) >= n;
    },
    async output() {
      const out = t("out");
      return (await readTopic(bootstrap, out)).map((r) =>
        c.show(c.keySerde.deserializer().deserialize(out, r.key), c.valueSerde.deserializer().deserialize(out, r.value), Number(r.timestamp)),
      );
    },
  };
}
