// kstream topics create page-views --partitions 3 && kstream streams run examples/streams/page-views.ts
import { KafkaStreams } from "kstream/streams";
import { pageViewsTopology } from "./page-views.topology.ts";

const streams = new KafkaStreams(pageViewsTopology(), {
  "application.id": "page-views",
  "bootstrap.servers": process.env.KSTREAM_BOOTSTRAP_SERVER ?? "127.0.0.1:9092",
  "commit.interval.ms": 1000,
});
await streams.start();
