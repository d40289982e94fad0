/** The global-store pieces without a broker: topology analysis, the read-only decorator, a task's view. */
import { describe, expect, it } from "vitest";
import { Consumed, Produced, PunctuationType, Serdes, Stores, StreamsBuilder, Topology } from "../../src/streams/index.ts";
import type { KeyValueStore } from "../../src/streams/state/state-store.ts";
import { readOnlyStore, READ_ONLY_MESSAGE } from "../../src/streams/state/read-only-store.ts";
import { TaskGraph } from "../../src/streams/runtime/task-graph.ts";
import { analyzeTopology } from "../../src/streams/runtime/topology-metadata.ts";

const S = Serdes.String();

function joinTopology() {
  const b = new StreamsBuilder();
  const users = b.globalTable<string, string>("users", Consumed.with(S, S));
  b.stream<string, string>("orders", Consumed.with(S, S))
    .join(users, (_k: string, v: string) => v, (o: string, u: string) => `${o}/${u}`)
    .groupByKey()
    .count()
    .toStream()
    .to("out", Produced.with(S, Serdes.Long()));
  return { topology: b.build(), storeName: users.storeName };
}

describe("analyzeTopology with global stores", () => {
  it("keeps global sub-topologies out of the tasks: no task, no changelog, no group topic", () => {
    const { topology, storeName } = joinTopology();
    const meta = analyzeTopology(topology, "app");
    expect(meta.global.stores).toEqual([storeName]);
    expect([...meta.global.topicToStore]).toEqual([["users", storeName]]);
    expect(meta.global.nodes.length).toBe(2);
    // Kafka numbers the global sub-topology too: the stream ones start at 1.
    expect(meta.subtopologies.map((s) => s.id)).toEqual([1]);
    expect(meta.topicToSubtopology.has("users")).toBe(false);
    expect(meta.subtopologies.flatMap((s) => s.stores.map((x) => x.name))).not.toContain(storeName);
    expect(meta.subtopologies.flatMap((s) => s.stores.map((x) => x.changelog))).not.toContain(`app-${storeName}-changelog`);
  });
});

describe("global stores in a task", () => {
  it("a task's getStateStore returns the owner's store read-only and builds no copy", () => {
    const { topology, storeName } = joinTopology();
    const meta = analyzeTopology(topology, "app");
    const owner = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("owned"), S, S).build();
    owner.init({ applicationId: () => "app", keySerde: () => S, valueSerde: () => S });
    owner.put("u1", "Ada");
    const sent: string[] = [];
    const graph = new TaskGraph(
      topology,
      { applicationId: "app", appConfigs: {}, nodes: meta.subtopologies[0]!.nodes, now: Date.now, globalStores: (n) => (n === storeName ? owner : undefined) },
      { send: (topic) => sent.push(topic) },
    );
    expect(graph.getStateStore(storeName)).toBeUndefined();
    // The join reads through the task's view: a hit for u1 only.
    graph.process("orders", { key: Buffer.from("o1"), value: Buffer.from("u1"), timestamp: 1, headers: [] });
    graph.process("orders", { key: Buffer.from("o2"), value: Buffer.from("u2"), timestamp: 2, headers: [] });
    expect(sent.length).toBe(1);
    graph.close();
  });

  it("the read-only decorator passes reads through and refuses writes and lifecycle calls with Kafka's message", () => {
    const store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("s"), S, S).build();
    store.init({ applicationId: () => "app", keySerde: () => S, valueSerde: () => S });
    store.put("a", "1");
    const ro = readOnlyStore<KeyValueStore<string, string>>(store);
    expect(ro.get("a")).toBe("1");
    expect(ro.all().map((kv) => kv.key)).toEqual(["a"]);
    expect(ro.name()).toBe("s");
    for (const write of [() => ro.put("b", "2"), () => ro.delete("a"), () => ro.putIfAbsent("c", "3"), () => ro.putAll([]), () => ro.flush(), () => ro.close()]) {
      expect(write).toThrow(READ_ONLY_MESSAGE);
    }
    expect(store.get("b")).toBeNull();
    expect(store.isOpen()).toBe(true);
  });

  it("a global store's processor cannot schedule punctuators (Kafka's global processor context)", () => {
    const t = new Topology();
    t.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("g"), S, S), "src", { keySerde: S, valueSerde: S }, "topic", "upd", () => ({
      init(ctx) {
        ctx.schedule(1000, PunctuationType.WALL_CLOCK_TIME, () => undefined);
      },
      process() {},
    }));
    const meta = analyzeTopology(t, "app");
    expect(() => new TaskGraph(t, { applicationId: "app", appConfigs: {}, nodes: meta.global.nodes, now: Date.now, global: true }, { send: () => undefined })).toThrow(
      "this should not happen: schedule() not supported in global processor context.",
    );
  });
});
