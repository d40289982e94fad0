import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';
import { quotaEntityFlags } from '../../src/cli/quota-entity-flags.ts';

export default class QuotasSet extends BaseCommand {
  static override summary = 'Set client quotas of a user and/or client id (AlterClientQuotas).';
  static override description = `Like kafka-configs.sh --alter --add-config producer_byte_rate=1024 --entity-type users --entity-name alice. Keys: producer_byte_rate and consumer_byte_rate (bytes/s), request_percentage (% of one request thread), controller_mutation_rate (accepted, not enforced by kstream); connection_creation_rate for --ip. The most specific quota applies: user+client, user+default client, user, default user+client, default user+default client, default user, client, default client. Applies at once; persisted by the broker.`;
  static override examples = [
    '$ kstream quotas set --user alice producer_byte_rate=1048576 consumer_byte_rate=2097152',
    '$ kstream quotas set --user alice --client app1 request_percentage=50',
    '$ kstream quotas set --client-defaults producer_byte_rate=10485760',
    '$ kstream quotas set --user-defaults --client-defaults consumer_byte_rate=5242880',
  ];
  static override usage = 'quotas set KEY=VALUE... (--user NAME | --user-defaults) (--client ID | --client-defaults) [FLAGS]';
  static override strict = false;
  static override args = { setting: Args.string({ required: true, ignoreStdin: true, description: 'KEY=VALUE to set (several allowed).' }) };
  static override flags = {
    ...quotaEntityFlags,
    'validate-only': Flags.boolean({ summary: 'Only check that the broker would accept it.', default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(QuotasSet);
    const { requiredEntity } = await import('../../src/cli/quota-entity-flags.ts');
    const { parseQuotaValues } = await import('../../src/cli/quota-values.ts');
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { alterClientQuotasOrThrow, describeQuotaEntity } = await import('../../src/client/quotas-admin.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const entity = requiredEntity(flags, 'quotas set');
    const set = parseQuotaValues(argv as string[]);
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    await alterClientQuotasOrThrow(cluster, [{ entity, set }], { validateOnly: flags['validate-only'] });
    const what = Object.entries(set).map(([k, v]) => `${k}=${v}`).join(', ');
    process.stderr.write(`${colors().green('✔')} ${flags['validate-only'] ? 'valid (nothing changed):' : 'set'} ${what} for ${describeQuotaEntity(entity)}\n`);
  }
}
