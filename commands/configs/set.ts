import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';
import { targetFlags } from '../../src/cli/config-target.ts';

export default class ConfigsSet extends BaseCommand {
  static override summary = "Set a broker's or a topic's configs (IncrementalAlterConfigs).";
  static override description = `Like kafka-configs.sh --alter --add-config. On a broker only dynamic settings can change (log.retention.ms can, log.retention.hours cannot: the broker says which); the change applies at once. All KEY=VALUEs are applied together or not at all.`;
  static override examples = [
    '$ kstream configs set --broker 1 log.retention.ms=3600000',
    '$ kstream configs set --broker default message.max.bytes=2097152',
    '$ kstream configs set --topic demo retention.ms=86400000 cleanup.policy=compact',
  ];
  static override usage = 'configs set KEY=VALUE... (--broker [ID] | --topic TOPIC) [FLAGS]';
  static override strict = false;
  static override args = { setting: Args.string({ required: true, ignoreStdin: true, description: 'KEY=VALUE to set (several allowed).' }) };
  static override flags = { ...targetFlags };

  async run(): Promise<void> {
    const { normalizeBrokerFlag, resolveTarget } = await import('../../src/cli/config-target.ts');
    this.argv = normalizeBrokerFlag(this.argv);
    const { argv, flags } = await this.parse(ConfigsSet);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { parseConfigs } = await import('../../src/cli/parse.ts');
    const { alterResourceConfigs, describeResource } = await import('../../src/client/resource-configs.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const set = parseConfigs(argv as string[], 'configs set');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const target = await resolveTarget(cluster, flags);
    await alterResourceConfigs(cluster, target, set);
    process.stderr.write(`${colors().green('✔')} set ${Object.entries(set).map(([k, v]) => `${k}=${v}`).join(', ')} on ${describeResource(target)}\n`);
  }
}
