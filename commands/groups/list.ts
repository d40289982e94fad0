import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class GroupsList extends BaseCommand {
  static override summary = 'List consumer groups and their state.';
  static override examples = ['$ kstream groups list', '$ kstream groups list --json'];
  static override flags = { json: Flags.boolean({ summary: 'Print JSON.', default: false }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(GroupsList);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const groups = await new Admin(cluster).listGroups();
    if (flags.json) return printJson(groups);
    if (groups.length === 0) {
      process.stderr.write('no consumer groups\n');
      return;
    }
    process.stdout.write(formatTable(['GROUP', 'STATE', 'PROTOCOL TYPE'], groups.map((g) => [g.groupId, g.state || '-', g.protocolType || '-'])));
  }
}
