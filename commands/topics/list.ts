import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TopicsList extends BaseCommand {
  static override summary = 'List topics with their partition count, replication factor and record count.';
  static override examples = ['$ kstream topics list', '$ kstream topics list --json', '$ kstream topics list -b kafka:9092 --internal'];
  static override flags = {
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
    internal: Flags.boolean({ summary: 'Include internal topics (__consumer_offsets …).', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TopicsList);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const admin = new Admin(cluster);
    const listed = await admin.listTopics(flags.internal);
    // Records = latest − earliest summed over partitions (what retention left), as `topics describe` shows.
    const topics = [];
    for (const t of listed) {
      const offsets = await admin.topicOffsets(t.name).catch(() => null);
      topics.push({ ...t, messages: offsets === null ? null : offsets.reduce((s, p) => s + Math.max(0, p.latest - p.earliest), 0) });
    }
    if (flags.json) return printJson(topics);
    if (topics.length === 0) {
      process.stderr.write('no topics yet — create one with `kstream topics create NAME`\n');
      return;
    }
    process.stdout.write(
      formatTable(
        ['NAME', { header: 'PARTITIONS', align: 'right' }, { header: 'REPLICAS', align: 'right' }, { header: 'MESSAGES', align: 'right' }],
        topics.map((t) => [t.name, t.partitions, t.replicationFactor, t.messages]),
      ),
    );
  }
}
