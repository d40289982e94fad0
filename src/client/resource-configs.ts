import { ErrorCode } from '../protocol/error-codes.ts';
import { DescribeConfigsApi } from '../protocol/messages/describe-configs.ts';
import { IncrementalAlterConfigsApi } from '../protocol/messages/incremental-alter-configs.ts';
import { CONFIG_SOURCES, type DescribedConfig } from './admin.ts';
import type { BrokerConnection } from './broker-connection.ts';
import type { Cluster } from './cluster.ts';
import { KafkaError, UnsupportedApiError, check } from './errors.ts';

/**
 * Configs of a topic or a broker over DescribeConfigs / IncrementalAlterConfigs, as Kafka's
 * kafka-configs.sh reads and changes them: a broker resource is its node id (asked of that broker,
 * as Kafka's AdminClient routes it) or "" for the cluster-wide dynamic defaults (--entity-default).
 */

export type ConfigResource = { type: 'topic'; name: string } | { type: 'broker'; id: number | 'default' };

/** Kafka's ConfigResource.Type codes. */
const RESOURCE_TYPE = { topic: 2, broker: 4 } as const;
/** IncrementalAlterConfigs' OpType codes. */
const OP_SET = 0;
const OP_DELETE = 1;

export function describeResource(r: ConfigResource): string {
  if (r.type === 'topic') return `topic "${r.name}"`;
  return r.id === 'default' ? 'the cluster-wide broker defaults' : `broker ${r.id}`;
}

const resourceName = (r: ConfigResource): string => (r.type === 'topic' ? r.name : r.id === 'default' ? '' : String(r.id));

/** The broker a resource's request goes to: the named broker itself, else the controller. */
async function connectionFor(cluster: Cluster, r: ConfigResource): Promise<BrokerConnection> {
  if (r.type === 'broker' && r.id !== 'default') {
    await cluster.refreshMetadata([]);
    if (!cluster.brokers.has(r.id)) {
      const known = [...cluster.brokers.keys()].sort((a, b) => a - b).join(', ');
      throw new Error(`broker ${r.id} is not in the cluster (brokers: ${known})`);
    }
    return cluster.connectionTo(r.id);
  }
  return cluster.controllerConnection();
}

/**
 * The resource's configs: `keys` null = all of them. The `source` decides what kafka-configs.sh shows
 * without --all: the resource's own dynamic values (see isOverride).
 */
export async function describeResourceConfigs(cluster: Cluster, r: ConfigResource, keys: string[] | null = null): Promise<DescribedConfig[]> {
  const conn = await connectionFor(cluster, r);
  const version = conn.negotiated(DescribeConfigsApi);
  const res = await conn.request(DescribeConfigsApi, {
    resources: [{ resourceType: RESOURCE_TYPE[r.type], resourceName: resourceName(r), configurationKeys: keys && keys.length > 0 ? keys : null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const result = res.results[0]!;
  if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new KafkaError(result.errorCode, `${describeResource(r)} does not exist`);
  check(result.errorCode, `describe configs of ${describeResource(r)}`, result.errorMessage);
  return result.configs
    .map((c) => ({
      name: c.name,
      value: c.value,
      source: version >= 1 ? (CONFIG_SOURCES[c.configSource] ?? String(c.configSource)) : c.isDefault ? 'DEFAULT_CONFIG' : r.type === 'topic' ? 'DYNAMIC_TOPIC_CONFIG' : 'STATIC_BROKER_CONFIG',
      isDefault: version >= 1 ? c.configSource === 5 : c.isDefault,
      readOnly: c.readOnly,
      sensitive: c.isSensitive,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether kafka-configs.sh --describe (without --all) lists it: the resource's own dynamic value. */
export function isOverride(r: ConfigResource, c: DescribedConfig): boolean {
  if (r.type === 'topic') return c.source === 'DYNAMIC_TOPIC_CONFIG';
  return c.source === (r.id === 'default' ? 'DYNAMIC_DEFAULT_BROKER_CONFIG' : 'DYNAMIC_BROKER_CONFIG');
}

/** Sets and deletes configs in one IncrementalAlterConfigs request (all or nothing on the broker). */
export async function alterResourceConfigs(cluster: Cluster, r: ConfigResource, set: Record<string, string>, remove: string[] = []): Promise<void> {
  const conn = await connectionFor(cluster, r);
  if (conn.negotiated(IncrementalAlterConfigsApi) < 0) {
    throw new UnsupportedApiError(`broker ${conn.address} does not support IncrementalAlterConfigs (Kafka 2.3+); for topics use \`kstream topics alter-config\``);
  }
  const res = await conn.request(IncrementalAlterConfigsApi, {
    resources: [
      {
        resourceType: RESOURCE_TYPE[r.type],
        resourceName: resourceName(r),
        configs: [
          ...Object.entries(set).map(([name, value]) => ({ name, configOperation: OP_SET, value })),
          ...remove.map((name) => ({ name, configOperation: OP_DELETE, value: null })),
        ],
      },
    ],
    validateOnly: false,
  });
  const result = res.responses[0]!;
  if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new KafkaError(result.errorCode, `${describeResource(r)} does not exist`);
  check(result.errorCode, `alter configs of ${describeResource(r)}`, result.errorMessage);
}
