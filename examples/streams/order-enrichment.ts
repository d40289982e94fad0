// kstream topics create orders --partitions 3 && kstream topics create customers --partitions 3 --config cleanup.policy=compact
// kstream streams run examples/streams/order-enrichment.ts
import { KafkaStreams } from "kstream/streams";
import { orderEnrichmentTopology } from "./order-enrichment.topology.ts";

const streams = new KafkaStreams(orderEnrichmentTopology(), {
  "application.id": "order-enrichment",
  "bootstrap.servers": process.env.KSTREAM_BOOTSTRAP_SERVER ?? "127.0.0.1:9092",
  "commit.interval.ms": 1000,
});
await streams.start();
