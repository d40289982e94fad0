import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TopicsDescribe extends BaseCommand {
  static override summary = 'Show topics: partitions (leader, replicas, offsets) and their non-default configs.';
  static override examples = ['$ kstream topics describe demo', '$ kstream topics describe demo other --json', "$ kstream topics describe '^orders-'", '$ kstream topics describe demo --all-configs'];
  static override usage = 'topics describe TOPIC... [FLAGS]';
  static override strict = false;
  static override args = { topic: Args.string({ required: true, ignoreStdin: true, description: "Topic(s) to describe; '^regex' matches topic names." }) };
  static override flags = {
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
    'all-configs': Flags.boolean({ summary: 'Include configs left at their defaults.', default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(TopicsDescribe);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { formatTable, printJson, colors } = await import('../../src/cli/output.ts');
    const { UsageError } = await import('../../src/cli/parse.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const admin = new Admin(cluster);
    const given = argv as string[];
    const patterns = given.filter((t) => t.startsWith('^')).map((t) => new RegExp(t));
    const all = patterns.length > 0 ? (await admin.listTopics(true)).map((t) => t.name) : [];
    const names = [...new Set(given.flatMap((t) => (t.startsWith('^') ? all.filter((n) => new RegExp(t).test(n)).sort() : [t])))];
    if (names.length === 0) throw new UsageError(`no topic matches ${given.join(' ')}`);
    const described = [];
    for (const name of names) {
      const d = await admin.describeTopic(name);
      const configs = await admin.describeConfigs(name, flags['all-configs']).catch(() => []);
      described.push({ d, configs });
    }
    if (flags.json) {
      const out = described.map(({ d, configs }) => ({
        name: d.topic.name,
        topicId: d.topic.topicId,
        internal: d.topic.isInternal,
        partitions: d.partitions,
        configs: Object.fromEntries(configs.map((c) => [c.name, c.sensitive ? null : c.value])),
      }));
      // One named topic: the object itself (as before); several or a pattern: an array.
      return printJson(given.length === 1 && patterns.length === 0 ? out[0] : out);
    }
    const c = colors();
    described.forEach(({ d, configs }, i) => {
      if (i > 0) process.stdout.write('\n');
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
    });
  }
}
