import { describe, expect, it } from "vitest";
import { Consumed, Grouped, KeyValue, Materialized, Produced, Serdes, StreamsBuilder, TopologyTestDriver } from "../../src/streams/index.ts";

/** The word-count program of issue 16, minus the broker runtime (KafkaStreams comes next round). */
function wordCount(materialized = Materialized.as<string, number>("word-counts")) {
  const builder = new StreamsBuilder();
  builder
    .stream("wc-input", Consumed.with(Serdes.String(), Serdes.String()))
    .flatMapValues((line: string) => line.toLowerCase().split(/\W+/).filter((w) => w.length > 0))
    .groupBy((_key: string | null, word: string) => word, Grouped.with(Serdes.String(), Serdes.String()))
    .count(materialized)
    .toStream()
    .to("wc-output", Produced.with(Serdes.String(), Serdes.Long()));
  return builder.build();
}

describe("word count on the TopologyTestDriver", () => {
  it("emits a running count per word, through the repartition topic, and keeps it in the store", () => {
    const driver = new TopologyTestDriver(wordCount(), { "application.id": "wordcount" });
    const input = driver.createInputTopic("wc-input", Serdes.String(), Serdes.String());
    const output = driver.createOutputTopic("wc-output", Serdes.String(), Serdes.Long());
    input.pipeInput(null, "Hello Kafka Streams", 1000);
    input.pipeInput(null, "hello  world; HELLO!", 2000);
    expect(output.readKeyValuesToList()).toEqual([
      new KeyValue("hello", 1),
      new KeyValue("kafka", 1),
      new KeyValue("streams", 1),
      new KeyValue("hello", 2),
      new KeyValue("world", 1),
      new KeyValue("hello", 3),
    ]);
    const store = driver.getKeyValueStore<string, number>("word-counts")!;
    expect(store.get("hello")).toBe(3);
    expect(store.get("absent")).toBeNull();
    expect(store.all().map((e) => [e.key, e.value])).toEqual([["hello", 3], ["kafka", 1], ["streams", 1], ["world", 1]]);
    // The repartition topic is named <application.id>-<store>-repartition, as in Kafka.
    expect([...driver.producedTopicNames()].sort()).toEqual(["wc-output", "wordcount-word-counts-repartition"]);
    driver.close();
  });

  it("writes counts as Kafka's 8-byte big-endian longs", () => {
    const driver = new TopologyTestDriver(wordCount());
    driver.createInputTopic("wc-input", Serdes.String(), Serdes.String()).pipeInput("k", "a a a", 5);
    const out = driver.createOutputTopic("wc-output", Serdes.String(), Serdes.ByteArray()).readRecordsToList();
    expect(out.map((r) => r.value().toString("hex"))).toEqual(["0000000000000001", "0000000000000002", "0000000000000003"]);
    expect(out.map((r) => r.timestamp())).toEqual([5, 5, 5]);
    driver.close();
  });

  it("describes the topology in Kafka 3.9's text format", () => {
    expect(wordCount().describe().toString()).toBe(
      "Topologies:\n" +
        "   Sub-topology: 0\n" +
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [wc-input])\n" +
        "      --> KSTREAM-FLATMAPVALUES-0000000001\n" +
        "    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n" +
        "      --> KSTREAM-KEY-SELECT-0000000002\n" +
        "      <-- KSTREAM-SOURCE-0000000000\n" +
        "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n" +
        "      --> word-counts-repartition-filter\n" +
        "      <-- KSTREAM-FLATMAPVALUES-0000000001\n" +
        "    Processor: word-counts-repartition-filter (stores: [])\n" +
        "      --> word-counts-repartition-sink\n" +
        "      <-- KSTREAM-KEY-SELECT-0000000002\n" +
        "    Sink: word-counts-repartition-sink (topic: word-counts-repartition)\n" +
        "      <-- word-counts-repartition-filter\n" +
        "\n" +
        "  Sub-topology: 1\n" +
        "    Source: word-counts-repartition-source (topics: [word-counts-repartition])\n" +
        "      --> KSTREAM-AGGREGATE-0000000003\n" +
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [word-counts])\n" +
        "      --> KTABLE-TOSTREAM-0000000007\n" +
        "      <-- word-counts-repartition-source\n" +
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n" +
        "      --> KSTREAM-SINK-0000000008\n" +
        "      <-- KSTREAM-AGGREGATE-0000000003\n" +
        "    Sink: KSTREAM-SINK-0000000008 (topic: wc-output)\n" +
        "      <-- KTABLE-TOSTREAM-0000000007\n" +
        "\n",
    );
  });

  it("names an unnamed count's store and repartition topic as Kafka does", () => {
    const text = wordCount(Materialized.with<string, number>(Serdes.String(), Serdes.Long())).describe().toString();
    expect(text).toContain("Processor: KSTREAM-AGGREGATE-0000000004 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000003])");
    expect(text).toContain("Sink: KSTREAM-SINK-0000000005 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)");
    expect(text).toContain("Processor: KSTREAM-FILTER-0000000006 (stores: [])");
    expect(text).toContain("Source: KSTREAM-SOURCE-0000000007 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])");
    expect(text).toContain("Sink: KSTREAM-SINK-0000000009 (topic: wc-output)");
  });
});
