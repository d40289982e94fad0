import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TopicsElectLeaders extends BaseCommand {
  static override summary = 'Move leadership back to the preferred replicas (or elect any replica with --unclean).';
  static override description =
    "ElectLeaders, like Kafka's kafka-leader-election.sh. Without a topic: every partition of the cluster (only those that needed an election are listed). " +
    '--unclean elects a replica outside the ISR for partitions without a leader: acknowledged records may be lost.';
  static override examples = ['$ kstream topics elect-leaders', '$ kstream topics elect-leaders orders --partition 0 --partition 2', '$ kstream topics elect-leaders orders --unclean'];
  static override args = { topic: Args.string({ required: false, ignoreStdin: true, description: 'Topic (default: all topics).' }) };
  static override flags = {
    partition: Flags.integer({ summary: 'Partition (repeatable; default: every partition of the topic).', multiple: true, min: 0 }),
    unclean: Flags.boolean({ summary: 'Unclean election: a replica outside the ISR may lead (data loss possible).', default: false }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsElectLeaders);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { electLeaders } = await import('../../src/client/partition-admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    if (!args.topic && flags.partition) this.error('--partition needs a topic', { exit: 2 });
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    let partitions: { topic: string; partition: number }[] | null = null;
    if (args.topic) {
      const [info] = await cluster.topicMetadata([args.topic]);
      const all = info!.partitions.map((p) => p.partition);
      partitions = (flags.partition ?? all).map((partition) => ({ topic: args.topic!, partition }));
    }
    const results = await electLeaders(cluster, partitions, flags.unclean);
    if (flags.json) return printJson(results);
    if (results.length === 0) {
      process.stderr.write('no partition needed an election\n');
      return;
    }
    process.stdout.write(formatTable(['TOPIC', { header: 'PARTITION', align: 'right' }, 'RESULT', 'MESSAGE'], results.map((r) => [r.topic, r.partition, r.error === 'NONE' ? 'elected' : r.error, r.message ?? ''])));
    const failed = results.filter((r) => r.error !== 'NONE' && r.error !== 'ELECTION_NOT_NEEDED');
    if (failed.length > 0) this.exit(1);
  }
}
