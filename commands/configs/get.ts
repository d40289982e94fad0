import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';
import { targetFlags } from '../../src/cli/config-target.ts';

export default class ConfigsGet extends BaseCommand {
  static override summary = "Show a broker's or a topic's configs (DescribeConfigs).";
  static override description = `Like kafka-configs.sh --describe: without KEYs and without --all, only the values set on the resource itself (a topic's overrides; a broker's dynamic values, or with --broker default the cluster-wide ones). --all lists every setting with its source (DYNAMIC_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG, …). KEYs name settings to show whatever their source.`;
  static override examples = [
    '$ kstream configs get --broker',
    '$ kstream configs get --broker 1 --all',
    '$ kstream configs get --broker 1 log.retention.ms message.max.bytes',
    '$ kstream configs get --topic demo',
    '$ kstream configs get --topic demo retention.ms --json',
  ];
  static override usage = 'configs get [KEY...] (--broker [ID] | --topic TOPIC) [FLAGS]';
  static override strict = false;
  static override args = { key: Args.string({ required: false, ignoreStdin: true, description: 'Settings to show (default: the overrides, or all with --all).' }) };
  static override flags = {
    ...targetFlags,
    all: Flags.boolean({ summary: 'Every setting, with its source (default: only values set on this resource).', default: false }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { normalizeBrokerFlag, resolveTarget } = await import('../../src/cli/config-target.ts');
    this.argv = normalizeBrokerFlag(this.argv);
    const { argv, flags } = await this.parse(ConfigsGet);
    const keys = argv as string[];
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { describeResourceConfigs, isOverride, describeResource } = await import('../../src/client/resource-configs.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const target = await resolveTarget(cluster, flags);
    const configs = await describeResourceConfigs(cluster, target, keys.length > 0 ? keys : null);
    const shown = keys.length > 0 ? configs.filter((c) => keys.includes(c.name)) : flags.all ? configs : configs.filter((c) => isOverride(target, c));
    const missing = keys.filter((k) => !configs.some((c) => c.name === k));
    if (flags.json) printJson(shown.map((c) => ({ ...c, value: c.sensitive ? null : c.value })));
    else if (shown.length > 0) {
      process.stdout.write(formatTable(['CONFIG', 'VALUE', 'SOURCE', 'READ-ONLY'], shown.map((c) => [c.name, c.sensitive ? '(sensitive)' : c.value, c.source, c.readOnly ? 'yes' : ''])));
    } else if (missing.length === 0) {
      process.stderr.write(`no configs set on ${describeResource(target)} itself (--all lists every setting)\n`);
    }
    if (missing.length > 0) {
      process.stderr.write(`error: ${describeResource(target)} has no config ${missing.map((k) => `"${k}"`).join(', ')}\n`);
      this.exit(1);
    }
  }
}
