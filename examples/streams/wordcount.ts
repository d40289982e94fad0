// Word count, exactly as in issue 16. Run it against a broker:
//   kstream topics create wc-input --partitions 2
//   kstream streams run examples/streams/wordcount.ts
//   printf 'hello kafka streams\nhello world\n' | kstream produce wc-input
//   kcat -b 127.0.0.1:9092 -C -t wc-output -s value=q -f '%k %s\n' -e -X isolation.level=read_committed
import { StreamsBuilder, KafkaStreams, Serdes, Consumed, Produced, Grouped, Materialized } from "kstream/streams";

const builder = new StreamsBuilder();
builder
  .stream("wc-input", Consumed.with(Serdes.String(), Serdes.String()))
  .flatMapValues((line: string) => line.toLowerCase().split(/\W+/).filter((w) => w.length > 0))
  .groupBy((_key: string | null, word: string) => word, Grouped.with(Serdes.String(), Serdes.String()))
  .count(Materialized.as("word-counts"))
  .toStream()
  .to("wc-output", Produced.with(Serdes.String(), Serdes.Long()));

const streams = new KafkaStreams(builder.build(), {
  "application.id": "wordcount",
  "bootstrap.servers": process.env.KSTREAM_BOOTSTRAP_SERVER ?? "127.0.0.1:9092",
  "processing.guarantee": "exactly_once_v2",
  "commit.interval.ms": 100,
});
await streams.start();
