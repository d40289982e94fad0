import { parseConfig, type ConfigDef } from '../../config-def.ts';
import type { ConnectProtocolName } from './connect-protocol.ts';

/**
 * The distributed worker's own settings (Kafka's DistributedConfig), by Kafka's names and defaults:
 * the group, the three internal topics and how they are created, group timeouts, the rebalance delay,
 * `connect.protocol` and KIP-618's `exactly.once.source.support`.
 */

export interface DistributedConfig {
  groupId: string;
  configTopic: string;
  offsetTopic: string;
  statusTopic: string;
  configReplicationFactor: number;
  offsetReplicationFactor: number;
  offsetPartitions: number;
  statusReplicationFactor: number;
  statusPartitions: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  scheduledRebalanceMaxDelayMs: number;
  protocols: ConnectProtocolName[];
  exactlyOnce: boolean;
}

const positive = (v: unknown) => {
  if ((v as number) < 1) throw new Error('Value must be at least 1');
};
const replication = (v: unknown) => {
  if ((v as number) < 1 && v !== -1) throw new Error('Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker\'s default');
};

export const DISTRIBUTED_DEF: ConfigDef = [
  { name: 'group.id', type: 'STRING', importance: 'HIGH', documentation: 'A unique string that identifies the Connect cluster group this worker belongs to.' },
  { name: 'config.storage.topic', type: 'STRING', importance: 'HIGH', documentation: 'The name of the Kafka topic where connector configurations are stored' },
  { name: 'offset.storage.topic', type: 'STRING', importance: 'HIGH', documentation: 'The name of the Kafka topic where source connector offsets are stored' },
  { name: 'status.storage.topic', type: 'STRING', importance: 'HIGH', documentation: 'The name of the Kafka topic where connector and task status are stored' },
  { name: 'config.storage.replication.factor', type: 'INT', defaultValue: '3', importance: 'LOW', documentation: 'Replication factor used when creating the configuration storage topic', validate: replication },
  { name: 'offset.storage.replication.factor', type: 'INT', defaultValue: '3', importance: 'LOW', documentation: 'Replication factor used when creating the offset storage topic', validate: replication },
  { name: 'offset.storage.partitions', type: 'INT', defaultValue: '25', importance: 'LOW', documentation: 'The number of partitions used when creating the offset storage topic', validate: positive },
  { name: 'status.storage.replication.factor', type: 'INT', defaultValue: '3', importance: 'LOW', documentation: 'Replication factor used when creating the status storage topic', validate: replication },
  { name: 'status.storage.partitions', type: 'INT', defaultValue: '5', importance: 'LOW', documentation: 'The number of partitions used when creating the status storage topic', validate: positive },
  { name: 'session.timeout.ms', type: 'INT', defaultValue: '10000', importance: 'HIGH', documentation: 'The timeout used to detect worker failures.' },
  { name: 'heartbeat.interval.ms', type: 'INT', defaultValue: '3000', importance: 'HIGH', documentation: 'The expected time between heartbeats to the group coordinator.' },
  { name: 'rebalance.timeout.ms', type: 'INT', defaultValue: '60000', importance: 'HIGH', documentation: 'The maximum allowed time for each worker to join the group once a rebalance has begun.' },
  { name: 'scheduled.rebalance.max.delay.ms', type: 'INT', defaultValue: '300000', importance: 'LOW', documentation: 'The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks to the group.' },
  { name: 'connect.protocol', type: 'STRING', defaultValue: 'sessioned', importance: 'LOW', documentation: 'Compatibility mode for Kafka Connect Protocol', validate: (v) => {
    if (!['eager', 'compatible', 'sessioned'].includes(String(v).toLowerCase())) throw new Error('String must be one of (case insensitive): EAGER, COMPATIBLE, SESSIONED');
  } },
  { name: 'exactly.once.source.support', type: 'STRING', defaultValue: 'disabled', importance: 'HIGH', documentation: 'Whether to enable exactly-once support for source connectors in the cluster by using transactions to write source records and their source offsets.', validate: (v) => {
    if (!['disabled', 'preparing', 'enabled'].includes(String(v).toLowerCase())) throw new Error('String must be one of (case insensitive): DISABLED, PREPARING, ENABLED');
  } },
];

/** Distributed-only keys a worker file may carry and we accept without acting on them. */
export const DISTRIBUTED_ACCEPTED = [
  'worker.sync.timeout.ms',
  'worker.unsync.backoff.ms',
  'inter.worker.key.generation.algorithm',
  'inter.worker.key.size',
  'inter.worker.key.ttl.ms',
  'inter.worker.signature.algorithm',
  'inter.worker.verification.algorithms',
  'config.storage.partitions',
];

export function parseDistributedConfig(props: Record<string, string>): DistributedConfig {
  for (const k of ['group.id', 'config.storage.topic', 'offset.storage.topic', 'status.storage.topic']) {
    if (!props[k] || props[k]!.trim() === '') throw new Error(`Missing required configuration "${k}" which has no default value.`);
  }
  const c = parseConfig(DISTRIBUTED_DEF, props);
  const proto = String(c['connect.protocol']).toLowerCase();
  const topics = [c['config.storage.topic'], c['offset.storage.topic'], c['status.storage.topic']] as string[];
  if (new Set(topics).size !== 3) throw new Error(`Configuration properties config.storage.topic, offset.storage.topic and status.storage.topic must all be different topics (got ${topics.join(', ')})`);
  const sessionTimeoutMs = c['session.timeout.ms'] as number;
  const heartbeatIntervalMs = c['heartbeat.interval.ms'] as number;
  if (heartbeatIntervalMs >= sessionTimeoutMs) throw new Error('heartbeat.interval.ms must be lower than session.timeout.ms');
  return {
    groupId: String(c['group.id']).trim(),
    configTopic: topics[0]!,
    offsetTopic: topics[1]!,
    statusTopic: topics[2]!,
    configReplicationFactor: c['config.storage.replication.factor'] as number,
    offsetReplicationFactor: c['offset.storage.replication.factor'] as number,
    offsetPartitions: c['offset.storage.partitions'] as number,
    statusReplicationFactor: c['status.storage.replication.factor'] as number,
    statusPartitions: c['status.storage.partitions'] as number,
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs: c['rebalance.timeout.ms'] as number,
    scheduledRebalanceMaxDelayMs: c['scheduled.rebalance.max.delay.ms'] as number,
    protocols: proto === 'eager' ? ['default'] : proto === 'compatible' ? ['compatible', 'default'] : ['sessioned', 'compatible', 'default'],
    exactlyOnce: String(c['exactly.once.source.support']).toLowerCase() === 'enabled',
  };
}
