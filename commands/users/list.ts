import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class UsersList extends BaseCommand {
  static override summary = 'List SCRAM users with their mechanisms and iterations (kafka-configs --describe --entity-type users).';
  static override examples = ['$ kstream users list', '$ kstream users list alice --json'];
  static override strict = false;
  static override args = { user: Args.string({ required: false, ignoreStdin: true, description: 'Only these users.' }) };
  static override flags = { json: Flags.boolean({ summary: 'Print JSON.', default: false }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(UsersList);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { ScramAdmin } = await import('../../src/client/scram-admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const users = await new ScramAdmin(cluster).describe(argv.length > 0 ? (argv as string[]) : null);
    if (flags.json) return printJson(users);
    if (users.length === 0) {
      process.stderr.write('no SCRAM users yet — create one with `kstream users create NAME`\n');
      return;
    }
    process.stdout.write(formatTable(['USER', 'MECHANISM', { header: 'ITERATIONS', align: 'right' }], users.flatMap((u) => u.credentials.map((c) => [u.user, c.mechanism, c.iterations]))));
  }
}
