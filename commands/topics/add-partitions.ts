import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TopicsAddPartitions extends BaseCommand {
  static override summary = 'Grow a topic to a larger number of partitions.';
  static override description = 'Keys hash to partitions by count, so adding partitions moves where new records with a given key land.';
  static override examples = ['$ kstream topics add-partitions demo --partitions 6'];
  static override args = { topic: Args.string({ required: true, ignoreStdin: true, description: 'Topic to grow.' }) };
  static override flags = {
    partitions: Flags.integer({ char: 'p', summary: 'The new total number of partitions.', required: true, min: 1 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsAddPartitions);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const admin = new Admin(cluster);
    const info = await admin.topicInfo(args.topic);
    if (flags.partitions <= info.partitions.length) {
      throw new Error(`topic "${args.topic}" already has ${info.partitions.length} partitions; --partitions must be more (partitions cannot be removed)`);
    }
    await admin.createPartitions(args.topic, flags.partitions);
    process.stderr.write(`${colors().green('✔')} ${args.topic} now has ${flags.partitions} partitions (was ${info.partitions.length})\n`);
  }
}
