import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';
import { quotaEntityFlags } from '../../src/cli/quota-entity-flags.ts';

export default class QuotasGet extends BaseCommand {
  static override summary = 'Show client quotas (DescribeClientQuotas).';
  static override description = `Like kafka-configs.sh --describe --entity-type users/clients: without entity flags every quota set on the cluster; with them exactly that entity (--user alice --client app1 is the user+client quota, not alice's user quota). One line per value: USER, CLIENT, IP ('<default>' for a default entity, '-' when not part of it), QUOTA, VALUE.`;
  static override examples = [
    '$ kstream quotas get',
    '$ kstream quotas get --user alice',
    '$ kstream quotas get --user-defaults --client-defaults',
    '$ kstream quotas get --json',
  ];
  static override flags = {
    ...quotaEntityFlags,
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(QuotasGet);
    const { filterFromFlags } = await import('../../src/cli/quota-entity-flags.ts');
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { describeClientQuotas } = await import('../../src/client/quotas-admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const filter = filterFromFlags(flags);
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const entries = await describeClientQuotas(cluster, filter);
    if (flags.json) {
      printJson(entries);
      return;
    }
    if (entries.length === 0) {
      process.stderr.write('no quotas set\n');
      return;
    }
    const name = (v: string | null | undefined) => (v === undefined ? '-' : v === null ? '<default>' : v);
    const rows = entries.flatMap((e) =>
      Object.entries(e.values)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => [name(e.entity.user), name(e.entity['client-id']), name(e.entity.ip), key, String(value)]),
    );
    process.stdout.write(formatTable(['USER', 'CLIENT', 'IP', 'QUOTA', { header: 'VALUE', align: 'right' }], rows));
  }
}
