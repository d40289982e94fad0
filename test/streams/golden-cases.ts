/**
 * Golden cases shared by the TopologyTestDriver tests (joins.test.ts, windows.test.ts) and the real-broker
 * test (golden-broker.test.ts): one topology, one input sequence, and per input record what the output
 * topic "out" receives next. The driver test checks each step; the broker test checks the concatenation
 * (same records, same order) — a real broker gives no per-record output boundary.
 *
 * Topic names go through `t` so the broker test can give every case its own topics on one broker.
 */
import {
  BufferConfig, Consumed, JoinWindows, Materialized, Produced, Serdes, SessionWindows, SlidingWindows, StreamsBuilder, Suppressed,
  TimeWindows, TopologyTestDriver, WindowedSerdes,
} from "../../src/streams/index.ts";
import type { ExpectStatic } from "vitest";
import type { KStream, KTable, Serde, Topology, Windowed } from "../../src/streams/index.ts";

export interface GoldenStep {
  topic: string;
  key: string | null;
  value: string | null;
  ts: number;
  /** The output records this input record produces, rendered by the case's `show`. */
  out: Array<string | null>;
}

export interface GoldenCase {
  name: string;
  /** Logical input topic names (the output is always "out"). */
  inputs: string[];
  build(t: (name: string) => string): Topology;
  keySerde: Serde<unknown>;
  valueSerde: Serde<unknown>;
  show(key: unknown, value: unknown, ts: number): string | null;
  steps: GoldenStep[];
}

const S = Serdes.String();
const pair = (a: string | null, b: string | null): string => `[${a}, ${b}]`;
const showWindow = (w: Windowed<string>): string => `${w.key()}@${w.window().start()}-${w.window().end()}`;
const asAny = <T>(s: Serde<T>): Serde<unknown> => s as unknown as Serde<unknown>;

// ---------------------------------------------------------------------------------------------------
// Joins: the tables of Kafka's docs/streams/developer-guide/dsl-api.html (all records share key "k";
// the ValueJoiner renders "[left, right]"; output shown as values, null = tombstone).

type Row = [ts: number, side: "L" | "R", value: string | null];
export const docRows: Row[] = [
  [1, "L", null], [2, "R", null], [3, "L", "A"], [4, "R", "a"], [5, "L", "B"], [6, "R", "b"], [7, "L", null],
  [8, "R", null], [9, "L", "C"], [10, "R", "c"], [11, "R", null], [12, "L", null], [13, "R", null], [14, "R", "d"], [15, "L", "D"],
];
// Rows 40..200: unmatched stream-stream records are emitted once stream time passes ts + window + grace.
// Kafka's KStreamKStreamJoin emits when ts + after + grace < stream time (strictly), so each null-joined
// result appears with the first record *after* the doc's row (the doc rounds this); this is Kafka's behaviour.
const tailRows: Row[] = [[40, "L", "E"], [60, "L", "F"], [80, "R", "f"], [100, "L", "G"], [200, "R", "z"]];

function joinCase(name: string, rows: Row[], out: Array<Array<string | null>>, body: (b: StreamsBuilder, t: (n: string) => string) => void): GoldenCase {
  if (rows.length !== out.length) throw new Error(`${name}: ${rows.length} rows but ${out.length} expectations`);
  return {
    name,
    inputs: ["left", "right"],
    build: (t) => {
      const b = new StreamsBuilder();
      body(b, t);
      return b.build();
    },
    keySerde: asAny(S),
    valueSerde: asAny(S),
    show: (_k, v) => v as string | null,
    steps: rows.map(([ts, side, value], i) => ({ topic: side === "L" ? "left" : "right", key: "k", value, ts, out: out[i]! })),
  };
}

const ssInner: Array<Array<string | null>> = [[], [], [], ["[A, a]"], ["[B, a]"], ["[A, b]", "[B, b]"], [], [], ["[C, a]", "[C, b]"], ["[A, c]", "[B, c]", "[C, c]"], [], [], [],
  ["[A, d]", "[B, d]", "[C, d]"], ["[D, a]", "[D, b]", "[D, c]", "[D, d]"]];
const ssTail = {
  join: [[], [], [], [], []],
  leftJoin: [[], [], ["[E, null]"], ["[F, null]"], ["[G, null]"]],
  outerJoin: [[], [], ["[E, null]"], ["[F, null]"], ["[null, f]", "[G, null]"]],
};

/** Stream-stream joins (window 15, grace 5): rows 1-15 are the doc's table (all three kinds agree there), then the tail. */
export const streamStreamJoinCases: GoldenCase[] = (["join", "leftJoin", "outerJoin"] as const).map((kind) =>
  joinCase(`stream-stream ${kind}`, [...docRows, ...tailRows], [...ssInner, ...ssTail[kind]], (b, t) => {
    const l = b.stream<string, string>(t("left"), Consumed.with(S, S));
    const r = b.stream<string, string>(t("right"), Consumed.with(S, S));
    const w = JoinWindows.ofTimeDifferenceAndGrace(15, 5);
    const j = (x: string | null, y: string | null) => pair(x, y);
    const joined: KStream<string, string> = kind === "join" ? l.join(r, j, w) : kind === "leftJoin" ? l.leftJoin(r, j, w) : l.outerJoin(r, j, w);
    joined.to(t("out"), Produced.with(S, S));
  }),
);

const ttOut = {
  join: [[], [], [], ["[A, a]"], ["[B, a]"], ["[B, b]"], [null], [], [], ["[C, c]"], [null], [], [], [], ["[D, d]"]],
  leftJoin: [[], [], ["[A, null]"], ["[A, a]"], ["[B, a]"], ["[B, b]"], [null], [], ["[C, null]"], ["[C, c]"], ["[C, null]"], [null], [], [], ["[D, d]"]],
  outerJoin: [[], [], ["[A, null]"], ["[A, a]"], ["[B, a]"], ["[B, b]"], ["[null, b]"], [null], ["[C, null]"], ["[C, c]"], ["[C, null]"], [null], [], ["[null, d]"], ["[D, d]"]],
};

export function tableTableTopology(kind: "join" | "leftJoin" | "outerJoin", t: (n: string) => string = (n) => n): Topology {
  const b = new StreamsBuilder();
  const l = b.table<string, string>(t("left"), Consumed.with(S, S));
  const r = b.table<string, string>(t("right"), Consumed.with(S, S));
  const j = (x: string | null, y: string | null) => pair(x, y);
  const tt: KTable<string, string> = kind === "join" ? l.join(r, j) : kind === "leftJoin" ? l.leftJoin(r, j) : l.outerJoin(r, j);
  tt.toStream().to(t("out"), Produced.with(S, S));
  return b.build();
}

export const tableTableJoinCases: GoldenCase[] = (["join", "leftJoin", "outerJoin"] as const).map((kind) => ({
  ...joinCase(`table-table ${kind}`, docRows, ttOut[kind], () => undefined),
  build: (t: (n: string) => string) => tableTableTopology(kind, t),
}));

export const streamTableJoinCases: GoldenCase[] = ([
  ["join", [[], [], [], [], ["[B, a]"], [], [], [], [], [], [], [], [], [], ["[D, d]"]]],
  ["leftJoin", [[], [], ["[A, null]"], [], ["[B, a]"], [], [], [], ["[C, null]"], [], [], [], [], [], ["[D, d]"]]],
] as const).map(([kind, out]) =>
  joinCase(`stream-table ${kind}`, docRows, out.map((o) => [...o]), (b, t) => {
    const s = b.stream<string, string>(t("left"), Consumed.with(S, S));
    const tbl = b.table<string, string>(t("right"), Consumed.with(S, S));
    const j = (x: string, y: string | null) => pair(x, y);
    (kind === "leftJoin" ? s.leftJoin(tbl, j) : s.join(tbl, j)).to(t("out"), Produced.with(S, S));
  }),
);

export const joinCases: GoldenCase[] = [...streamStreamJoinCases, ...tableTableJoinCases, ...streamTableJoinCases];

/**
 * Stream-globalTable joins on the same rows: Kafka's docs give KStream-GlobalKTable the stream-table
 * semantics (the key mapper here is the identity), so the expected output is the stream-table table's.
 * Kept out of joinCases: the global side has no committed offset to wait on (global-table.test.ts runs them).
 */
export const streamGlobalTableJoinCases: GoldenCase[] = streamTableJoinCases.map((c, i) => {
  const kind = i === 0 ? "join" : "leftJoin";
  return {
    ...c,
    name: `stream-globalTable ${kind}`,
    build: (t: (n: string) => string) => {
      const b = new StreamsBuilder();
      const s = b.stream<string, string>(t("left"), Consumed.with(S, S));
      const g = b.globalTable<string, string>(t("right"), Consumed.with(S, S));
      const j = (x: string, y: string | null) => pair(x, y);
      const m = (k: string) => k;
      (kind === "leftJoin" ? s.leftJoin(g, m, j) : s.join(g, m, j)).to(t("out"), Produced.with(S, S));
      return b.build();
    },
  };
});

// ---------------------------------------------------------------------------------------------------
// Windows: boundaries, grace, hopping, suppress, session merging, sliding (Kafka's windowing docs).

type In = [key: string, ts: number, out: string[], value?: string];

function windowCase(name: string, rows: In[], opts: { keySerde: Serde<unknown>; show: GoldenCase["show"]; build: (b: StreamsBuilder, t: (n: string) => string) => void }): GoldenCase {
  return {
    name,
    inputs: ["in"],
    build: (t) => {
      const b = new StreamsBuilder();
      opts.build(b, t);
      return b.build();
    },
    keySerde: opts.keySerde,
    valueSerde: asAny(Serdes.Long()),
    show: opts.show,
    steps: rows.map(([key, ts, out, value]) => ({ topic: "in", key, value: value ?? "v", ts, out })),
  };
}

/** count() per time window into store "counts", optionally suppressed until the window closes; output `key@start-end=count@ts`. */
function timeWindowCase(name: string, windows: TimeWindows, rows: In[], suppress = false): GoldenCase {
  return windowCase(name, rows, {
    keySerde: asAny(WindowedSerdes.timeWindowedSerdeFrom(S, windows.size())),
    show: (k, v, ts) => `${showWindow(k as Windowed<string>)}=${v}@${ts}`,
    build: (b, t) => {
      let tbl = b.stream<string, string>(t("in"), Consumed.with(S, S)).groupByKey().windowedBy(windows).count(Materialized.as("counts"));
      if (suppress) tbl = tbl.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()));
      tbl.toStream().to(t("out"), Produced.with(WindowedSerdes.timeWindowedSerdeFrom(S, windows.size()), Serdes.Long()));
    },
  });
}

export const tumblingBoundaries = timeWindowCase("tumbling: [start, end) includes start, excludes end", TimeWindows.ofSizeWithNoGrace(10), [
  ["k", 0, ["k@0-10=1@0"]], ["k", 9, ["k@0-10=2@9"]], ["k", 10, ["k@10-20=1@10"]], ["k", 19, ["k@10-20=2@19"]], ["k", 20, ["k@20-30=1@20"]],
]);

export const tumblingGrace = timeWindowCase("tumbling: drops records for windows closed by grace", TimeWindows.ofSizeAndGrace(10, 5), [
  ["k", 0, ["k@0-10=1@0"]],
  ["k", 20, ["k@20-30=1@20"]],
  ["k", 5, [], "late-dropped"], // window [0,10) closed at stream time 15
  ["k", 12, ["k@10-20=1@12"], "late-kept"], // window [10,20) open until stream time 25
]);

export const hopping = timeWindowCase("hopping: a record lands in every window that contains it", TimeWindows.ofSizeWithNoGrace(10).advanceBy(5), [
  ["k", 7, ["k@0-10=1@7", "k@5-15=1@7"]], ["k", 12, ["k@5-15=2@12", "k@10-20=1@12"]],
]);

export const suppressFinal = timeWindowCase("suppress(untilWindowCloses): one final result per window", TimeWindows.ofSizeAndGrace(10, 2), [
  ["k", 1, []], ["k", 2, []], ["j", 5, []],
  ["k", 11, []], // stream time 11: [0,10) not yet closed (needs 12)
  ["k", 9, []], // late but within grace: counted
  ["x", 12, ["j@0-10=1@5", "k@0-10=3@9"]], // closes [0,10); same window end: ordered by key, as Kafka's time-ordered buffer
  ["x", 30, ["k@10-20=1@11", "x@10-20=1@12"]],
], true);

const sessionSerde = asAny(WindowedSerdes.sessionWindowedSerdeFrom(S));
function sessionCase(name: string, windows: SessionWindows, rows: In[], withTs: boolean): GoldenCase {
  return windowCase(name, rows, {
    keySerde: sessionSerde,
    show: (k, v, ts) => `${showWindow(k as Windowed<string>)}=${v}${withTs ? `@${ts}` : ""}`,
    build: (b, t) => {
      b.stream<string, string>(t("in"), Consumed.with(S, S)).groupByKey().windowedBy(windows).count(Materialized.as("sessions"))
        .toStream().to(t("out"), Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(S), Serdes.Long()));
    },
  });
}

// Grace 20 keeps [0,0] alive at stream time 12 (with no grace it would already be closed, as in Kafka).
export const sessionMerge = sessionCase("session: merges sessions bridged by an out-of-order record, retracting the old ones", SessionWindows.ofInactivityGapAndGrace(6, 20), [
  ["k", 0, ["k@0-0=1@0"], "a"],
  ["k", 12, ["k@12-12=1@12"], "b"],
  ["k", 6, ["k@0-0=null@0", "k@12-12=null@12", "k@0-12=3@12"], "c"], // within 6 of both: one session [0,12]
], true);

export const sessionClosed = sessionCase("session: drops a record whose session closed (end < stream time - grace)", SessionWindows.ofInactivityGapAndGrace(5, 10), [
  ["k", 100, ["k@100-100=1"], "a"],
  ["j", 90, ["j@90-90=1"], "late-kept"], // 90 >= 100 - 10
  ["j", 89, ["j@90-90=null", "j@89-90=2"], "late-but-merges"], // merged session [89,90] ends at the close time: kept
  ["m", 89, [], "late-dropped"], // session [89,89] ends before 90: dropped
], false);

export const sliding = windowCase("sliding: one window [t - d, t] per record plus right windows, out-of-order record", [
  ["k", 20, ["10-20=1"]],
  ["k", 25, ["21-31=1", "15-25=2"]], // right window of 20 appears once it holds a record
  ["k", 40, ["30-40=1"]],
  ["k", 22, ["21-31=2", "15-25=3", "12-22=2", "23-33=1"]], // late, within grace
  ["k", 3, ["0-10=1"]], // earlier than d: the combined [0, d] window
], {
  keySerde: asAny(WindowedSerdes.timeWindowedSerdeFrom(S, 10)),
  show: (k, v) => `${(k as Windowed<string>).window().start()}-${(k as Windowed<string>).window().end()}=${v}`,
  build: (b, t) => {
    b.stream<string, string>(t("in"), Consumed.with(S, S)).groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 100))
      .count().toStream().to(t("out"), Produced.with(WindowedSerdes.timeWindowedSerdeFrom(S, 10), Serdes.Long()));
  },
});

export const windowCases: GoldenCase[] = [tumblingBoundaries, tumblingGrace, hopping, suppressFinal, sessionMerge, sessionClosed, sliding];

/** Runs a case on the TopologyTestDriver: per step, what "out" received. Returns the driver open (the caller closes it). */
export function runOnDriver(c: GoldenCase): { perStep: Array<Array<string | null>>; driver: TopologyTestDriver } {
  const driver = new TopologyTestDriver(c.build((n) => n));
  const inputs = new Map(c.inputs.map((n) => [n, driver.createInputTopic(n, S, S)]));
  const out = driver.createOutputTopic("out", c.keySerde.deserializer(), c.valueSerde.deserializer());
  const perStep = c.steps.map((s) => {
    inputs.get(s.topic)!.pipeInput(s.key, s.value, s.ts);
    return out.readRecordsToList().map((r) => c.show(r.key(), r.value(), r.timestamp()!));
  });
  return { perStep, driver };
}

/**
 * What a broker run of case `c` must give: the driver's output, checked step by step against the case's
 * table (itself checked in joins/windows.test.ts) and non-empty, concatenated (a broker has no step boundaries).
 */
export function driverReference(c: GoldenCase, expect: ExpectStatic): Array<string | null> {
  const { perStep, driver } = runOnDriver(c);
  driver.close();
  expect(perStep).toEqual(c.steps.map((s) => s.out));
  const want = perStep.flat();
  expect(want.length).toBeGreaterThan(0);
  return want;
}
