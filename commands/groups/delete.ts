import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class GroupsDelete extends BaseCommand {
  static override summary = 'Delete consumer groups and their committed offsets (asks first; --yes to skip).';
  static override examples = ['$ kstream groups delete my-group', '$ kstream groups delete g1 g2 --yes'];
  static override strict = false;
  static override args = { group: Args.string({ required: true, ignoreStdin: true, description: 'Group id(s) to delete.' }) };
  static override flags = { yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(GroupsDelete);
    const groups = argv as string[];
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { confirmOrRefuse } = await import('../../src/cli/confirm.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const list = groups.join(', ');
    if (!(await confirmOrRefuse(groups.length > 1 ? `Delete groups ${list} and their committed offsets?` : `Delete group ${list} and its committed offsets?`, flags.yes, `delete group ${list}`))) {
      process.stderr.write('not deleted\n');
      return;
    }
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const admin = new Admin(cluster);
    const { KafkaError } = await import('../../src/client/errors.ts');
    let failed = 0;
    for (const g of groups) {
      try {
        await admin.deleteGroups([g]);
        process.stderr.write(`${colors().green('✔')} deleted group ${g}\n`);
      } catch (e) {
        if (!(e instanceof KafkaError)) throw e;
        failed++;
        process.stderr.write(`error: ${e.message}\n`);
      }
    }
    if (failed > 0) this.exit(1);
  }
}
