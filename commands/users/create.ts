import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class UsersCreate extends BaseCommand {
  static override summary = 'Create a SCRAM user, or change its password (kafka-configs --alter --add-config SCRAM-SHA-256=[…] --entity-type users).';
  static override description =
    'The salt and salted password are computed here; the password never leaves this machine. The password comes from ' +
    '--password, else $KSTREAM_USER_PASSWORD, else it is asked for twice on the terminal (no echo).';
  static override examples = [
    '$ kstream users create alice                                   # asks for the password',
    '$ KSTREAM_USER_PASSWORD=… kstream users create alice --mechanism SCRAM-SHA-512 --iterations 8192',
    '$ kstream users create bob --mechanism SCRAM-SHA-256 --mechanism SCRAM-SHA-512 -b kafka:9093 --sasl-mechanism PLAIN --sasl-username admin',
  ];
  static override args = { user: Args.string({ required: true, description: 'User name.' }) };
  static override flags = {
    mechanism: Flags.string({ summary: 'SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable; default SCRAM-SHA-256).', multiple: true, options: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] }),
    iterations: Flags.integer({ summary: 'PBKDF2 iterations, 4096–16384 (default 4096).', min: 4096, max: 16384 }),
    password: Flags.string({ summary: "The new user's password (better: $KSTREAM_USER_PASSWORD or the prompt)." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(UsersCreate);
    const { newUserPassword } = await import('../../src/cli/user-password.ts');
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { ScramAdmin } = await import('../../src/client/scram-admin.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const mechanisms = [...new Set(flags.mechanism ?? ['SCRAM-SHA-256'])] as Array<'SCRAM-SHA-256' | 'SCRAM-SHA-512'>;
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const password = await newUserPassword(args.user, flags.password);
    // One mechanism per request: Kafka refuses to alter the same user twice in one request.
    for (const mechanism of mechanisms) {
      const [result] = await new ScramAdmin(cluster).alter([{ user: args.user, mechanism, password, iterations: flags.iterations }]);
      if (result?.error) throw result.error;
      process.stderr.write(`${colors().green('✔')} ${args.user}: ${mechanism} credential set (${flags.iterations ?? 4096} iterations)\n`);
    }
  }
}
