/** Stateless operators, KTable groupBy with adder/subtractor, the Processor API and punctuation. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Branched, Consumed, Grouped, KeyValue, Materialized, Named, Printed, Produced, PunctuationType, Record, Repartitioned, Serdes,
  Stores, StreamsBuilder, TopologyTestDriver,
} from "../../src/streams/index.ts";
import type { KeyValueStore, ProcessorContext } from "../../src/streams/index.ts";

const S = Serdes.String();

describe("stateless operators", () => {
  it("filter, filterNot, map, mapValues (with and without key), flatMap, selectKey, peek, foreach", () => {
    const b = new StreamsBuilder();
    const seen: string[] = [];
    const s = b.stream<string, string>("in", Consumed.with(S, S));
    s.filter((_k, v) => v.length > 1).mapValues((v: string) => v.toUpperCase()).to("upper", Produced.with(S, S));
    s.filterNot((_k, v) => v.length > 1).mapValues((k: string, v: string) => `${k}:${v}`).to("short", Produced.with(S, S));
    s.map((k, v) => KeyValue.pair(v, k)).peek((k) => seen.push(`peek ${k}`)).to("swapped", Produced.with(S, S));
    s.flatMap((k, v) => [...v].map((c) => ({ key: c, value: k }))).selectKey((k, v) => `${v}/${k}`).to("chars", Produced.with(S, S));
    s.foreach((k, v) => seen.push(`each ${k}=${v}`));
    const d = new TopologyTestDriver(b.build());
    const input = d.createInputTopic("in", S, S);
    input.pipeInput("a", "xy", 1);
    input.pipeInput("b", "z", 2);
    const kv = (t: string) => d.createOutputTopic(t, S, S).readKeyValuesToList().map((e) => `${e.key}=${e.value}`);
    expect(kv("upper")).toEqual(["a=XY"]);
    expect(kv("short")).toEqual(["b=b:z"]);
    expect(kv("swapped")).toEqual(["xy=a", "z=b"]);
    expect(kv("chars")).toEqual(["a/x=a", "a/y=a", "b/z=b"]);
    expect(seen).toEqual(["peek xy", "each a=xy", "peek z", "each b=z"]);
    d.close();
  });

  it("split/branch: first matching predicate wins, names are <split><branch>", () => {
    const b = new StreamsBuilder();
    const branches = b.stream<string, number>("in", Consumed.with(S, Serdes.Integer()))
      .split(Named.as("n-"))
      .branch((_k, v) => v < 0, Branched.as("neg"))
      .branch((_k, v) => v === 0)
      .defaultBranch(Branched.as("pos"));
    expect([...branches.keys()]).toEqual(["n-neg", "n-2", "n-pos"]);
    branches.get("n-neg")!.to("neg", Produced.with(S, Serdes.Integer()));
    branches.get("n-2")!.to("zero", Produced.with(S, Serdes.Integer()));
    branches.get("n-pos")!.to("pos", Produced.with(S, Serdes.Integer()));
    const d = new TopologyTestDriver(b.build());
    const input = d.createInputTopic("in", S, Serdes.Integer());
    for (const v of [-1, 0, 5, -3]) input.pipeInput("k", v, 0);
    expect(d.createOutputTopic("neg", S, Serdes.Integer()).readValuesToList()).toEqual([-1, -3]);
    expect(d.createOutputTopic("zero", S, Serdes.Integer()).readValuesToList()).toEqual([0]);
    expect(d.createOutputTopic("pos", S, Serdes.Integer()).readValuesToList()).toEqual([5]);
    d.close();
  });

  it("merge, to() with a topic-name extractor, repartition naming", () => {
    const b = new StreamsBuilder();
    const a = b.stream<string, string>("a", Consumed.with(S, S));
    const c = b.stream<string, string>("c", Consumed.with(S, S));
    a.merge(c).repartition(Repartitioned.as<string, string>("shuffle").withKeySerde(S).withValueSerde(S))
      .to((_k, v) => `out-${v}`, Produced.with(S, S));
    const topo = b.build();
    expect(topo.describe().toString()).toContain("Sink: shuffle-repartition-sink (topic: shuffle-repartition)");
    const d = new TopologyTestDriver(topo, { "application.id": "app" });
    d.createInputTopic("a", S, S).pipeInput("k", "x", 1);
    d.createInputTopic("c", S, S).pipeInput("k", "y", 2);
    expect(d.createOutputTopic("out-x", S, S).readValuesToList()).toEqual(["x"]);
    expect(d.createOutputTopic("out-y", S, S).readValuesToList()).toEqual(["y"]);
    expect([...d.producedTopicNames()].sort()).toEqual(["app-shuffle-repartition", "out-x", "out-y"]);
    d.close();
  });

  describe("print", () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      vi.restoreAllMocks();
    });
    it("writes '[label]: key, value' lines to a file or stdout", () => {
      dir = mkdtempSync(join(tmpdir(), "kstream-print-"));
      const file = join(dir, "out.txt");
      const b = new StreamsBuilder();
      const s = b.stream<string, string>("in", Consumed.with(S, S));
      s.print(Printed.toFile<string, string>(file).withLabel("lbl"));
      s.print(Printed.toSysOut<string, string>());
      const writes: string[] = [];
      vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      });
      const d = new TopologyTestDriver(b.build());
      d.createInputTopic("in", S, S).pipeInput("k", "v", 0);
      d.close();
      expect(readFileSync(file, "utf8")).toBe("[lbl]: k, v\n");
      expect(writes).toEqual(["[KSTREAM-PRINTER-0000000002]: k, v\n"]);
    });
  });

  it("toTable keeps the latest value per key; null deletes", () => {
    const b = new StreamsBuilder();
    b.stream<string, string>("in", Consumed.with(S, S)).toTable(Named.as("tbl"), Materialized.as("latest")).toStream().to("out", Produced.with(S, S));
    const d = new TopologyTestDriver(b.build());
    const input = d.createInputTopic("in", S, S);
    input.pipeInput("a", "1", 0);
    input.pipeInput("a", "2", 1);
    input.pipeInput("b", "3", 2);
    input.pipeInput("a", null, 3);
    expect(d.getKeyValueStore<string, string>("latest")!.all()).toEqual([{ key: "b", value: "3" }]);
    expect(d.createOutputTopic("out", S, S).readKeyValuesToMap()).toEqual(new Map([["b", "3"]]));
    d.close();
  });
});

describe("KTable groupBy with adder and subtractor", () => {
  it("moves a user's count from the old region to the new one", () => {
    const b = new StreamsBuilder();
    b.table<string, string>("user-regions", Consumed.with(S, S))
      .groupBy((user, region) => KeyValue.pair(region, user), Grouped.with(S, S))
      .count(Materialized.as("region-counts"))
      .toStream()
      .to("out", Produced.with(S, Serdes.Long()));
    const d = new TopologyTestDriver(b.build());
    const input = d.createInputTopic("user-regions", S, S);
    input.pipeInput("alice", "asia", 1);
    input.pipeInput("bob", "europe", 2);
    input.pipeInput("alice", "europe", 3);
    input.pipeInput("bob", null, 4);
    expect(d.createOutputTopic("out", S, Serdes.Long()).readKeyValuesToList().map((e) => `${e.key}=${e.value}`)).toEqual([
      "asia=1", "europe=1", "asia=0", "europe=2", "europe=1",
    ]);
    expect(d.getKeyValueStore<string, number>("region-counts")!.get("europe")).toBe(1);
    d.close();
  });

  it("reduce with adder/subtractor sums per group", () => {
    const b = new StreamsBuilder();
    b.table<string, number>("scores", Consumed.with(S, Serdes.Integer()))
      .groupBy((player, score) => KeyValue.pair(player.split("-")[0]!, score), Grouped.with(S, Serdes.Integer()))
      .reduce((agg, v) => agg + v, (agg, v) => agg - v, Materialized.as("team-totals"))
      .toStream().to("out", Produced.with(S, Serdes.Integer()));
    const d = new TopologyTestDriver(b.build());
    const input = d.createInputTopic("scores", S, Serdes.Integer());
    input.pipeInput("red-1", 10, 0);
    input.pipeInput("red-2", 5, 0);
    input.pipeInput("red-1", 7, 0); // same group: one update 15 -> 12
    expect(d.createOutputTopic("out", S, Serdes.Integer()).readValuesToList()).toEqual([10, 15, 12]);
    d.close();
  });
});

describe("Processor API", () => {
  it("process() with a store, stream-time and wall-clock punctuators", () => {
    const b = new StreamsBuilder();
    b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("totals"), S, Serdes.Long()));
    b.stream<string, number>("in", Consumed.with(S, Serdes.Long()))
      .process(() => {
        let ctx!: ProcessorContext<string, string>;
        let store!: KeyValueStore<string, number>;
        return {
          init(c: ProcessorContext<string, string>) {
            ctx = c;
            store = c.getStateStore("totals");
            c.schedule(10, PunctuationType.STREAM_TIME, (t) => ctx.forward(new Record("stream-time", `${t}:${store.get("k") ?? 0}`, t)));
            c.schedule(1000, PunctuationType.WALL_CLOCK_TIME, (t) => ctx.forward(new Record("wall-clock", String(t), t)));
          },
          process(r: Record<string, number>) {
            store.put(r.key(), (store.get(r.key()) ?? 0) + r.value());
          },
        };
      }, "totals")
      .to("out", Produced.with(S, S));
    const d = new TopologyTestDriver(b.build(), {}, 5000);
    const input = d.createInputTopic("in", S, Serdes.Long());
    const out = d.createOutputTopic("out", S, S);
    input.pipeInput("k", 1, 3); // first data: stream-time punctuation at 3 (aligned to 0, fires as soon as there is data)
    input.pipeInput("k", 2, 7); // next due at 10: nothing
    input.pipeInput("k", 4, 25); // 10 and 20 missed: fires once at 25, next at 30
    expect(out.readKeyValuesToList().map((e) => `${e.key}=${e.value}`)).toEqual(["stream-time=3:1", "stream-time=25:7"]);
    d.advanceWallClockTime(999);
    expect(out.isEmpty()).toBe(true);
    d.advanceWallClockTime(1);
    expect(out.readKeyValuesToList().map((e) => `${e.key}=${e.value}`)).toEqual(["wall-clock=6000"]);
    expect(d.getKeyValueStore<string, number>("totals")!.get("k")).toBe(7);
    d.close();
  });

  it("processValues cannot change the key", () => {
    const b = new StreamsBuilder();
    b.stream<string, string>("in", Consumed.with(S, S))
      .processValues(() => {
        let ctx!: ProcessorContext<string, string>;
        return {
          init(c: ProcessorContext<string, string>) { ctx = c; },
          process(r: Record<string, string>) { ctx.forward(r.withKey("changed").withValue(r.value() + "!")); },
        };
      })
      .to("out", Produced.with(S, S));
    const d = new TopologyTestDriver(b.build());
    d.createInputTopic("in", S, S).pipeInput("k", "v", 0);
    expect(d.createOutputTopic("out", S, S).readKeyValue()).toEqual(new KeyValue("k", "v!"));
    d.close();
  });

  it("a processor reading a store it was not connected to gets Kafka's error", () => {
    const b = new StreamsBuilder();
    b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("s"), S, S));
    b.stream<string, string>("in", Consumed.with(S, S)).process(() => ({
      init(c: ProcessorContext<never, never>) { c.getStateStore("s"); },
      process() {},
    }));
    expect(() => new TopologyTestDriver(b.build())).toThrow(/has no access to StateStore s/);
  });

  it("a missing serde is reported with the node and topic", () => {
    const b = new StreamsBuilder();
    b.stream<string, string>("in").to("out");
    expect(() => new TopologyTestDriver(b.build()).createInputTopic("in", S, S).pipeInput("k", "v", 0)).toThrow(/No key serde for source KSTREAM-SOURCE-0000000000 \(topic in\)/);
  });
});

describe("Serdes are byte-compatible with Kafka's", () => {
  it("Long/Integer/Double are big-endian, String is UTF-8, null stays null", () => {
    expect(Serdes.Long().serializer().serialize("t", -2)!.toString("hex")).toBe("fffffffffffffffe");
    expect(Serdes.Long().deserializer().deserialize("t", Buffer.from("0000000000000100", "hex"))).toBe(256);
    expect(Serdes.Integer().serializer().serialize("t", 258)!.toString("hex")).toBe("00000102");
    expect(Serdes.Double().serializer().serialize("t", 1.5)!.toString("hex")).toBe("3ff8000000000000");
    expect(Serdes.String().serializer().serialize("t", "é")!.toString("hex")).toBe("c3a9");
    expect(Serdes.JSON<{ a: number }>().deserializer().deserialize("t", Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(Serdes.Long().serializer().serialize("t", null)).toBeNull();
    expect(() => Serdes.Long().deserializer().deserialize("t", Buffer.alloc(4))).toThrow(/Size of data received by LongDeserializer is not 8/);
  });
});
