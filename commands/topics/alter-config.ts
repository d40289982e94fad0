import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TopicsAlterConfig extends BaseCommand {
  static override summary = 'Set or remove topic configs.';
  static override examples = [
    '$ kstream topics alter-config demo --set retention.ms=3600000',
    '$ kstream topics alter-config demo --set cleanup.policy=compact --delete retention.ms',
  ];
  static override args = { topic: Args.string({ required: true, ignoreStdin: true, description: 'Topic to change.' }) };
  static override flags = {
    set: Flags.string({ char: 'c', aliases: ['config'], summary: 'key=value to set (repeatable).', multiple: true, multipleNonGreedy: true }),
    delete: Flags.string({ char: 'd', summary: 'Config to remove, back to its default (repeatable).', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsAlterConfig);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { parseConfigs, UsageError } = await import('../../src/cli/parse.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const set = parseConfigs(flags.set, '--set');
    const remove = flags.delete ?? [];
    if (Object.keys(set).length === 0 && remove.length === 0) throw new UsageError('nothing to change: give --set key=value and/or --delete key');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    await new Admin(cluster).alterConfigs(args.topic, set, remove);
    const parts = [...Object.entries(set).map(([k, v]) => `${k}=${v}`), ...remove.map((k) => `-${k}`)];
    process.stderr.write(`${colors().green('✔')} updated ${args.topic}: ${parts.join(', ')}\n`);
  }
}
