import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

export default class TopicsCreate extends BaseCommand {
  static override summary = 'Create a topic.';
  static override examples = [
    '$ kstream topics create demo',
    '$ kstream topics create orders --partitions 6 --config retention.ms=86400000 --config cleanup.policy=compact',
    '$ kstream topics create demo --if-not-exists',
  ];
  static override args = { topic: Args.string({ required: true, ignoreStdin: true, description: 'Name of the new topic.' }) };
  static override flags = {
    partitions: Flags.integer({ char: 'p', summary: 'Number of partitions (default: the broker’s num.partitions).', min: 1 }),
    'replication-factor': Flags.integer({ char: 'r', summary: 'Replication factor (default: the broker’s default).', min: 1 }),
    config: Flags.string({ char: 'c', summary: 'Topic config key=value (repeatable).', multiple: true, multipleNonGreedy: true }),
    'if-not-exists': Flags.boolean({ summary: 'Succeed quietly when the topic already exists.', default: false }),
    json: Flags.boolean({ summary: 'Print the result as JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsCreate);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { parseConfigs } = await import('../../src/cli/parse.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { KafkaError } = await import('../../src/client/errors.ts');
    const { printJson, colors } = await import('../../src/cli/output.ts');
    const configs = parseConfigs(flags.config);
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    try {
      const r = await new Admin(cluster).createTopic(args.topic, { partitions: flags.partitions, replicationFactor: flags['replication-factor'], configs });
      if (flags.json) printJson({ name: args.topic, created: true, ...r });
      else process.stderr.write(`${colors().green('✔')} created topic ${args.topic}${r.partitions > 0 ? ` with ${r.partitions} partition${r.partitions === 1 ? '' : 's'}` : ''}\n`);
    } catch (e) {
      if (e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS) {
        if (flags['if-not-exists']) {
          if (flags.json) printJson({ name: args.topic, created: false });
          return;
        }
        throw new Error(`topic "${args.topic}" already exists`);
      }
      throw e;
    }
  }
}
