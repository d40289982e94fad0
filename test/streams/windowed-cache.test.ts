/**
 * The record cache for window and session stores (Kafka's CachingWindowStore / CachingSessionStore) on
 * a task graph without a broker: with a cache, updates of one window (or session) between commits
 * collapse into one output and one changelog record, a session merged away before the commit never
 * surfaces, and the values that do surface are the final values the uncached run ends with.
 */
import { describe, expect, it } from "vitest";
import { TaskGraph } from "../../src/streams/runtime/task-graph.ts";
import type { RawRecord } from "../../src/streams/runtime/task-graph.ts";
import { isLoggable } from "../../src/streams/state/state-store.ts";
import { ThreadCache } from "../../src/streams/state/thread-cache.ts";
import { Consumed, KeyValue, Materialized, Produced, Serdes, SessionWindows, SlidingWindows, StreamsBuilder, TimeWindows } from "../../src/streams/index.ts";
import type { Windowed } from "../../src/streams/index.ts";

type Kind = "tumbling" | "hopping" | "sliding" | "session";

function topology(kind: Kind) {
  const b = new StreamsBuilder();
  const grouped = b.stream("in", Consumed.with(Serdes.String(), Serdes.String())).groupByKey();
  const m = Materialized.as("counts") as never;
  const table =
    kind === "tumbling"
      ? grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count(m)
      : kind === "hopping"
        ? grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5)).count(m)
        : kind === "sliding"
          ? grouped.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10)).count(m)
          : grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5)).count(m);
  (table as { toStream(): { map(f: (k: Windowed<string>, v: number | null) => KeyValue<string, string>): { to(t: string, p: unknown): void } } })
    .toStream()
    .map((k, v) => KeyValue.pair(`${k.key()}@${k.window().start()}-${k.window().end()}`, v === null ? "null" : String(v)))
    .to("out", Produced.with(Serdes.String(), Serdes.String()));
  return b.build();
}

function run(kind: Kind, cache: ThreadCache | undefined, input: Array<[string, number] | "commit">) {
  const topo = topology(kind);
  const out: Array<[string, string]> = [];
  const changelog: string[] = [];
  const g = new TaskGraph(topo, { applicationId: "app", appConfigs: {}, now: () => 0, cache }, {
    send: (_topic, r) => out.push([r.key!.toString(), r.value!.toString()]),
  });
  const store = g.getStateStore("counts")!;
  if (isLoggable(store)) store.setChangeLogger({ log: (k) => changelog.push(k.toString("hex")) });
  const commit = (): void => {
    for (let i = 0; i < 10 && [...g.stateStores().values()].some((s) => (s.flush(), (s as { hasCachedWrites?(): boolean }).hasCachedWrites?.())); i++);
  };
  for (const step of input) {
    if (step === "commit") commit();
    else g.process("in", { key: Buffer.from(step[0]), value: Buffer.from("x"), timestamp: step[1], headers: [], partition: 0, offset: 0 } as RawRecord);
  }
  commit();
  return { out, changelog };
}

/** The last value each window ended with, leaving out windows whose last word was a removal. */
function finalValues(out: Array<[string, string]>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of out) m.set(k, v);
  for (const [k, v] of m) if (v === "null") m.delete(k);
  return m;
}

const INPUT: Array<[string, number] | "commit"> = [["a", 1], ["a", 2], ["b", 3], ["a", 4], ["a", 12], "commit", ["a", 13], ["b", 14], ["a", 15], ["b", 9], ["a", 16]];

describe("window and session store caching", () => {
  for (const kind of ["tumbling", "hopping", "sliding", "session"] as const) {
    it(`${kind}: cached output is deduplicated per window and commit, and ends with the uncached final values`, () => {
      const plain = run(kind, undefined, INPUT);
      const cached = run(kind, new ThreadCache(10 * 1024 * 1024), INPUT);
      expect(cached.out.length).toBeLessThan(plain.out.length);
      expect(cached.changelog.length).toBeLessThan(plain.changelog.length);
      expect(finalValues(cached.out)).toEqual(finalValues(plain.out));
      // Within one commit interval a window is forwarded at most once.
      const firstInterval = run(kind, new ThreadCache(10 * 1024 * 1024), INPUT.slice(0, 5));
      const keys = firstInterval.out.map(([k]) => k);
      expect(new Set(keys).size).toBe(keys.length);
    });
  }

  it("tumbling: one record per window per commit, with the latest count, in the order windows were last written", () => {
    const cached = run("tumbling", new ThreadCache(1 << 20), INPUT);
    // b@9 comes after stream time 16: its window [0,10) closed (no grace), so it is dropped.
    expect(cached.out).toEqual([
      ["b@0-10", "1"],
      ["a@0-10", "3"],
      ["a@10-20", "1"],
      ["b@10-20", "1"],
      ["a@10-20", "4"],
    ]);
  });

  it("session: a session merged away before the commit never reaches downstream or the changelog", () => {
    // a@1 and a@4 merge (gap 5) into [1,4]; uncached, the session [1,1] is forwarded, then removed.
    const input: Array<[string, number] | "commit"> = [["a", 1], ["a", 4]];
    const plain = run("session", undefined, input);
    expect(plain.out).toEqual([
      ["a@1-1", "1"],
      ["a@1-1", "null"],
      ["a@1-4", "2"],
    ]);
    const cached = run("session", new ThreadCache(1 << 20), input);
    expect(cached.out).toEqual([["a@1-4", "2"]]);
    expect(cached.changelog.length).toBe(1);
  });

  it("evicts under a small budget and still ends with the uncached final values", () => {
    const many: Array<[string, number]> = [];
    for (let i = 0; i < 40; i++) many.push([`k${i % 7}`, i]);
    const cache = new ThreadCache(400);
    const plain = run("tumbling", undefined, many);
    const cached = run("tumbling", cache, many);
    expect(cache.evictions).toBeGreaterThan(0);
    expect(finalValues(cached.out)).toEqual(finalValues(plain.out));
  });

  it("withCachingDisabled() forwards every update even with a cache", () => {
    const b = new StreamsBuilder();
    b.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count(Materialized.as("counts").withCachingDisabled() as never)
      .toStream()
      .map((k: Windowed<string>, v: number) => KeyValue.pair(k.key(), String(v)))
      .to("out", Produced.with(Serdes.String(), Serdes.String()));
    const out: string[] = [];
    const g = new TaskGraph(b.build(), { applicationId: "app", appConfigs: {}, now: () => 0, cache: new ThreadCache(1 << 20) }, { send: (_t, r) => out.push(r.value!.toString()) });
    for (const ts of [1, 2, 3]) g.process("in", { key: Buffer.from("a"), value: Buffer.from("x"), timestamp: ts, headers: [], partition: 0, offset: 0 });
    expect(out).toEqual(["1", "2", "3"]);
  });
});
