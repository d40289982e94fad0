/**
 * kstream/streams: Kafka Streams for TypeScript. This round: the DSL, the Processor API, state stores
 * the TopologyTestDriver (no broker needed) and KafkaStreams, the runtime against a Kafka cluster.
 */
export { StreamsBuilder, GlobalKTable } from "./streams-builder.ts";
export { KStream } from "./kstream.ts";
export { KTable } from "./ktable.ts";
export { KGroupedStream, TimeWindowedKStream, SessionWindowedKStream, SlidingWindowedKStream } from "./kgrouped-stream.ts";
export { KGroupedTable } from "./kgrouped-table.ts";
export { Branched } from "./branched.ts";
export type { BranchedKStream } from "./branched.ts";
export { Consumed, Produced, Grouped, Materialized, Joined, StreamJoined, Repartitioned, Printed, Named } from "./dsl-options.ts";
export { Suppressed, BufferConfig } from "./suppressed.ts";
export { KeyValue } from "./key-value.ts";
export type { ValueMapper } from "./key-value.ts";
export { Serdes, serdeFrom } from "./serdes.ts";
export type { Serde, Serializer, Deserializer } from "./serdes.ts";
export { TimeWindows, SlidingWindows, SessionWindows, JoinWindows, Window, Windowed, WindowedSerdes } from "./windows.ts";
export { Topology, TopologyException } from "./topology.ts";
export type { TimestampExtractor, TopicNameExtractor, StreamPartitioner, AutoOffsetReset } from "./topology.ts";
export { TopologyDescription } from "./topology-description.ts";
export { Record, PunctuationType } from "./processor.ts";
export type {
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  FixedKeyProcessor,
  FixedKeyProcessorContext,
  FixedKeyProcessorSupplier,
  Punctuator,
  Cancellable,
  RecordMetadata,
  Headers,
} from "./processor.ts";
export { Stores } from "./state/stores.ts";
export type {
  StateStore,
  StoreBuilder,
  KeyValueStore,
  ReadOnlyKeyValueStore,
  TimestampedKeyValueStore,
  ValueAndTimestamp,
  WindowStore,
  ReadOnlyWindowStore,
  SessionStore,
  ReadOnlySessionStore,
} from "./state/state-store.ts";
export { TopologyTestDriver } from "./test-driver/topology-test-driver.ts";
export type { TestDriverConfig } from "./test-driver/topology-test-driver.ts";
export { TestInputTopic, TestOutputTopic } from "./test-driver/test-topics.ts";
export { TestRecord } from "./test-driver/test-record.ts";
export { KafkaStreams, StreamThreadExceptionResponse, QueryableStoreTypes, StoreQueryParameters, IllegalStateException, InvalidStateStoreException } from "./kafka-streams.ts";
export type { KafkaStreamsState, StateListener, StreamsUncaughtExceptionHandler } from "./kafka-streams.ts";
export type { StreamsConfigInput as StreamsConfig, ProcessingGuarantee } from "./runtime/streams-config.ts";
export type { StateRestoreListener } from "./runtime/stream-task.ts";
