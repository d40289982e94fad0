import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class ClusterDescribe extends BaseCommand {
  static override summary = 'Show the cluster: its id, the controller and the brokers.';
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
    const d = await describeCluster(cluster);
    if (flags.json) return printJson({ clusterId: d.clusterId, controller: d.controllerId, brokers: d.brokers });
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
  }
}
