import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TopicsReassign extends BaseCommand {
  static override summary = "Move a topic's partition replicas to other brokers, cancel a move, or list moves in progress.";
  static override description =
    "AlterPartitionReassignments / ListPartitionReassignments, like Kafka's kafka-reassign-partitions.sh. " +
    'New replicas copy the partition from its leader; once all of them are in sync the old ones are dropped. ' +
    'Give each partition as PARTITION=BROKER,BROKER,... (the first broker is the preferred leader).';
  static override examples = [
    '$ kstream topics reassign orders --assignment 0=2,3,1 --assignment 1=3,1,2',
    '$ kstream topics reassign orders --cancel --partition 0',
    '$ kstream topics reassign --list',
  ];
  static override args = { topic: Args.string({ required: false, ignoreStdin: true, description: 'Topic whose partitions move.' }) };
  static override flags = {
    assignment: Flags.string({ char: 'a', summary: 'PARTITION=BROKER,BROKER,... (repeatable).', multiple: true }),
    cancel: Flags.boolean({ summary: 'Cancel the reassignment of the --partition(s).', default: false }),
    partition: Flags.integer({ summary: 'Partition to cancel (repeatable).', multiple: true, min: 0 }),
    list: Flags.boolean({ summary: 'List the reassignments in progress.', default: false }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsReassign);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { alterReassignments, listReassignments } = await import('../../src/client/partition-admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    let targets: { partition: number; replicas: number[] | null }[] = [];
    if (!flags.list) {
      if (!args.topic) this.error('give a topic (or --list)', { exit: 2 });
      if (flags.cancel) {
        if (!flags.partition?.length) this.error('--cancel needs --partition', { exit: 2 });
        targets = flags.partition.map((partition) => ({ partition, replicas: null }));
      } else {
        if (!flags.assignment?.length) this.error('give --assignment PARTITION=BROKER,BROKER,... (or --cancel / --list)', { exit: 2 });
        targets = flags.assignment.map((a) => {
          const m = /^(\d+)=(\d+(?:,\d+)*)$/.exec(a.trim());
          if (!m) this.error(`--assignment "${a}": expected PARTITION=BROKER,BROKER,... e.g. 0=1,2,3`, { exit: 2 });
          return { partition: Number(m[1]), replicas: m[2]!.split(',').map(Number) };
        });
      }
    }
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    if (flags.list) {
      const list = await listReassignments(cluster);
      if (flags.json) return printJson(list);
      if (list.length === 0) {
        process.stderr.write('no reassignment in progress\n');
        return;
      }
      process.stdout.write(
        formatTable(['TOPIC', { header: 'PARTITION', align: 'right' }, 'REPLICAS', 'ADDING', 'REMOVING'], list.map((r) => [r.topic, r.partition, r.replicas.join(','), r.adding.join(','), r.removing.join(',')])),
      );
      return;
    }
    const results = await alterReassignments(cluster, args.topic!, targets);
    if (flags.json) return printJson(results);
    process.stdout.write(formatTable(['TOPIC', { header: 'PARTITION', align: 'right' }, 'RESULT', 'MESSAGE'], results.map((r) => [r.topic, r.partition, r.error === 'NONE' ? (flags.cancel ? 'cancelled' : 'started') : r.error, r.message ?? ''])));
    if (results.some((r) => r.error !== 'NONE')) this.exit(1);
  }
}
