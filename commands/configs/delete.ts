import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';
import { targetFlags } from '../../src/cli/config-target.ts';

export default class ConfigsDelete extends BaseCommand {
  static override summary = "Remove configs set on a broker or a topic, back to the inherited value (IncrementalAlterConfigs DELETE).";
  static override description = `Like kafka-configs.sh --alter --delete-config: the setting falls back to the next layer (a topic's to the broker default; a broker's dynamic value to the cluster-wide one, the static one or Kafka's default).`;
  static override examples = ['$ kstream configs delete --broker 1 log.retention.ms', '$ kstream configs delete --topic demo retention.ms cleanup.policy'];
  static override usage = 'configs delete KEY... (--broker [ID] | --topic TOPIC) [FLAGS]';
  static override strict = false;
  static override args = { key: Args.string({ required: true, ignoreStdin: true, description: 'Settings to remove (several allowed).' }) };
  static override flags = { ...targetFlags };

  async run(): Promise<void> {
    const { normalizeBrokerFlag, resolveTarget } = await import('../../src/cli/config-target.ts');
    this.argv = normalizeBrokerFlag(this.argv);
    const { argv, flags } = await this.parse(ConfigsDelete);
    const keys = argv as string[];
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { UsageError } = await import('../../src/cli/parse.ts');
    const { alterResourceConfigs, describeResource } = await import('../../src/client/resource-configs.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const bad = keys.find((k) => k.includes('='));
    if (bad) throw new UsageError(`configs delete: "${bad}" looks like KEY=VALUE; give only the names to remove (or use configs set)`);
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const target = await resolveTarget(cluster, flags);
    await alterResourceConfigs(cluster, target, {}, keys);
    process.stderr.write(`${colors().green('✔')} removed ${keys.join(', ')} from ${describeResource(target)}\n`);
  }
}
