import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class StreamsDescribe extends BaseCommand {
  static override summary = "Print a Streams app's topology (Kafka's describe() text) without running it.";
  static override description = 'Loads APP as `kstream streams run` does, but KafkaStreams.start() connects to nothing: the topology of every KafkaStreams the app creates is printed.';
  static override examples = ['kstream streams describe wordcount.ts'];
  static override args = { app: Args.string({ required: true, description: 'The app file (.ts, .mts, .js, .mjs).' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(StreamsDescribe);
    const { loadApp } = await import('../../src/streams/runtime/app-launcher.ts');
    const reg = await loadApp(args.app, { describeOnly: true });
    if (reg.created.length === 0) this.error(`${args.app} created no KafkaStreams instance`, { exit: 1 });
    process.stdout.write(reg.created.map((a) => a.describeTopology()).join('\n'));
  }
}
