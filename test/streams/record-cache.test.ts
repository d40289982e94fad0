/**
 * The record cache (statestore.cache.max.bytes, Kafka's ThreadCache) on a task graph without a broker:
 * updates of a key between commits collapse into one downstream record and one changelog record,
 * carrying the old value the store held; eviction under a small budget flushes early; a store with
 * Materialized.withCachingDisabled() (or a zero budget) forwards every update.
 */
import { describe, expect, it } from "vitest";
import { TaskGraph } from "../../src/streams/runtime/task-graph.ts";
import type { RawRecord } from "../../src/streams/runtime/task-graph.ts";
import { parseStreamsConfig } from "../../src/streams/runtime/streams-config.ts";
import { analyzeTopology } from "../../src/streams/runtime/topology-metadata.ts";
import { isLoggable } from "../../src/streams/state/state-store.ts";
import { ThreadCache } from "../../src/streams/state/thread-cache.ts";
import { Consumed, Grouped, Materialized, Produced, Serdes, StreamsBuilder } from "../../src/streams/index.ts";

function wordCount(cached: boolean) {
  const b = new StreamsBuilder();
  const m = cached ? Materialized.as("counts") : Materialized.as("counts").withCachingDisabled();
  b.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
    .groupBy((_k: string | null, w: string) => w, Grouped.with(Serdes.String(), Serdes.String()))
    .count(m as never)
    .toStream()
    .to("out", Produced.with(Serdes.String(), Serdes.Long()));
  return b.build();
}

/** The aggregating sub-topology (1) of the word count as one task graph, with a changelog capture. */
function graph(cached: boolean, cache: ThreadCache | undefined) {
  const topology = wordCount(cached);
  const out: Array<{ key: string; value: number; ts: number }> = [];
  const changelog: Array<{ key: string; value: number | null; ts: number | undefined }> = [];
  const sub1 = analyzeTopology(topology, "app").subtopologies[1]!.nodes;
  const g = new TaskGraph(
    topology,
    { applicationId: "app", appConfigs: {}, nodes: sub1, now: () => 0, cache },
    {
      send: (topic, r) => {
        if (topic === "out") out.push({ key: r.key!.toString(), value: Number(r.value!.readBigInt64BE(0)), ts: r.timestamp });
      },
    },
  );
  const store = g.getStateStore("counts")!;
  if (isLoggable(store)) {
    store.setChangeLogger({ log: (k, v, ts) => changelog.push({ key: k.toString(), value: v === null ? null : Number(v.readBigInt64BE(0)), ts }) });
  }
  const repartition = [...topology.internalTopics.keys()].find((t) => t.endsWith("repartition"))!;
  const send = (word: string, ts: number): void => {
    const raw: RawRecord = { key: Buffer.from(word), value: Buffer.from(word), timestamp: ts, headers: [], partition: 0, offset: 0 };
    g.process(`app-${repartition}`, raw);
  };
  const commit = (): void => {
    for (const s of g.stateStores().values()) s.flush();
  };
  return { g, out, changelog, send, commit };
}

describe("record cache (statestore.cache.max.bytes)", () => {
  it("collapses updates of a key until commit: one output and one changelog record per key, latest count", () => {
    const t = graph(true, new ThreadCache(10 * 1024 * 1024));
    t.send("a", 10);
    t.send("b", 11);
    t.send("a", 12);
    t.send("a", 5); // older timestamp: the count's timestamp stays the max (12)
    expect(t.out).toEqual([]);
    expect(t.changelog).toEqual([]);
    // Reads go through the cache.
    expect((t.g.getStateStore("counts") as unknown as { get(k: string): { value: number } }).get("a").value).toBe(3);
    t.commit();
    // Flushed in the order the keys became dirty (a re-dirtied key moves last, as Kafka's NamedCache).
    expect(t.out).toEqual([
      { key: "b", value: 1, ts: 11 },
      { key: "a", value: 3, ts: 12 },
    ]);
    expect(t.changelog).toEqual([
      { key: "b", value: 1, ts: 11 },
      { key: "a", value: 3, ts: 12 },
    ]);
    t.send("a", 20);
    t.commit();
    t.commit(); // nothing dirty: nothing more
    expect(t.out.at(-1)).toEqual({ key: "a", value: 4, ts: 20 });
    expect(t.out.length).toBe(3);
  });

  it("evicts (and flushes) when the budget is exceeded", () => {
    const cache = new ThreadCache(3 * (1 + 8 + 8 + 64)); // room for about three entries
    const t = graph(true, cache);
    for (const w of ["a", "b", "c", "d", "e", "f"]) t.send(w, 1);
    expect(cache.evictions).toBeGreaterThan(0);
    expect(t.out.length).toBeGreaterThan(0);
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
    t.commit();
    expect(t.out.map((r) => r.key).sort()).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  it("forwards every update without a cache or with caching disabled on the store", () => {
    for (const t of [graph(false, new ThreadCache(1 << 20)), graph(true, undefined)]) {
      t.send("a", 1);
      t.send("a", 2);
      expect(t.out.map((r) => r.value)).toEqual([1, 2]);
      expect(t.changelog.map((r) => r.value)).toEqual([1, 2]);
    }
  });

  it("reads statestore.cache.max.bytes, or the deprecated cache.max.bytes.buffering", () => {
    const base = { "application.id": "a", "bootstrap.servers": "h:1" };
    expect(parseStreamsConfig(base).cacheMaxBytes).toBe(10 * 1024 * 1024);
    expect(parseStreamsConfig({ ...base, "cache.max.bytes.buffering": "1000" }).cacheMaxBytes).toBe(1000);
    expect(parseStreamsConfig({ ...base, "cache.max.bytes.buffering": "1000", "statestore.cache.max.bytes": 0 }).cacheMaxBytes).toBe(0);
  });
});
