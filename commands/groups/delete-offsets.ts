import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class GroupsDeleteOffsets extends BaseCommand {
  static override summary = "Delete a group's committed offsets for topics or partitions (OffsetDelete).";
  static override description = `Like Kafka's kafka-consumer-groups --delete-offsets: the group forgets where it was in those partitions (its consumers then start by their offset reset policy). Refused per partition while an active member of the group is subscribed to the topic. Prints TOPIC PARTITION STATUS per partition; exit status 1 if any failed.`;
  static override examples = [
    '$ kstream groups delete-offsets my-group --topic demo',
    '$ kstream groups delete-offsets my-group --topic demo:0,2 --topic other',
  ];
  static override args = { group: Args.string({ required: true, ignoreStdin: true, description: 'Consumer group id.' }) };
  static override flags = {
    topic: Flags.string({
      summary: "Topic whose offsets to delete, as Kafka's tool takes them: demo (all partitions), demo:0, demo:0,2 or demo:0-3 (repeatable).",
      multiple: true,
      multipleNonGreedy: true,
    }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(GroupsDeleteOffsets);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { parseTopicPartitions } = await import('../../src/cli/partition-selection.ts');
    const { deleteGroupOffsets } = await import('../../src/client/offset-delete.ts');
    const { formatTable, printJson, colors } = await import('../../src/cli/output.ts');
    const { UsageError } = await import('../../src/cli/parse.ts');
    if (!flags.topic || flags.topic.length === 0) throw Object.assign(new UsageError('--topic is required: the topic(s) whose offsets to delete (demo, demo:0, demo:0,2 or demo:0-3)'), { exitCode: 2 });
    const selection = flags.topic.map((t) => parseTopicPartitions(t, '--topic'));
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const results = await deleteGroupOffsets(cluster, args.group, selection);
    if (flags.json) printJson({ group: args.group, partitions: results.map((r) => ({ topic: r.topic, partition: r.partition, error: r.error?.message ?? null })) });
    else {
      process.stdout.write(
        formatTable(
          ['TOPIC', { header: 'PARTITION', align: 'right' }, 'STATUS'],
          results.map((r) => [r.topic, r.partition, r.error ? `error: ${r.error.message}` : 'deleted']),
        ),
      );
    }
    const failed = results.filter((r) => r.error !== null);
    if (failed.length > 0) {
      process.stderr.write(`error: ${failed.length} of ${results.length} partition offsets not deleted: ${failed[0]!.error!.message}\n`);
      this.exit(1);
    }
    process.stderr.write(`${colors().green('✔')} deleted the offsets of group ${args.group} for ${flags.topic.join(', ')}\n`);
  }
}
