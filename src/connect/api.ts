/**
 * The connector API for users' own connectors, shaped as Kafka's (org.apache.kafka.connect.{connector,
 * source,sink}): a Connector splits its job into task configs; tasks move records. A `.ts`/`.js` file
 * named by `connector.class` default-exports a ConnectorClass (see runtime/plugins.ts).
 */
import type { Schema } from './data/schema.ts';
import type { ConfigDef } from './config-def.ts';

export type Props = Record<string, string>;

export interface ConnectHeader {
  key: string;
  /**
   * A Connect value: what the header converter (`header.converter`, SimpleHeaderConverter by default)
   * read from the header's bytes (sinks), or what a source task set, written by it (sources).
   */
  value: unknown;
  /** The value's schema (null/absent = inferred from the value, as a schemaless value). */
  schema?: Schema | null;
}

export interface ConnectRecord {
  topic: string;
  kafkaPartition: number | null;
  keySchema: Schema | null;
  key: unknown;
  valueSchema: Schema | null;
  value: unknown;
  timestamp: number | null;
  headers: ConnectHeader[];
}

export interface SourceRecord extends ConnectRecord {
  sourcePartition: Record<string, unknown> | null;
  sourceOffset: Record<string, unknown> | null;
}

export interface SinkRecord extends ConnectRecord {
  kafkaOffset: number;
  /** The partition and offset the record was read from (before transforms changed the topic). */
  originalTopic: string;
  originalKafkaPartition: number;
  originalKafkaOffset: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export const tpKey = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

export interface SourceTaskContext {
  /** The last committed offset of a source partition (OffsetStorageReader.offset). */
  offset(partition: Record<string, unknown>): Record<string, unknown> | null;
  readonly configs: Props;
}

export interface SinkTaskContext {
  /** Asks the runtime to restart consumption of these partitions at these offsets (SinkTaskContext.offset). */
  offset(offsets: Map<string, { topic: string; partition: number; offset: number }>): void;
  readonly configs: Props;
  /**
   * KIP-610's ErrantRecordReporter: a record put() could not handle goes through the connector's
   * errors.* handling (log, dead-letter queue); with errors.tolerance=none it rejects (the task fails).
   * Only for records of the put() in progress.
   */
  readonly errantRecordReporter?: { report(record: SinkRecord, error: Error): Promise<void> };
}

export interface SourceTask {
  start(props: Props, context: SourceTaskContext): void | Promise<void>;
  /** Records produced since the last call, or null/[] when there is nothing now (the runtime polls again). */
  poll(): Promise<SourceRecord[] | null>;
  /** Called after offsets were committed. */
  commit?(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface SinkTask {
  start(props: Props, context: SinkTaskContext): void | Promise<void>;
  put(records: SinkRecord[]): void | Promise<void>;
  /**
   * Makes everything put() so far durable; `offsets` are the next offsets to consume per partition.
   * Returns the offsets safe to commit (preCommit), by default `offsets`.
   */
  flush(offsets: Map<string, { topic: string; partition: number; offset: number }>): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface Connector {
  readonly type: 'source' | 'sink';
  version(): string;
  config(): ConfigDef;
  start(props: Props): void | Promise<void>;
  taskConfigs(maxTasks: number): Props[];
  stop(): void | Promise<void>;
  createTask(): SourceTask | SinkTask;
}

/** What a connector module default-exports: a class (or factory) and its identity. */
export interface ConnectorClass {
  readonly className: string;
  readonly type: 'source' | 'sink';
  create(): Connector;
}
