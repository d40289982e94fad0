import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TopicsDescribe extends BaseCommand {
  static override summary = 'Show a topic: partitions (leader, replicas, offsets) and its non-default configs.';
  static override examples = ['$ kstream topics describe demo', '$ kstream topics describe demo --json', '$ kstream topics describe demo --all-configs'];
  static override args = { topic: Args.string({ required: true, ignoreStdin: true, description: 'Topic to describe.' }) };
  static override flags = {
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
    'all-configs': Flags.boolean({ summary: 'Include configs left at their defaults.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsDescribe);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { formatTable, printJson, colors } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const admin = new Admin(cluster);
    const d = await admin.describeTopic(args.topic);
    const configs = await admin.describeConfigs(args.topic, flags['all-configs']).catch(() => []);
    if (flags.json) {
      return printJson({
        name: d.topic.name,
        topicId: d.topic.topicId,
        internal: d.topic.isInternal,
        partitions: d.partitions,
        configs: Object.fromEntries(configs.map((c) => [c.name, c.sensitive ? null : c.value])),
      });
    }
    const c = colors();
    const total = d.partitions.reduce((s, p) => s + Math.max(0, p.latest - p.earliest), 0);
    process.stdout.write(`${c.bold('Topic:')} ${d.topic.name}  ${c.bold('Partitions:')} ${d.partitions.length}  ${c.bold('Replication:')} ${d.partitions[0]?.replicas.length ?? 0}  ${c.bold('Records:')} ${total}\n\n`);
    process.stdout.write(
      formatTable(
        [{ header: 'PARTITION', align: 'right' }, { header: 'LEADER', align: 'right' }, 'REPLICAS', 'ISR', { header: 'EARLIEST', align: 'right' }, { header: 'LATEST', align: 'right' }],
        d.partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.earliest, p.latest]),
      ),
    );
    if (configs.length > 0) {
      process.stdout.write('\n');
      process.stdout.write(formatTable(['CONFIG', 'VALUE', 'SOURCE'], configs.map((x) => [x.name, x.sensitive ? '(sensitive)' : x.value, x.source])));
    }
  }
}
