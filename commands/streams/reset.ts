import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class StreamsReset extends BaseCommand {
  static override summary = "Reset a Streams application to reprocess its input (Kafka's kafka-streams-application-reset).";
  static override description = `Resets the application's committed offsets on its input topics to the earliest offset and deletes its internal topics (<application.id>-…-changelog and -repartition). The application must be stopped (its group empty). Local state is not touched: call KafkaStreams.cleanUp() or delete the state.dir subdirectory, as with Kafka.`;
  static override examples = [
    'kstream streams reset --application-id wordcount --input-topics wc-input',
    'kstream streams reset --application-id wordcount --input-topics wc-input --dry-run',
  ];
  static override flags = {
    'application-id': Flags.string({ summary: 'The Streams application id (its group id).', required: true }),
    'input-topics': Flags.string({ summary: 'Input topics to reset to the beginning (comma-separated or repeated).', multiple: true, default: [] }),
    'dry-run': Flags.boolean({ summary: 'Only print what would be done.', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(StreamsReset);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { resetApplication } = await import('../../src/streams/runtime/application-reset.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const inputs = flags['input-topics'].flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
    await resetApplication(cluster, flags['application-id'], inputs, flags['dry-run'], (line) => process.stdout.write(`${line}\n`));
  }
}
