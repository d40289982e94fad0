/** State stores: byte-ordered ranges, window/session retention, and the node:sqlite persistent store. */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Consumed, Grouped, Materialized, Produced, Serdes, Stores, StreamsBuilder, TopologyTestDriver, Windowed, Window } from "../../src/streams/index.ts";
import type { StateStoreContext } from "../../src/streams/state/state-store.ts";

const ctx = (stateDir?: string): StateStoreContext => ({ applicationId: () => "app", keySerde: () => undefined, valueSerde: () => undefined, stateDir: () => stateDir });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("key-value stores", () => {
  for (const persistent of [false, true]) {
    it(`${persistent ? "sqlite" : "in-memory"}: range() is in serialized-byte order, bounds inclusive`, () => {
      const dir = mkdtempSync(join(tmpdir(), "kstream-state-"));
      dirs.push(dir);
      const supplier = persistent ? Stores.persistentKeyValueStore("kv") : Stores.inMemoryKeyValueStore("kv");
      const store = Stores.keyValueStoreBuilder(supplier, Serdes.Integer(), Serdes.String()).build();
      store.init(ctx(dir));
      for (const k of [3, -1, 256, 0, 2]) store.put(k, `v${k}`);
      // Big-endian two's complement: negatives sort after positives in byte order, as in Kafka.
      expect(store.all().map((e) => e.key)).toEqual([0, 2, 3, 256, -1]);
      expect(store.range(2, 256).map((e) => e.value)).toEqual(["v2", "v3", "v256"]);
      expect(store.delete(3)).toBe("v3");
      store.put(2, null);
      expect(store.approximateNumEntries()).toBe(3);
      expect(store.putIfAbsent(0, "other")).toBe("v0");
      expect(store.persistent()).toBe(persistent);
      store.close();
    });
  }

  it("a persistent store needs state.dir", () => {
    const store = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("kv"), Serdes.String(), Serdes.String()).build();
    expect(() => store.init(ctx(undefined))).toThrow(/needs state.dir/);
  });

  it("word counts in a persistent store survive a restart of the app", () => {
    const dir = mkdtempSync(join(tmpdir(), "kstream-state-"));
    dirs.push(dir);
    const topology = () => {
      const b = new StreamsBuilder();
      b.stream<string, string>("in", Consumed.with(Serdes.String(), Serdes.String()))
        .groupBy((_k, w) => w, Grouped.with(Serdes.String(), Serdes.String()))
        .count(Materialized.as(Stores.persistentKeyValueStore("counts")))
        .toStream().to("out", Produced.with(Serdes.String(), Serdes.Long()));
      return b.build();
    };
    for (const expected of [[1, 2], [3, 4]]) {
      const d = new TopologyTestDriver(topology(), { "application.id": "wc", "state.dir": dir });
      const input = d.createInputTopic("in", Serdes.String(), Serdes.String());
      input.pipeInput(null, "hello", 0);
      input.pipeInput(null, "hello", 1);
      expect(d.createOutputTopic("out", Serdes.String(), Serdes.Long()).readValuesToList()).toEqual(expected);
      d.close();
    }
    expect(readdirSync(join(dir, "wc")).filter((f) => f.endsWith(".sqlite"))).toEqual(["counts.sqlite"]);
  });
});

describe("window and session stores", () => {
  it("window store drops windows older than retention behind observed stream time", () => {
    const s = Stores.windowStoreBuilder(Stores.inMemoryWindowStore("w", 10, 5, false), Serdes.String(), Serdes.Long()).build();
    s.init(ctx());
    s.put("a", 1, 0);
    s.put("a", 2, 5);
    s.put("b", 3, 5);
    expect(s.fetchAll(0, 100).map((e) => `${e.key.key()}@${e.key.window().start()}=${e.value}`)).toEqual(["a@0=1", "a@5=2", "b@5=3"]);
    s.put("a", 4, 10); // observed 10: start 0 <= 10 - 10 is expired
    expect(s.fetchRange("a", 0, 100).map((e) => e.key)).toEqual([5, 10]);
    expect(s.fetch("a", 5)).toBe(2);
  });
  it("session store finds sessions by end >= earliest and start <= latest", () => {
    const s = Stores.sessionStoreBuilder(Stores.inMemorySessionStore("s", 1000), Serdes.String(), Serdes.Long()).build();
    s.init(ctx());
    s.put(new Windowed("k", new Window(0, 10)), 1);
    s.put(new Windowed("k", new Window(20, 30)), 2);
    expect(s.findSessions("k", 11, 25).map((e) => e.value)).toEqual([2]);
    expect(s.findSessions("k", 5, 25).map((e) => e.value)).toEqual([1, 2]);
    s.remove(new Windowed("k", new Window(0, 10)));
    expect(s.fetchSession("k", 0, 10)).toBeNull();
    expect(s.fetchSession("k", 20, 30)).toBe(2);
  });
});
