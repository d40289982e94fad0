import { DescribeClusterApi } from '../protocol/messages/describe-cluster.ts';
import type { Cluster } from './cluster.ts';
import { check } from './errors.ts';

/**
 * What `kstream cluster describe` / `brokers list` show: the cluster id, the controller and the brokers.
 * DescribeCluster (API 60, Kafka 2.8+) is what Kafka's AdminClient.describeCluster asks; brokers
 * without it answer the same from Metadata (brokers only, no topics).
 */

export interface ClusterBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  isController: boolean;
}

export interface ClusterDescription {
  clusterId: string | null;
  controllerId: number;
  brokers: ClusterBroker[];
  /** Which API answered: DescribeCluster, or Metadata on older brokers. */
  source: 'DescribeCluster' | 'Metadata';
}

export async function describeCluster(cluster: Cluster): Promise<ClusterDescription> {
  const conn = await cluster.anyConnection();
  if (conn.negotiated(DescribeClusterApi) >= 0) {
    const res = await conn.request(DescribeClusterApi, { includeClusterAuthorizedOperations: false });
    check(res.errorCode, 'DescribeCluster', res.errorMessage);
    return {
      clusterId: res.clusterId,
      controllerId: res.controllerId,
      brokers: res.brokers
        .map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack, isController: b.brokerId === res.controllerId }))
        .sort((a, b) => a.nodeId - b.nodeId),
      source: 'DescribeCluster',
    };
  }
  await cluster.refreshMetadata([]);
  return {
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId,
    brokers: [...cluster.brokers.values()]
      .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack, isController: b.nodeId === cluster.controllerId }))
      .sort((a, b) => a.nodeId - b.nodeId),
    source: 'Metadata',
  };
}
