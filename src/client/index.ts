/** The kstream Kafka client: usable from TypeScript on its own (no CLI imports). */
export { Cluster, type BrokerAddress, type ClusterOptions, type TopicInfo, type PartitionInfo } from './cluster.ts';
export { BrokerConnection, type ConnectionOptions, type RequestOptions } from './broker-connection.ts';
export { Producer, type ProducerOptions, type ProducerRecord } from './producer.ts';
export { Consumer, type ConsumerOptions, type FetchedBatch, type StartPosition } from './consumer.ts';
export { Admin, type ResetSpec, type ResetPlanEntry, type GroupDescription, type PartitionLag } from './admin.ts';
export { KafkaError, ConnectionError, TimeoutError, UnsupportedApiError, errorName } from './errors.ts';
export { murmur2, toPositive } from './murmur2.ts';
export { DefaultPartitioner, RoundRobinPartitioner, keyPartition, type Partitioner } from './partitioner.ts';
export { rangeAssignor, roundRobinAssignor, type Assignor } from './assignors.ts';
