/**
 * Golden cases: the join semantics tables of Kafka's docs/streams/developer-guide/dsl-api.html
 * (all records share one key; ValueJoiner renders "[left, right]") and Kafka's own
 * StreamStreamJoinIntegrationTest.testOuter input. The table cases are in golden-cases.ts.
 */
import { describe, expect, it } from "vitest";
import { Consumed, JoinWindows, Produced, Serdes, StreamsBuilder, TopologyTestDriver } from "../../src/streams/index.ts";
import { joinCases, runOnDriver, tableTableTopology } from "./golden-cases.ts";

const S = Serdes.String();

// The dsl-api.html tables live in golden-cases.ts, shared with golden-broker.test.ts (same cases on a real broker).
describe("golden join cases on the TopologyTestDriver, as dsl-api.html's tables", () => {
  for (const c of joinCases) {
    it(c.name, () => {
      const { perStep, driver } = runOnDriver(c);
      driver.close();
      expect(perStep).toEqual(c.steps.map((s) => s.out));
    });
  }
});

describe("stream-stream join output timestamps", () => {
  it("outer join: max of both sides for matches, own timestamp for unmatched", () => {
    const b = new StreamsBuilder();
    const l = b.stream<string, string>("left", Consumed.with(S, S));
    const r = b.stream<string, string>("right", Consumed.with(S, S));
    l.outerJoin(r, (x: string | null, y: string | null) => `[${x}, ${y}]`, JoinWindows.ofTimeDifferenceAndGrace(15, 5)).to("out", Produced.with(S, S));
    const driver = new TopologyTestDriver(b.build());
    const left = driver.createInputTopic("left", S, S);
    const right = driver.createInputTopic("right", S, S);
    const out = driver.createOutputTopic("out", S, S);
    left.pipeInput("k", "A", 10);
    right.pipeInput("k", "a", 3);
    left.pipeInput("x", "X", 12);
    right.pipeInput("k", "late", 40);
    expect(out.readRecordsToList().map((r) => [r.key(), r.value(), r.timestamp()])).toEqual([
      ["k", "[A, a]", 10],
      ["x", "[X, null]", 12],
    ]);
    driver.close();
  });
});

describe("Kafka's StreamStreamJoinIntegrationTest.testOuter (window 10 s, grace 24 h)", () => {
  it("joins in order and passes null-key records through at once", () => {
    const b = new StreamsBuilder();
    const l = b.stream<string | null, string>("left", Consumed.with(S, S));
    const r = b.stream<string | null, string>("right", Consumed.with(S, S));
    l.outerJoin(r, (x: string | null, y: string | null) => `${x}-${y}`, JoinWindows.ofTimeDifferenceAndGrace(10_000, 86_400_000)).to("out", Produced.with(S, S));
    const driver = new TopologyTestDriver(b.build());
    const left = driver.createInputTopic("left", S, S);
    const right = driver.createInputTopic("right", S, S);
    const out = driver.createOutputTopic("out", S, S);
    const base = 1_000_000;
    const input: Array<[string, string | null, string | null, number]> = [
      ["L", "0", null, 1], ["R", "0", null, 2], ["L", "0", "A", 3], ["R", "0", "a", 4], ["L", "0", "B", 5], ["R", "0", "b", 6],
      ["L", "0", null, 7], ["R", "0", null, 8], ["L", "0", "C", 9], ["R", "0", "c", 10], ["R", "0", null, 11], ["L", "0", null, 12],
      ["R", "0", null, 13], ["R", "0", "d", 14], ["L", "0", "D", 15], ["L", null, "E", 16], ["R", null, "e", 17],
    ];
    const expected: Array<Array<[string | null, string, number]> | null> = [
      null, null, null, [["0", "A-a", 4]], [["0", "B-a", 5]], [["0", "A-b", 6], ["0", "B-b", 6]], null, null,
      [["0", "C-a", 9], ["0", "C-b", 9]], [["0", "A-c", 10], ["0", "B-c", 10], ["0", "C-c", 10]], null, null, null,
      [["0", "A-d", 14], ["0", "B-d", 14], ["0", "C-d", 14]], [["0", "D-a", 15], ["0", "D-b", 15], ["0", "D-c", 15], ["0", "D-d", 15]],
      [[null, "E-null", 16]], [[null, "null-e", 17]],
    ];
    input.forEach(([side, k, v, ts], i) => {
      (side === "L" ? left : right).pipeInput(k, v, base + ts);
      const got = out.readRecordsToList().map((rec) => [rec.key(), rec.value(), rec.timestamp()! - base]);
      expect(got).toEqual(expected[i] ?? []);
    });
    driver.close();
  });
});

describe("table-table join topology", () => {
  it("materializes both source tables and names the join nodes as Kafka", () => {
    const text = tableTableTopology("join").describe().toString();
    expect(text).toContain("Processor: KTABLE-SOURCE-0000000002 (stores: [left-STATE-STORE-0000000000])");
    expect(text).toContain("Processor: KTABLE-JOINTHIS-0000000007 (stores: [right-STATE-STORE-0000000003])");
    expect(text).toContain("Processor: KTABLE-JOINOTHER-0000000008 (stores: [left-STATE-STORE-0000000000])");
    expect(text).toContain("<-- KTABLE-JOINTHIS-0000000007, KTABLE-JOINOTHER-0000000008");
  });
});

describe("stream-globalTable join", () => {
  it("looks up the global table by a key mapped from the record", () => {
    const b = new StreamsBuilder();
    const users = b.globalTable<string, string>("users", Consumed.with(S, S));
    b.stream<string, string>("orders", Consumed.with(S, S))
      .leftJoin(users, (_k: string, v: string) => v.split(":")[0]!, (order: string, user: string | null) => `${order} by ${user}`)
      .to("out", Produced.with(S, S));
    const topo = b.build();
    expect(topo.describe().toString()).toContain("Sub-topology: 0 for global store (will not generate tasks)");
    const driver = new TopologyTestDriver(topo);
    driver.createInputTopic("users", S, S).pipeInput("u1", "Ada", 1);
    const orders = driver.createInputTopic("orders", S, S);
    orders.pipeInput("o1", "u1:book", 2);
    orders.pipeInput("o2", "u2:pen", 3);
    expect(driver.createOutputTopic("out", S, S).readKeyValuesToList().map((kv) => [kv.key, kv.value])).toEqual([
      ["o1", "u1:book by Ada"],
      ["o2", "u2:pen by null"],
    ]);
    driver.close();
  });
});

describe("stream-stream join topology description", () => {
  it("matches Kafka's StreamsGraphTest expectation", () => {
    const b = new StreamsBuilder();
    const s1 = b.stream<string, string>("topic");
    const s2 = b.stream<string, string>("other-topic");
    s1.join(s2, (a: string, c: string) => a + c, JoinWindows.ofTimeDifferenceWithNoGrace(5000));
    expect(b.build().describe().toString()).toBe(
      "Topologies:\n" +
        "   Sub-topology: 0\n" +
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n" +
        "      --> KSTREAM-WINDOWED-0000000002\n" +
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [other-topic])\n" +
        "      --> KSTREAM-WINDOWED-0000000003\n" +
        "    Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n" +
        "      --> KSTREAM-JOINTHIS-0000000004\n" +
        "      <-- KSTREAM-SOURCE-0000000000\n" +
        "    Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n" +
        "      --> KSTREAM-JOINOTHER-0000000005\n" +
        "      <-- KSTREAM-SOURCE-0000000001\n" +
        "    Processor: KSTREAM-JOINOTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n" +
        "      --> KSTREAM-MERGE-0000000006\n" +
        "      <-- KSTREAM-WINDOWED-0000000003\n" +
        "    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n" +
        "      --> KSTREAM-MERGE-0000000006\n" +
        "      <-- KSTREAM-WINDOWED-0000000002\n" +
        "    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n" +
        "      --> none\n" +
        "      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005\n\n",
    );
  });
});
