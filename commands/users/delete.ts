import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class UsersDelete extends BaseCommand {
  static override summary = "Delete a SCRAM user's credentials (kafka-configs --alter --delete-config SCRAM-SHA-256 --entity-type users); asks first, --yes to skip.";
  static override examples = ['$ kstream users delete alice', '$ kstream users delete alice --mechanism SCRAM-SHA-512 --yes'];
  static override args = { user: Args.string({ required: true, description: 'User name.' }) };
  static override flags = {
    mechanism: Flags.string({ summary: 'Only this mechanism (repeatable; default every mechanism the user has).', multiple: true, options: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(UsersDelete);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { confirmOrRefuse } = await import('../../src/cli/confirm.ts');
    const { ScramAdmin } = await import('../../src/client/scram-admin.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const admin = new ScramAdmin(cluster);
    const mechanisms = flags.mechanism ?? (await admin.describe([args.user]))[0]!.credentials.map((c) => c.mechanism);
    if (!(await confirmOrRefuse(`Delete ${mechanisms.join(' and ')} credentials of user ${args.user}?`, flags.yes, `delete user ${args.user}`))) {
      process.stderr.write('not deleted\n');
      return;
    }
    for (const mechanism of mechanisms) {
      const [result] = await admin.alter([], [{ user: args.user, mechanism: mechanism as 'SCRAM-SHA-256' | 'SCRAM-SHA-512' }]);
      if (result?.error) throw result.error;
      process.stderr.write(`${colors().green('✔')} ${args.user}: ${mechanism} credential deleted\n`);
    }
  }
}
