import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class BrokersList extends BaseCommand {
  static override summary = 'List the brokers of the cluster: ID, host, port, rack, and which is the controller.';
  static override description = "DescribeCluster (Metadata on brokers older than Kafka 2.8), as rpk cluster info's broker list and kcat -L's header show it.";
  static override examples = ['$ kstream brokers list', '$ kstream brokers list --json'];
  static override flags = { json: Flags.boolean({ summary: 'Print JSON.', default: false }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(BrokersList);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { describeCluster } = await import('../../src/client/cluster-info.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const d = await describeCluster(cluster);
    if (flags.json) return printJson(d.brokers);
    process.stdout.write(
      formatTable(
        [{ header: 'ID', align: 'right' }, 'HOST', { header: 'PORT', align: 'right' }, 'RACK', 'CONTROLLER'],
        d.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack, b.isController ? 'yes' : '']),
      ),
    );
  }
}
