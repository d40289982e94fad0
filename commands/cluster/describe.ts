import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class ClusterDescribe extends BaseCommand {
  static override summary = 'Show the cluster: its id, the controller, the brokers, under-replicated and offline partitions.';
  static override description = "DescribeCluster (Metadata on brokers older than Kafka 2.8), like rpk cluster info or Kafka's kafka-cluster.sh cluster-id plus kafka-broker-api-versions' broker list.";
  static override examples = ['$ kstream cluster describe', '$ kstream cluster describe --json'];
  static override flags = { json: Flags.boolean({ summary: 'Print JSON.', default: false }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(ClusterDescribe);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { describeCluster } = await import('../../src/client/cluster-info.ts');
    const { formatTable, printJson, colors } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const { partitionHealth } = await import('../../src/client/partition-admin.ts');
    const d = await describeCluster(cluster);
    const health = await partitionHealth(cluster);
    if (flags.json) {
      return printJson({ clusterId: d.clusterId, controller: d.controllerId, brokers: d.brokers, partitions: health.partitions, underReplicatedPartitions: health.underReplicated, offlinePartitions: health.offline });
    }
    const c = colors();
    const controller = d.brokers.find((b) => b.isController);
    process.stdout.write(
      `${c.bold('Cluster id:')} ${d.clusterId ?? '-'}\n${c.bold('Controller:')} ${controller ? `${controller.nodeId} (${controller.host}:${controller.port})` : d.controllerId >= 0 ? String(d.controllerId) : '-'}\n${c.bold('Brokers:')} ${d.brokers.length}\n\n`,
    );
    process.stdout.write(
      formatTable(
        [{ header: 'ID', align: 'right' }, 'HOST', { header: 'PORT', align: 'right' }, 'RACK', 'CONTROLLER'],
        d.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack, b.isController ? 'yes' : '']),
      ),
    );
    const section = (title: string, list: typeof health.offline) => {
      process.stdout.write(`\n${c.bold(title)} ${list.length}\n`);
      if (list.length === 0) return;
      process.stdout.write(
        formatTable(
          ['TOPIC', { header: 'PARTITION', align: 'right' }, { header: 'LEADER', align: 'right' }, 'REPLICAS', 'ISR', 'OFFLINE'],
          list.map((p) => [p.topic, p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.offlineReplicas.join(',')]),
        ),
      );
    };
    section('Under-replicated partitions:', health.underReplicated);
    section('Offline partitions:', health.offline);
  }
}
