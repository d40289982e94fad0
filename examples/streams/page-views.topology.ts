// Page views per user in 1-minute tumbling windows (with 10 s grace), one final count per window.
// Input `page-views`: key = user id, value = JSON {"page": string}. Output `page-views-per-user`:
// key = "<user>@<window start ISO>", value = count (Long).
import { Consumed, Grouped, Materialized, Produced, Serdes, StreamsBuilder, Suppressed, BufferConfig, TimeWindows } from "kstream/streams";
import type { Topology, Windowed } from "kstream/streams";

export interface PageView {
  page: string;
}

export function pageViewsTopology(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream("page-views", Consumed.with(Serdes.String(), Serdes.JSON<PageView>()))
    .groupByKey(Grouped.with(Serdes.String(), Serdes.JSON<PageView>()))
    .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
    .count(Materialized.as("page-views-per-minute"))
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream()
    .map((w: Windowed<string>, count: number) => ({ key: `${w.key()}@${new Date(w.window().start()).toISOString()}`, value: count }))
    .to("page-views-per-user", Produced.with(Serdes.String(), Serdes.Long()));
  return builder.build();
}
