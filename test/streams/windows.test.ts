/** Window boundaries, grace, session merging and suppress, as Kafka's windowing docs define them. */
import { describe, expect, it } from "vitest";
import { BufferConfig, Consumed, Serdes, StreamsBuilder, Suppressed, TimeWindows, WindowedSerdes } from "../../src/streams/index.ts";
import type { Windowed } from "../../src/streams/index.ts";
import { runOnDriver, sessionMerge, tumblingBoundaries, windowCases } from "./golden-cases.ts";

const S = Serdes.String();
const show = (w: Windowed<string>): string => `${w.key()}@${w.window().start()}-${w.window().end()}`;

// The case tables live in golden-cases.ts, shared with golden-broker.test.ts (same cases on a real broker).
describe("golden window cases on the TopologyTestDriver", () => {
  for (const c of windowCases) {
    it(c.name, () => {
      const { perStep, driver } = runOnDriver(c);
      driver.close();
      expect(perStep).toEqual(c.steps.map((s) => s.out));
    });
  }
  it("tumbling: the store keeps size + grace behind stream time, as Kafka's", () => {
    const { driver } = runOnDriver(tumblingBoundaries);
    // Stream time 20, window size 10, no grace: only [20,30) is still fetchable.
    expect(driver.getWindowStore<string, number>("counts")!.fetchRange("k", 0, 20).map((e) => [e.key, e.value])).toEqual([[20, 1]]);
    driver.close();
  });
  it("session: the merged session replaces the old ones in the store", () => {
    const { driver } = runOnDriver(sessionMerge);
    expect(driver.getSessionStore<string, number>("sessions")!.fetch("k").map((e) => [show(e.key), e.value])).toEqual([["k@0-12", 3]]);
    driver.close();
  });
});

describe("hopping windows", () => {
  it("rejects an advance larger than the size", () => {
    expect(() => TimeWindows.ofSizeWithNoGrace(10).advanceBy(11)).toThrow(/advancement interval/);
  });
});

describe("suppress(untilWindowCloses)", () => {
  it("describes the suppress node with its buffer store, named as Kafka", () => {
    const b = new StreamsBuilder();
    b.stream<string, string>("in", Consumed.with(S, S)).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count()
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())).toStream().to("out");
    const text = b.build().describe().toString();
    expect(text).toContain("Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])");
    expect(text).toContain("Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])");
    expect(text).toContain("Sink: KSTREAM-SINK-0000000006 (topic: out)");
  });
  it("refuses untilWindowCloses on a non-windowed table", () => {
    const b = new StreamsBuilder();
    const t = b.stream<string, string>("in", Consumed.with(S, S)).groupByKey().count();
    expect(() => t.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))).toThrow(/windowed/);
  });
});

describe("windowed key formats", () => {
  it("time-windowed key = key bytes + 8-byte start; session key = key + end + start (Kafka's formats)", () => {
    const tw = WindowedSerdes.timeWindowedSerdeFrom(S, 10);
    const sw = WindowedSerdes.sessionWindowedSerdeFrom(S);
    const w = tw.deserializer().deserialize("t", Buffer.from("6b0000000000000014", "hex"))!;
    expect(show(w)).toBe("k@20-30");
    expect(tw.serializer().serialize("t", w)!.toString("hex")).toBe("6b0000000000000014");
    const s = sw.deserializer().deserialize("t", Buffer.from("6b" + "000000000000001e" + "0000000000000014", "hex"))!;
    expect(show(s)).toBe("k@20-30");
  });
});
