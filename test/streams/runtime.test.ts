/**
 * KafkaStreams against a real (in-process) broker, at-least-once: the word count gives exact
 * counts, keeps them in a queryable store, writes Kafka-format checkpoints so a clean restart restores
 * nothing, creates the internal topics with Kafka's configs, and two instances split the tasks.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Admin } from "../../src/client/admin.ts";
import { Consumed, Grouped, KafkaStreams, Materialized, Produced, QueryableStoreTypes, Serdes, StoreQueryParameters, StreamsBuilder, StreamThreadExceptionResponse, TimeWindows, WindowedSerdes } from "../../src/streams/index.ts";
import type { KafkaStreamsState, ReadOnlyKeyValueStore, Topology } from "../../src/streams/index.ts";
import { closeAll, startTestBroker, tempDir, type TestBroker } from "../helpers/index.ts";
import { clusterFor, createTopic, expectedCounts, latestCounts, produceLines, readTopic, waitFor } from "./runtime-helpers.ts";

function wordCount(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(input, Consumed.with(Serdes.String(), Serdes.String()))
    .flatMapValues((line: string) => line.toLowerCase().split(/\W+/).filter((w) => w.length > 0))
    .groupBy((_key: string | null, word: string) => word, Grouped.with(Serdes.String(), Serdes.String()))
    .count(Materialized.as("word-counts"))
    .toStream()
    .to(output, Produced.with(Serdes.String(), Serdes.Long()));
  return builder.build();
}

const sameCounts = (got: Map<string, number>, want: Map<string, number>): boolean =>
  got.size === want.size && [...want].every(([k, v]) => got.get(k) === v);

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await closeAll();
});

describe("KafkaStreams (at_least_once) on a real broker", () => {
  it("counts words exactly, restarts cleanly from its checkpoint, and answers interactive queries", async () => {
    const app = "wc-rt";
    await createTopic(broker.bootstrap, "rt-input", 2);
    await createTopic(broker.bootstrap, "rt-output", 2);
    const stateDir = await tempDir("kstream-streams-state-");
    const config = { "application.id": app, "bootstrap.servers": broker.bootstrap, "commit.interval.ms": 100, "state.dir": stateDir };
    const lines1 = ["Hello Kafka Streams", "hello world", "streams of words, words and more WORDS"];
    await produceLines(broker.bootstrap, "rt-input", lines1);

    const streams = new KafkaStreams(wordCount("rt-input", "rt-output"), config);
    const states: KafkaStreamsState[] = [];
    streams.setStateListener((n) => states.push(n));
    const restored1: number[] = [];
    streams.setGlobalStateRestoreListener({ onRestoreEnd: (_tp, _s, n) => restored1.push(n) });
    await streams.start();
    await waitFor("first counts", async () => sameCounts(await latestCounts(broker.bootstrap, "rt-output"), expectedCounts(lines1)));
    await waitFor("RUNNING", () => streams.state() === "RUNNING");
    const store = streams.store<string, number>("word-counts") as ReadOnlyKeyValueStore<string, number>;
    expect(store.get("words")).toBe(3);
    expect(store.get("hello")).toBe(2);
    expect(store.get("absent")).toBeNull();
    expect(streams.activeTasks()).toEqual(["0_0", "0_1", "1_0", "1_1"]);
    await streams.close();
    expect(states).toEqual(["REBALANCING", "RUNNING", "PENDING_SHUTDOWN", "NOT_RUNNING"]);
    expect(restored1).toEqual([]); // nothing to restore the first time

    // Internal topics: Kafka's names and configs.
    const cluster = clusterFor(broker.bootstrap);
    const admin = new Admin(cluster);
    const cfg = async (t: string, k: string) => (await admin.describeConfigs(t)).find((c) => c.name === k)?.value;
    expect(await cfg(`${app}-word-counts-changelog`, "cleanup.policy")).toBe("compact");
    expect(await cfg(`${app}-word-counts-repartition`, "cleanup.policy")).toBe("delete");
    expect((await admin.topicInfo(`${app}-word-counts-changelog`)).partitions.length).toBe(2);
    // Repartition records consumed and committed were purged (DeleteRecords after commit).
    const repart = await admin.topicOffsets(`${app}-word-counts-repartition`);
    expect(repart.every((p) => p.earliest === p.latest)).toBe(true);
    expect(repart.reduce((n, p) => n + p.latest, 0)).toBeGreaterThan(0);
    await cluster.close();

    // Checkpoint in Kafka's format for each task of the stateful sub-topology.
    const cp = readFileSync(join(stateDir, app, "1_0", ".checkpoint"), "utf8").trim().split("\n");
    expect(cp[0]).toBe("0");
    expect(cp[1]).toBe("1");
    expect(cp[2]).toMatch(new RegExp(`^${app}-word-counts-changelog 0 \\d+$`));
    expect(existsSync(join(stateDir, app, "1_1", ".checkpoint"))).toBe(true);

    // Clean restart: nothing restored, counting continues from the stored state.
    const lines2 = ["hello again", "more words"];
    await produceLines(broker.bootstrap, "rt-input", lines2);
    const again = new KafkaStreams(wordCount("rt-input", "rt-output"), config);
    const restored2: number[] = [];
    again.setGlobalStateRestoreListener({ onRestoreEnd: (_tp, _s, n) => restored2.push(n) });
    await again.start();
    const all = expectedCounts([...lines1, ...lines2]);
    await waitFor("counts after restart", async () => sameCounts(await latestCounts(broker.bootstrap, "rt-output"), all));
    expect(restored2).toEqual([]);
    await again.close();

    // Without the local state (cleanUp), the store is restored from the changelog.
    const fresh = new KafkaStreams(wordCount("rt-input", "rt-output"), config);
    fresh.cleanUp();
    let restored3 = 0;
    fresh.setGlobalStateRestoreListener({ onRestoreEnd: (_tp, _s, n) => (restored3 += n) });
    await fresh.start();
    await waitFor("RUNNING after restore", () => fresh.state() === "RUNNING");
    expect(restored3).toBeGreaterThan(0);
    expect((fresh.store<string, number>("word-counts") as ReadOnlyKeyValueStore<string, number>).get("hello")).toBe(all.get("hello"));
    await fresh.close();
  }, 120_000);

  it("names co-partitioning errors as Kafka does", async () => {
    await createTopic(broker.bootstrap, "cp-left", 2);
    await createTopic(broker.bootstrap, "cp-right", 3);
    const b = new StreamsBuilder();
    const right = b.table("cp-right", Consumed.with(Serdes.String(), Serdes.String()));
    b.stream("cp-left", Consumed.with(Serdes.String(), Serdes.String()))
      .join(right, (l: string, r: string) => l + r)
      .to("rt-output", Produced.with(Serdes.String(), Serdes.String()));
    const s = new KafkaStreams(b.build(), { "application.id": "cp", "bootstrap.servers": broker.bootstrap, "state.dir": await tempDir() });
    await expect(s.start()).rejects.toThrow("Invalid topology: Topics not co-partitioned: [{cp-left=2, cp-right=3}]");
    expect(s.state()).toBe("ERROR");
  });

  it("two instances split the tasks and together count exactly", async () => {
    const app = "wc-two";
    await createTopic(broker.bootstrap, "two-input", 4);
    await createTopic(broker.bootstrap, "two-output", 4);
    const mk = async () =>
      new KafkaStreams(wordCount("two-input", "two-output"), {
        "application.id": app,
        "bootstrap.servers": broker.bootstrap,
        "commit.interval.ms": 100,
        "state.dir": await tempDir("kstream-streams-two-"),
        "heartbeat.interval.ms": 200,
        "session.timeout.ms": 10_000,
      });
    const a = await mk();
    const b = await mk();
    await a.start();
    await waitFor("first instance RUNNING", () => a.state() === "RUNNING");
    await b.start();
    await waitFor("tasks split between both instances", () => a.state() === "RUNNING" && b.state() === "RUNNING" && a.activeTasks().length === 4 && b.activeTasks().length === 4);
    const tasks = [...a.activeTasks(), ...b.activeTasks()].sort();
    // Each instance runs tasks of both sub-topologies (sticky, but balanced across them).
    expect(new Set(a.activeTasks().map((t) => t[0])).size).toBe(2);
    expect(new Set(b.activeTasks().map((t) => t[0])).size).toBe(2);
    expect(tasks).toEqual(["0_0", "0_1", "0_2", "0_3", "1_0", "1_1", "1_2", "1_3"]);
    const lines = Array.from({ length: 40 }, (_, i) => `w${i % 7} shared line ${i % 3}`);
    await produceLines(broker.bootstrap, "two-input", lines);
    await waitFor("exact counts from two instances", async () => sameCounts(await latestCounts(broker.bootstrap, "two-output"), expectedCounts(lines)));
    await b.close();
    // b's tasks move to a, which restores their state from the changelog and keeps counting exactly.
    await waitFor("a owns every task", () => a.state() === "RUNNING" && a.activeTasks().length === 8);
    const more = ["w1 shared", "line 2 w6"];
    await produceLines(broker.bootstrap, "two-input", more);
    await waitFor("exact counts after migration", async () => sameCounts(await latestCounts(broker.bootstrap, "two-output"), expectedCounts([...lines, ...more])));
    await a.close();
  }, 120_000);

  it("deserialization errors: logAndContinue skips the record, logAndFail goes to the uncaught-exception handler", async () => {
    await createTopic(broker.bootstrap, "des-input", 1);
    await produceLines(broker.bootstrap, "des-input", [
      { key: "a", value: "12345678" },
      { key: "bad", value: "xyz" }, // not 8 bytes: the Long deserializer throws
      { key: "b", value: "ABCDEFGH" },
    ]);
    const topo = (out: string) => {
      const b = new StreamsBuilder();
      b.stream("des-input", Consumed.with(Serdes.String(), Serdes.Long()))
        .mapValues((v: number | bigint) => String(v))
        .to(out, Produced.with(Serdes.String(), Serdes.String()));
      return b.build();
    };
    const base = { "bootstrap.servers": broker.bootstrap, "commit.interval.ms": 100, "state.dir": await tempDir() };
    const cont = new KafkaStreams(topo("des-out-1"), { ...base, "application.id": "des-cont", "default.deserialization.exception.handler": "logAndContinue" });
    await cont.start();
    await waitFor("two good records through", async () => (await readTopic(broker.bootstrap, "des-out-1")).length === 2);
    expect((await readTopic(broker.bootstrap, "des-out-1")).map((r) => r.key!.toString())).toEqual(["a", "b"]);
    await cont.close();

    const fail = new KafkaStreams(topo("des-out-2"), { ...base, "application.id": "des-fail" });
    const seen: Error[] = [];
    fail.setUncaughtExceptionHandler((e) => {
      seen.push(e);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    await fail.start();
    await waitFor("ERROR state", () => fail.state() === "ERROR");
    expect(seen.map((e) => e.message)).toEqual(["Size of data received by LongDeserializer is not 8 (got 3 bytes)"]);
    expect((await readTopic(broker.bootstrap, "des-out-2").catch(() => [])).map((r) => r.key!.toString())).toEqual(["a"]);
    await fail.close(); // closing an instance in ERROR is a no-op
    expect(fail.state()).toBe("ERROR");
  }, 60_000);

  it("REPLACE_THREAD starts a fresh thread that resumes from the last commit", async () => {
    await createTopic(broker.bootstrap, "rep-input", 1);
    await produceLines(broker.bootstrap, "rep-input", ["one", "boom", "two"]);
    let failures = 0;
    const b = new StreamsBuilder();
    b.stream("rep-input", Consumed.with(Serdes.String(), Serdes.String()))
      .mapValues((v: string) => {
        // Fails the first time it meets "boom" only: the replacement thread gets past it.
        if (v === "boom" && failures++ === 0) throw new Error("transient failure");
        return v.toUpperCase();
      })
      .to("rep-output", Produced.with(Serdes.String(), Serdes.String()));
    const s = new KafkaStreams(b.build(), { "application.id": "rep", "bootstrap.servers": broker.bootstrap, "commit.interval.ms": 100, "state.dir": await tempDir() });
    const responses: string[] = [];
    s.setUncaughtExceptionHandler((e) => {
      responses.push(e.message);
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    await s.start();
    await waitFor("all three values through", async () => (await readTopic(broker.bootstrap, "rep-output")).some((r) => r.value!.toString() === "TWO"));
    const values = (await readTopic(broker.bootstrap, "rep-output")).map((r) => r.value!.toString());
    expect(responses).toEqual(["transient failure"]);
    // "ONE" may appear twice: at-least-once reprocesses what the failed thread did not commit.
    expect(values.filter((v) => v !== "ONE")).toEqual(["BOOM", "TWO"]);
    expect(values.filter((v) => v === "ONE").length).toBeGreaterThanOrEqual(1);
    expect(s.state()).toBe("RUNNING");
    await s.close();
  }, 60_000);

  it("SHUTDOWN_APPLICATION stops every instance of the application", async () => {
    await createTopic(broker.bootstrap, "sa-input", 2);
    const mk = async () => {
      const b = new StreamsBuilder();
      b.stream("sa-input", Consumed.with(Serdes.String(), Serdes.String()))
        .mapValues((v: string) => {
          if (v === "poison") throw new Error("poison pill");
          return v;
        })
        .to("sa-output", Produced.with(Serdes.String(), Serdes.String()));
      const s = new KafkaStreams(b.build(), {
        "application.id": "sa",
        "bootstrap.servers": broker.bootstrap,
        "commit.interval.ms": 100,
        "state.dir": await tempDir(),
        "heartbeat.interval.ms": 200,
        "session.timeout.ms": 10_000,
      });
      s.setUncaughtExceptionHandler(() => StreamThreadExceptionResponse.SHUTDOWN_APPLICATION);
      return s;
    };
    const a = await mk();
    const b = await mk();
    await a.start();
    await b.start();
    await waitFor("both instances running one task each", () => a.state() === "RUNNING" && b.state() === "RUNNING" && a.activeTasks().length === 1 && b.activeTasks().length === 1);
    await produceLines(broker.bootstrap, "sa-input", [{ key: "k", value: "poison" }]);
    await waitFor("both instances in ERROR", () => a.state() === "ERROR" && b.state() === "ERROR");
  }, 60_000);

  it("a windowed count is changelogged and restored into its window store", async () => {
    await createTopic(broker.bootstrap, "win-input", 1);
    const topo = () => {
      const b = new StreamsBuilder();
      b.stream("win-input", Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(TimeWindows.ofSizeAndGrace(1000, 5000)) // retention 6 s: every window stays queryable
        .count(Materialized.as("per-second"))
        .toStream()
        .to("win-output", Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 1000), Serdes.Long()));
      return b.build();
    };
    const cluster = clusterFor(broker.bootstrap);
    const producer = new (await import("../../src/client/producer.ts")).Producer(cluster);
    await producer.prepareTopic("win-input");
    for (const [k, ts] of [["u", 100], ["u", 900], ["v", 950], ["u", 1500]] as const) producer.send({ topic: "win-input", key: Buffer.from(k), value: Buffer.from("x"), timestamp: ts });
    await producer.flush();
    await producer.close();
    await cluster.close();
    // Uncached, so each of the four updates is its own output and changelog record (windowed stores
    // cache by default, which would merge u's two updates of window 0; windowed-cache.test.ts covers that).
    const config = { "application.id": "win", "bootstrap.servers": broker.bootstrap, "commit.interval.ms": 100, "state.dir": await tempDir(), "statestore.cache.max.bytes": 0 };
    const first = new KafkaStreams(topo(), config);
    await first.start();
    await waitFor("four window updates", async () => (await readTopic(broker.bootstrap, "win-output")).length === 4);
    await first.close();
    const second = new KafkaStreams(topo(), config);
    second.cleanUp(); // no local state: everything comes back from the changelog
    let restored = 0;
    second.setGlobalStateRestoreListener({ onRestoreEnd: (_tp, store, n) => (restored += store === "per-second" ? n : 0) });
    await second.start();
    await waitFor("RUNNING", () => second.state() === "RUNNING");
    expect(restored).toBe(4);
    const ws = second.store<string, number>(StoreQueryParameters.fromNameAndType("per-second", QueryableStoreTypes.windowStore()));
    expect(ws.fetch("u", 0)).toBe(2);
    expect(ws.fetch("u", 1000)).toBe(1);
    expect(ws.fetch("v", 0)).toBe(1);
    await second.close();
    // The DSL's window store is persistent (SQLite) and checkpointed: a clean restart restores nothing.
    const third = new KafkaStreams(topo(), config);
    let restoredAgain = 0;
    third.setGlobalStateRestoreListener({ onRestoreEnd: (_tp, store, n) => (restoredAgain += store === "per-second" ? n : 0) });
    await third.start();
    await waitFor("RUNNING", () => third.state() === "RUNNING");
    expect(restoredAgain).toBe(0);
    const ws3 = third.store<string, number>(StoreQueryParameters.fromNameAndType("per-second", QueryableStoreTypes.windowStore()));
    expect(ws3.fetch("u", 0)).toBe(2);
    expect(ws3.fetch("u", 1000)).toBe(1);
    expect(ws3.fetch("v", 0)).toBe(1);
    await third.close();
  }, 60_000);
});
