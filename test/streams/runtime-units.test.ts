/** Broker-free pieces of the runtime: checkpoint files, the task assignor, topology metadata, config. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCheckpoint, writeCheckpoint } from "../../src/streams/runtime/checkpoint-file.ts";
import { encodeTaskUserData, streamsAssignor } from "../../src/streams/runtime/streams-assignor.ts";
import { parseStreamsConfig } from "../../src/streams/runtime/streams-config.ts";
import { analyzeTopology, resolvePartitions } from "../../src/streams/runtime/topology-metadata.ts";
import { Consumed, Grouped, Materialized, Produced, Serdes, StreamsBuilder } from "../../src/streams/index.ts";
import { closeAll, tempDir } from "../helpers/index.ts";

afterAll(() => closeAll());

function wordCount() {
  const b = new StreamsBuilder();
  b.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
    .flatMapValues((l: string) => l.split(" "))
    .groupBy((_k: string | null, w: string) => w, Grouped.with(Serdes.String(), Serdes.String()))
    .count(Materialized.as("counts"))
    .toStream()
    .to("out", Produced.with(Serdes.String(), Serdes.Long()));
  return b.build();
}

describe(".checkpoint files (Kafka's OffsetCheckpoint format)", () => {
  it("writes version 0, the count, then `topic partition offset` lines, and reads them back", async () => {
    const path = join(await tempDir(), ".checkpoint");
    writeCheckpoint(path, [{ topic: "app-s-changelog", partition: 3, offset: 41 }]);
    expect(readCheckpoint(path)).toEqual([{ topic: "app-s-changelog", partition: 3, offset: 41 }]);
    expect(readCheckpoint(path + ".absent")).toEqual([]);
    writeFileSync(path, "1\n0\n");
    expect(() => readCheckpoint(path)).toThrow(/Malformed checkpoint file .*unknown version "1"/);
    writeFileSync(path, "0\n2\nt 0 5\n");
    expect(() => readCheckpoint(path)).toThrow(/expected 2 entries, found 1/);
    expect(() => writeCheckpoint(path, [{ topic: "t", partition: 0, offset: -1 }])).toThrow(/negative offset/);
  });
});

describe("topology metadata", () => {
  it("names internal topics as Kafka does and sizes repartition topics from their writers", () => {
    const meta = analyzeTopology(wordCount(), "wc");
    expect(meta.subtopologies.map((s) => s.sourceTopics)).toEqual([["in"], ["wc-counts-repartition"]]);
    expect(meta.subtopologies[1]!.stores).toEqual([{ name: "counts", changelog: "wc-counts-changelog", logConfig: {} }]);
    const r = resolvePartitions(wordCount(), meta, new Map([["in", 3]]), "wc");
    expect(r.topicPartitions.get("wc-counts-repartition")).toBe(3);
    expect([...r.tasksPerSubtopology]).toEqual([[0, 3], [1, 3]]);
  });
});

describe("the streams task assignor", () => {
  const meta = analyzeTopology(wordCount(), "wc");
  const counts = new Map([["in", 2], ["wc-counts-repartition", 2]]);
  const tasksOf = (a: Map<string, Map<string, number[]>>, m: string) =>
    [...(a.get(m) ?? [])].flatMap(([t, ps]) => ps.map((p) => `${meta.topicToSubtopology.get(t)}_${p}`)).sort();

  it("assigns whole tasks, balanced", () => {
    const a = streamsAssignor(meta).assign([{ memberId: "m1", topics: [] }, { memberId: "m2", topics: [] }], counts);
    expect([...tasksOf(a, "m1"), ...tasksOf(a, "m2")].sort()).toEqual(["0_0", "0_1", "1_0", "1_1"]);
    expect(tasksOf(a, "m1").length).toBe(2);
  });

  it("keeps tasks with their previous owner, then with the member that has their state on disk", () => {
    const a = streamsAssignor(meta).assign(
      [
        { memberId: "a", topics: [], owned: new Map([["wc-counts-repartition", [1]]]) },
        { memberId: "b", topics: [], userData: encodeTaskUserData(["1_0", "0_1"]) },
      ],
      counts,
    );
    expect(tasksOf(a, "a")).toContain("1_1");
    expect(tasksOf(a, "b")).toEqual(["0_1", "1_0"]);
  });
});

describe("StreamsConfig", () => {
  it("applies Kafka's defaults and rejects bad values with the key named", () => {
    const c = parseStreamsConfig({ "application.id": "x", "bootstrap.servers": "h:1,h:2" });
    expect(c.commitIntervalMs).toBe(30_000);
    expect(c.bootstrapServers).toEqual(["h:1", "h:2"]);
    expect(parseStreamsConfig({ "application.id": "x", "bootstrap.servers": "h:1", "processing.guarantee": "exactly_once_v2" }).commitIntervalMs).toBe(100);
    expect(() => parseStreamsConfig({ "application.id": "x", "bootstrap.servers": "h:1", "processing.guarantee": "exactly_once" })).toThrow(
      "Invalid value exactly_once for configuration processing.guarantee: String must be one of: at_least_once, exactly_once_v2",
    );
    expect(() => parseStreamsConfig({ "bootstrap.servers": "h:1" } as never)).toThrow('Missing required configuration "application.id" which has no default value.');
    expect(() => parseStreamsConfig({ "application.id": "x", "bootstrap.servers": "h:1", "commit.interval.ms": "soon" })).toThrow(/commit.interval.ms/);
    expect(parseStreamsConfig({ "application.id": "x", "bootstrap.servers": "h:1", "default.key.serde": "Serdes.String" }).defaultKeySerde).toBeDefined();
  });
});
