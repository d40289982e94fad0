/** Window boundaries, grace, session merging and suppress, as Kafka's windowing docs define them. */
import { describe, expect, it } from "vitest";
import {
  BufferConfig, Consumed, Materialized, Produced, Serdes, SessionWindows, SlidingWindows, StreamsBuilder, Suppressed, TimeWindows,
  TopologyTestDriver, WindowedSerdes,
} from "../../src/streams/index.ts";
import type { Windowed } from "../../src/streams/index.ts";

const S = Serdes.String();
const show = (w: Windowed<string>): string => `${w.key()}@${w.window().start()}-${w.window().end()}`;

function windowedCount(windows: TimeWindows, suppress = false) {
  const b = new StreamsBuilder();
  let t = b.stream<string, string>("in", Consumed.with(S, S)).groupByKey().windowedBy(windows).count(Materialized.as("counts"));
  if (suppress) t = t.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()));
  t.toStream().to("out", Produced.with(WindowedSerdes.timeWindowedSerdeFrom(S, windows.size()), Serdes.Long()));
  const driver = new TopologyTestDriver(b.build());
  const input = driver.createInputTopic("in", S, S);
  const out = driver.createOutputTopic("out", WindowedSerdes.timeWindowedSerdeFrom(S, windows.size()), Serdes.Long());
  const read = () => out.readRecordsToList().map((r) => `${show(r.key())}=${r.value()}@${r.timestamp()}`);
  return { driver, input, read };
}

describe("tumbling windows", () => {
  it("window [start, end) includes start and excludes end", () => {
    const { driver, input, read } = windowedCount(TimeWindows.ofSizeWithNoGrace(10));
    for (const ts of [0, 9, 10, 19, 20]) input.pipeInput("k", "v", ts);
    expect(read()).toEqual(["k@0-10=1@0", "k@0-10=2@9", "k@10-20=1@10", "k@10-20=2@19", "k@20-30=1@20"]);
    // The store keeps size + grace (10 ms) behind stream time, as Kafka's: only [20,30) is still fetchable.
    const store = driver.getWindowStore<string, number>("counts")!;
    expect(store.fetchRange("k", 0, 20).map((e) => [e.key, e.value])).toEqual([[20, 1]]);
    driver.close();
  });

  it("drops records for windows closed by grace (end <= stream time - grace)", () => {
    const { driver, input, read } = windowedCount(TimeWindows.ofSizeAndGrace(10, 5));
    input.pipeInput("k", "v", 0);
    input.pipeInput("k", "v", 20);
    input.pipeInput("k", "late-dropped", 5); // window [0,10) closed at stream time 15
    input.pipeInput("k", "late-kept", 12); // window [10,20) open until stream time 25
    expect(read()).toEqual(["k@0-10=1@0", "k@20-30=1@20", "k@10-20=1@12"]);
    driver.close();
  });
});

describe("hopping windows", () => {
  it("a record lands in every window that contains it", () => {
    const { driver, input, read } = windowedCount(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5));
    input.pipeInput("k", "v", 7);
    input.pipeInput("k", "v", 12);
    expect(read()).toEqual(["k@0-10=1@7", "k@5-15=1@7", "k@5-15=2@12", "k@10-20=1@12"]);
    driver.close();
  });
  it("rejects an advance larger than the size", () => {
    expect(() => TimeWindows.ofSizeWithNoGrace(10).advanceBy(11)).toThrow(/advancement interval/);
  });
});

describe("suppress(untilWindowCloses)", () => {
  it("emits one final result per window once stream time passes end + grace", () => {
    const { driver, input, read } = windowedCount(TimeWindows.ofSizeAndGrace(10, 2), true);
    input.pipeInput("k", "v", 1);
    input.pipeInput("k", "v", 2);
    input.pipeInput("j", "v", 5);
    input.pipeInput("k", "v", 11); // stream time 11: [0,10) not yet closed (needs 12)
    expect(read()).toEqual([]);
    input.pipeInput("k", "v", 9); // late but within grace: counted
    input.pipeInput("x", "v", 12); // closes [0,10)
    // Same window end: ordered by key, as Kafka's time-ordered buffer.
    expect(read()).toEqual(["j@0-10=1@5", "k@0-10=3@9"]);
    input.pipeInput("x", "v", 30);
    expect(read()).toEqual(["k@10-20=1@11", "x@10-20=1@12"]);
    driver.close();
  });
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

describe("session windows", () => {
  it("merges sessions bridged by an out-of-order record, retracting the old ones", () => {
    // Grace 20 keeps [0,0] alive at stream time 12 (with no grace it would already be closed, as in Kafka).
    const b = new StreamsBuilder();
    b.stream<string, string>("in", Consumed.with(S, S))
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(6, 20))
      .count(Materialized.as("sessions"))
      .toStream()
      .to("out", Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(S), Serdes.Long()));
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("in", S, S);
    const out = driver.createOutputTopic("out", WindowedSerdes.sessionWindowedSerdeFrom(S), Serdes.Long());
    input.pipeInput("k", "a", 0);
    input.pipeInput("k", "b", 12);
    input.pipeInput("k", "c", 6); // within 6 of both: one session [0,12]
    expect(out.readRecordsToList().map((r) => `${show(r.key())}=${r.value()}@${r.timestamp()}`)).toEqual([
      "k@0-0=1@0",
      "k@12-12=1@12",
      "k@0-0=null@0",
      "k@12-12=null@12",
      "k@0-12=3@12",
    ]);
    expect(driver.getSessionStore<string, number>("sessions")!.fetch("k").map((e) => [show(e.key), e.value])).toEqual([["k@0-12", 3]]);
    driver.close();
  });
  it("drops a record whose session closed (end < stream time - grace)", () => {
    const b = new StreamsBuilder();
    b.stream<string, string>("in", Consumed.with(S, S)).groupByKey().windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 10)).count()
      .toStream().to("out", Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(S), Serdes.Long()));
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("in", S, S);
    const out = driver.createOutputTopic("out", WindowedSerdes.sessionWindowedSerdeFrom(S), Serdes.Long());
    input.pipeInput("k", "a", 100);
    input.pipeInput("j", "late-kept", 90); // 90 >= 100 - 10
    input.pipeInput("j", "late-but-merges", 89); // merged session [89,90] ends at the close time: kept
    input.pipeInput("m", "late-dropped", 89); // session [89,89] ends before 90: dropped
    expect(out.readRecordsToList().map((r) => `${show(r.key())}=${r.value()}`)).toEqual(["k@100-100=1", "j@90-90=1", "j@90-90=null", "j@89-90=2"]);
    driver.close();
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

describe("sliding windows (Kafka's KStreamSlidingWindowAggregate)", () => {
  it("keeps one window [t - d, t] per record plus right windows, and handles an out-of-order record", () => {
    const b = new StreamsBuilder();
    b.stream<string, string>("in", Consumed.with(S, S)).groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 100))
      .count().toStream().to("out", Produced.with(WindowedSerdes.timeWindowedSerdeFrom(S, 10), Serdes.Long()));
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("in", S, S);
    const out = driver.createOutputTopic("out", WindowedSerdes.timeWindowedSerdeFrom(S, 10), Serdes.Long());
    const step = (ts: number) => {
      input.pipeInput("k", "v", ts);
      return out.readRecordsToList().map((r) => `${r.key().window().start()}-${r.key().window().end()}=${r.value()}`);
    };
    expect(step(20)).toEqual(["10-20=1"]);
    expect(step(25)).toEqual(["21-31=1", "15-25=2"]); // right window of 20 appears once it holds a record
    expect(step(40)).toEqual(["30-40=1"]);
    expect(step(22)).toEqual(["21-31=2", "15-25=3", "12-22=2", "23-33=1"]); // late, within grace
    expect(step(3)).toEqual(["0-10=1"]); // earlier than d: the combined [0, d] window
    driver.close();
  });
});
