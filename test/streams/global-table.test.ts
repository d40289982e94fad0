/**
 * GlobalKTable and global stores in KafkaStreams on a real broker: the global thread restores every
 * global store from its source topic before start() resolves, keeps it updated, lets stream tasks
 * read it (join/leftJoin through a key mapper, getStateStore read-only) and interactive queries see
 * it, checkpoints it in `<state.dir>/<app>/global/.checkpoint` so a clean restart restores only the
 * tail, and reads read_committed under exactly_once_v2.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Admin } from "../../src/client/admin.ts";
import { Producer } from "../../src/client/producer.ts";
import { TransactionalProducer } from "../../src/client/transactional-producer.ts";
import { Consumed, KafkaStreams, Materialized, Produced, Serdes, Stores, StreamsBuilder, Topology } from "../../src/streams/index.ts";
import type { KafkaStreamsState, ProcessorContext, ReadOnlyKeyValueStore, Record, StateRestoreListener } from "../../src/streams/index.ts";
import type { KeyValueStore } from "../../src/streams/state/state-store.ts";
import { closeAll, startTestBroker, tempDir, type TestBroker } from "../helpers/index.ts";
import { driverReference, streamGlobalTableJoinCases, type GoldenCase } from "./golden-cases.ts";
import { clusterFor, createTopic, produceLines, readTopic, startCaseApp, waitFor } from "./runtime-helpers.ts";

const S = Serdes.String();

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await closeAll();
});

/** Records restored per store, summed over partitions (the global restore listener's onRestoreEnd). */
function restoreCounter(): { listener: StateRestoreListener; restored: Map<string, number> } {
  const restored = new Map<string, number>();
  return { restored, listener: { onRestoreEnd: (_tp, store, n) => restored.set(store, (restored.get(store) ?? 0) + n) } };
}

const strings = (rs: Array<{ key: Buffer | null; value: Buffer | null }>): string[] => rs.map((r) => `${r.key?.toString()}=${r.value?.toString()}`);

/**
 * A golden case through KafkaStreams. The stream side ("left") waits, per record, for the group's
 * committed offset to cover it (as golden-broker.test.ts); the global side ("right") has no group, so
 * each of its records waits until the global store (an interactive query) holds what the driver's
 * does after it — what the next stream record's join depends on.
 */
async function runGlobalCaseOnBroker(c: GoldenCase, id: string): Promise<Array<string | null>> {
  const app = await startCaseApp(broker.bootstrap, c, id, "kstream-gt-golden-");
  try {
    const storeName = [...app.topology.globalStoreNames][0]!;
    const store = app.streams.store<string, string>(storeName) as ReadOnlyKeyValueStore<string, string>;
    let leftProduced = 0;
    for (const [i, s] of c.steps.entries()) {
      await app.send(s);
      if (s.topic === "left") {
        const n = ++leftProduced;
        await waitFor(`${id}: step ${i} processed and committed`, () => app.committedCovers(app.t(s.topic), n));
      } else {
        await waitFor(`${id}: step ${i} in the global store`, () => store.get(s.key!) === s.value);
      }
    }
    return await app.output(); // the join cases' serdes are Strings
  } finally {
    await app.close();
  }
}

describe.concurrent("stream-globalTable joins: a real broker gives the TopologyTestDriver's output", () => {
  streamGlobalTableJoinCases.forEach((c, i) => {
    it(c.name, async ({ expect }) => {
      const want = driverReference(c, expect);
      expect(await runGlobalCaseOnBroker(c, `gt-golden-${i}`)).toEqual(want);
    }, 60_000);
  });
});

describe("GlobalKTable in KafkaStreams", () => {
  it("restores the whole global topic before start() resolves, joins through the key mapper, and sees later updates", async () => {
    const app = "gt-orders";
    await createTopic(broker.bootstrap, "gt-users", 3); // not co-partitioned with the stream: a global table need not be
    await createTopic(broker.bootstrap, "gt-orders", 2);
    await createTopic(broker.bootstrap, "gt-enriched", 1);
    const users = Array.from({ length: 30 }, (_, i) => ({ key: `u${i}`, value: `name${i}` }));
    await produceLines(broker.bootstrap, "gt-users", users);

    const b = new StreamsBuilder();
    const table = b.globalTable<string, string>("gt-users", Consumed.with(S, S), Materialized.as("users-store"));
    b.stream<string, string>("gt-orders", Consumed.with(S, S))
      .leftJoin(table, (_k: string, v: string) => v.split(":")[0]!, (order: string, user: string | null) => `${order} by ${user}`)
      .to("gt-enriched", Produced.with(S, S));
    const stateDir = await tempDir("kstream-gt-");
    const streams = new KafkaStreams(b.build(), { "application.id": app, "bootstrap.servers": broker.bootstrap, "commit.interval.ms": 50, "state.dir": stateDir });
    const states: KafkaStreamsState[] = [];
    streams.setStateListener((n) => states.push(n));
    const { listener, restored } = restoreCounter();
    streams.setGlobalStateRestoreListener(listener);
    try {
      await streams.start();
      // Restored before start() resolved: every user is there at once, on all three partitions.
      expect(restored.get("users-store")).toBe(30);
      const store = streams.store<string, string>("users-store") as ReadOnlyKeyValueStore<string, string>;
      expect(store.get("u0")).toBe("name0");
      expect(store.get("u29")).toBe("name29");
      expect(store.approximateNumEntries()).toBe(30);
      expect(store.get("nobody")).toBeNull();
      await waitFor("RUNNING", () => streams.state() === "RUNNING");
      expect(states[0]).toBe("REBALANCING");

      await produceLines(broker.bootstrap, "gt-orders", [{ key: "o1", value: "u1:book" }, { key: "o2", value: "u99:pen" }]);
      await waitFor("two joined orders", async () => (await readTopic(broker.bootstrap, "gt-enriched")).length === 2);
      // An update to the global topic is seen by stream records processed after it was applied.
      await produceLines(broker.bootstrap, "gt-users", [{ key: "u1", value: "Ada" }, { key: "u99", value: "Grace" }]);
      await waitFor("the update in the global store", () => store.get("u1") === "Ada" && store.get("u99") === "Grace");
      await produceLines(broker.bootstrap, "gt-orders", [{ key: "o3", value: "u1:lamp" }, { key: "o4", value: "u99:ink" }]);
      await waitFor("four joined orders", async () => (await readTopic(broker.bootstrap, "gt-enriched")).length === 4);
      const out = strings(await readTopic(broker.bootstrap, "gt-enriched")).sort();
      expect(out).toEqual(["o1=u1:book by name1", "o2=u99:pen by null", "o3=u1:lamp by Ada", "o4=u99:ink by Grace"]);
      // Nothing global made a changelog topic: the source topic is the changelog.
      const cluster = clusterFor(broker.bootstrap);
      try {
        const names = (await new Admin(cluster).listTopics()).map((x) => (typeof x === "string" ? x : (x as { name: string }).name));
        expect(names.filter((n) => n.startsWith(`${app}-`))).toEqual([]);
      } finally {
        await cluster.close();
      }
    } finally {
      await streams.close();
    }
    expect(streams.state()).toBe("NOT_RUNNING");
    // Persistent by default with a state.dir: node:sqlite in the global directory, beside its checkpoint.
    expect(existsSync(join(stateDir, app, "global", "users-store.sqlite"))).toBe(true);
    expect(existsSync(join(stateDir, app, "global", ".checkpoint"))).toBe(true);
  }, 90_000);

  it("a clean restart restores only the tail from the global checkpoint; an in-memory store restores everything", async () => {
    await createTopic(broker.bootstrap, "gt-rates", 2);
    await createTopic(broker.bootstrap, "gt-trades", 1);
    await createTopic(broker.bootstrap, "gt-priced", 1);
    await produceLines(broker.bootstrap, "gt-rates", Array.from({ length: 20 }, (_, i) => ({ key: `c${i}`, value: `${i}` })));
    const stateDir = await tempDir("kstream-gt-ckpt-");
    const build = (inMemory: boolean): Topology => {
      const b = new StreamsBuilder();
      const m = inMemory ? Materialized.as<string, string>(Stores.inMemoryKeyValueStore("rates")) : Materialized.as<string, string>(Stores.persistentKeyValueStore("rates"));
      const rates = b.globalTable<string, string>("gt-rates", Consumed.with(S, S), m);
      b.stream<string, string>("gt-trades", Consumed.with(S, S))
        .join(rates, (k: string) => k, (qty: string, rate: string) => `${qty}@${rate}`)
        .to("gt-priced", Produced.with(S, S));
      return b.build();
    };
    const config = { "application.id": "gt-ckpt", "bootstrap.servers": broker.bootstrap, "commit.interval.ms": 50, "state.dir": stateDir };
    const run = async (inMemory: boolean, during?: (s: KafkaStreams) => Promise<void>): Promise<number> => {
      const streams = new KafkaStreams(build(inMemory), config);
      const { listener, restored } = restoreCounter();
      streams.setGlobalStateRestoreListener(listener);
      try {
        await streams.start();
        await during?.(streams);
      } finally {
        await streams.close();
      }
      return restored.get("rates") ?? 0;
    };

    expect(await run(false)).toBe(20);
    const ckpt = join(stateDir, "gt-ckpt", "global", ".checkpoint");
    expect(existsSync(ckpt)).toBe(true);
    // Kafka's OffsetCheckpoint format; a global checkpoint holds the next offset to read per partition.
    const lines = readFileSync(ckpt, "utf8").trim().split("\n");
    expect(lines.slice(0, 2)).toEqual(["0", "2"]);
    const offsets = lines.slice(2).map((l) => l.split(" "));
    expect(offsets.map((o) => o[0])).toEqual(["gt-rates", "gt-rates"]);
    expect(offsets.reduce((n, o) => n + Number(o[2]), 0)).toBe(20);

    await produceLines(broker.bootstrap, "gt-rates", Array.from({ length: 5 }, (_, i) => ({ key: `c${i}`, value: `${100 + i}` })));
    expect(
      await run(false, async (s) => {
        const store = s.store<string, string>("rates") as ReadOnlyKeyValueStore<string, string>;
        expect(store.get("c0")).toBe("100");
        expect(store.get("c19")).toBe("19");
        await produceLines(broker.bootstrap, "gt-trades", [{ key: "c4", value: "7" }]);
        await waitFor("the priced trade", async () => (await readTopic(broker.bootstrap, "gt-priced")).length === 1);
        expect(strings(await readTopic(broker.bootstrap, "gt-priced"))).toEqual(["c4=7@104"]);
      }),
    ).toBe(5);
    // Nothing new: nothing to restore.
    expect(await run(false)).toBe(0);
    // An in-memory global store keeps no checkpoint: every start restores the whole topic.
    expect(await run(true)).toBe(25);
    expect(await run(true)).toBe(25);
  }, 120_000);

  it("addGlobalStore: the state-update processor runs in the global thread; tasks read the store read-only", async () => {
    await createTopic(broker.bootstrap, "gt-limits", 1);
    await createTopic(broker.bootstrap, "gt-requests", 1);
    await createTopic(broker.bootstrap, "gt-decisions", 1);
    await produceLines(broker.bootstrap, "gt-limits", [{ key: "alice", value: "3" }, { key: "bob", value: "x" }]);
    const topology = new Topology();
    // The update processor keeps only numeric limits (a custom processor, not a plain table copy).
    topology.addGlobalStore(
      Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("limits"), S, S),
      "limits-source",
      { keySerde: S, valueSerde: S },
      "gt-limits",
      "limits-updater",
      () => {
        let store: KeyValueStore<string, string>;
        return {
          init(ctx: ProcessorContext<never, never>) {
            store = ctx.getStateStore<KeyValueStore<string, string>>("limits");
          },
          process(r: Record<string, string>) {
            if (/^\d+$/.test(r.value())) store.put(r.key(), r.value());
          },
        };
      },
    );
    topology.addSource({ name: "requests", keySerde: S, valueSerde: S }, "gt-requests");
    topology.addProcessor<string, string, string, string>("decide", () => {
      let ctx: ProcessorContext<string, string>;
      return {
        init(c: ProcessorContext<string, string>) {
          ctx = c;
        },
        process(r: Record<string, string>) {
          const limits = ctx.getStateStore<KeyValueStore<string, string>>("limits");
          let write: string;
          try {
            limits.put(r.key(), "0");
            write = "writable";
          } catch (e) {
            write = (e as Error).message;
          }
          ctx.forward(r.withValue(`${r.key()} limit ${limits.get(r.key())} (${write})`));
        },
      };
    }, "requests");
    topology.addSink("decisions", "gt-decisions", { keySerde: S, valueSerde: S }, "decide");
    const streams = new KafkaStreams(topology, { "application.id": "gt-store", "bootstrap.servers": broker.bootstrap, "commit.interval.ms": 50, "state.dir": await tempDir("kstream-gt-store-") });
    try {
      await streams.start();
      await produceLines(broker.bootstrap, "gt-requests", [{ key: "alice", value: "go" }, { key: "bob", value: "go" }]);
      await waitFor("two decisions", async () => (await readTopic(broker.bootstrap, "gt-decisions")).length === 2);
      expect(strings(await readTopic(broker.bootstrap, "gt-decisions"))).toEqual([
        "alice=alice limit 3 (Global store is read only)",
        "bob=bob limit null (Global store is read only)",
      ]);
    } finally {
      await streams.close();
    }
  }, 90_000);

  it("exactly_once_v2: the global store reads read_committed (an aborted write never shows)", async () => {
    await createTopic(broker.bootstrap, "gt-eos-prices", 1);
    await createTopic(broker.bootstrap, "gt-eos-items", 1);
    await createTopic(broker.bootstrap, "gt-eos-out", 1);
    const cluster = clusterFor(broker.bootstrap);
    const txn = new TransactionalProducer(cluster, { transactionalId: "gt-eos-writer" });
    const write = async (key: string, value: string, commit: boolean): Promise<void> => {
      txn.beginTransaction();
      txn.send({ topic: "gt-eos-prices", key: Buffer.from(key), value: Buffer.from(value) });
      await txn.flush();
      if (commit) await txn.commitTransaction();
      else await txn.abortTransaction();
    };
    const b = new StreamsBuilder();
    const prices = b.globalTable<string, string>("gt-eos-prices", Consumed.with(S, S), Materialized.as("eos-prices"));
    b.stream<string, string>("gt-eos-items", Consumed.with(S, S))
      .leftJoin(prices, (k: string) => k, (item: string, price: string | null) => `${item}:${price}`)
      .to("gt-eos-out", Produced.with(S, S));
    const streams = new KafkaStreams(b.build(), { "application.id": "gt-eos", "bootstrap.servers": broker.bootstrap, "processing.guarantee": "exactly_once_v2", "state.dir": await tempDir("kstream-gt-eos-") });
    const { listener, restored } = restoreCounter();
    streams.setGlobalStateRestoreListener(listener);
    try {
      await txn.initTransactions();
      await txn.prepareTopic("gt-eos-prices");
      await write("apple", "1", true);
      await write("apple", "999", false);
      await write("pear", "2", true);
      await streams.start();
      expect(restored.get("eos-prices")).toBe(2); // the aborted record is not restored
      const store = streams.store<string, string>("eos-prices") as ReadOnlyKeyValueStore<string, string>;
      expect(store.get("apple")).toBe("1");
      await write("pear", "666", false);
      await write("plum", "3", true);
      await waitFor("plum in the global store", () => store.get("plum") === "3");
      expect(store.get("pear")).toBe("2");
      await produceLines(broker.bootstrap, "gt-eos-items", [{ key: "apple", value: "a" }, { key: "pear", value: "p" }, { key: "plum", value: "q" }]);
      await waitFor("three joined items", async () => (await readTopic(broker.bootstrap, "gt-eos-out")).length === 3);
      expect(strings(await readTopic(broker.bootstrap, "gt-eos-out"))).toEqual(["apple=a:1", "pear=p:2", "plum=q:3"]);
    } finally {
      await streams.close();
      await txn.close();
      await cluster.close();
    }
  }, 90_000);

  it("a failing global thread takes the client to ERROR (REPLACE_THREAD cannot replace it)", async () => {
    await createTopic(broker.bootstrap, "gt-bad-global", 1);
    await createTopic(broker.bootstrap, "gt-bad-in", 1);
    const cluster = clusterFor(broker.bootstrap);
    const producer = new Producer(cluster);
    const b = new StreamsBuilder();
    const g = b.globalTable<string, number>("gt-bad-global", Consumed.with(S, Serdes.Long()));
    b.stream<string, string>("gt-bad-in", Consumed.with(S, S)).leftJoin(g, (k: string) => k, (a: string, c: number | null) => `${a}${String(c)}`).to("gt-bad-out", Produced.with(S, S));
    const streams = new KafkaStreams(b.build(), { "application.id": "gt-bad", "bootstrap.servers": broker.bootstrap, "state.dir": await tempDir("kstream-gt-bad-") });
    const seen: string[] = [];
    streams.setUncaughtExceptionHandler((e) => {
      seen.push(e.message);
      return "REPLACE_THREAD";
    });
    try {
      await streams.start();
      await waitFor("RUNNING", () => streams.state() === "RUNNING");
      await producer.prepareTopic("gt-bad-global");
      // Three bytes are no Long: the default handler (logAndFail) stops the global thread.
      producer.send({ topic: "gt-bad-global", key: Buffer.from("k"), value: Buffer.from("abc") });
      await producer.flush();
      await waitFor("ERROR", () => streams.state() === "ERROR");
      expect(seen.length).toBe(1);
    } finally {
      await streams.close();
      await producer.close();
      await cluster.close();
    }
  }, 60_000);

  it("a topology of global stores only runs without a group: RUNNING once restored", async () => {
    await createTopic(broker.bootstrap, "gt-only", 2);
    await produceLines(broker.bootstrap, "gt-only", [{ key: "a", value: "1" }, { key: "b", value: "2" }, { key: "a", value: "3" }]);
    const b = new StreamsBuilder();
    b.globalTable<string, string>("gt-only", Consumed.with(S, S), Materialized.as("only-store"));
    const streams = new KafkaStreams(b.build(), { "application.id": "gt-only-app", "bootstrap.servers": broker.bootstrap, "state.dir": await tempDir("kstream-gt-only-") });
    try {
      await streams.start();
      expect(streams.state()).toBe("RUNNING");
      const store = streams.store<string, string>("only-store") as ReadOnlyKeyValueStore<string, string>;
      expect(store.get("a")).toBe("3");
      expect(store.get("b")).toBe("2");
      expect(streams.activeTasks()).toEqual([]);
    } finally {
      await streams.close();
    }
    expect(streams.state()).toBe("NOT_RUNNING");
  }, 60_000);

  it("close() while start() is still restoring: start() resolves, the instance ends NOT_RUNNING", async () => {
    await createTopic(broker.bootstrap, "gt-early", 1);
    await produceLines(broker.bootstrap, "gt-early", Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const b = new StreamsBuilder();
    b.globalTable<string, string>("gt-early", Consumed.with(S, S));
    const streams = new KafkaStreams(b.build(), { "application.id": "gt-early-app", "bootstrap.servers": broker.bootstrap, "state.dir": await tempDir("kstream-gt-early-") });
    // Wherever close() lands (topic checks, the restore, or after it), start() must not fail or leave anything running.
    const started = streams.start();
    await streams.close();
    await started;
    expect(streams.state()).toBe("NOT_RUNNING");
  }, 60_000);

  it("a missing global topic is a clear error at start, and nothing is created", async () => {
    await createTopic(broker.bootstrap, "gt-input-m", 1);
    const b = new StreamsBuilder();
    const g = b.globalTable<string, string>("gt-no-such-topic", Consumed.with(S, S));
    b.stream<string, string>("gt-input-m", Consumed.with(S, S)).join(g, (k: string) => k, (a: string, c: string) => a + c).groupByKey().count().toStream().to("gt-out-m");
    const streams = new KafkaStreams(b.build(), { "application.id": "gt-miss", "bootstrap.servers": broker.bootstrap, "state.dir": await tempDir("kstream-gt-miss-") });
    await expect(streams.start()).rejects.toThrow(/gt-no-such-topic \(global store .*\)/);
    expect(streams.state()).toBe("ERROR");
    const cluster = clusterFor(broker.bootstrap);
    try {
      const names = (await new Admin(cluster).listTopics()).map((x) => (typeof x === "string" ? x : (x as { name: string }).name));
      expect(names.filter((n) => n.startsWith("gt-miss-"))).toEqual([]);
    } finally {
      await cluster.close();
    }
  }, 60_000);
});
