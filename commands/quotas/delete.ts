import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';
import { quotaEntityFlags } from '../../src/cli/quota-entity-flags.ts';

export default class QuotasDelete extends BaseCommand {
  static override summary = 'Remove client quotas of a user and/or client id (AlterClientQuotas).';
  static override description = `Like kafka-configs.sh --alter --delete-config producer_byte_rate --entity-type users --entity-name alice. Removing a key that is not set is no error. --all removes every quota of the entity.`;
  static override examples = [
    '$ kstream quotas delete --user alice producer_byte_rate',
    '$ kstream quotas delete --user alice --client app1 --all',
    '$ kstream quotas delete --client-defaults consumer_byte_rate',
  ];
  static override usage = 'quotas delete (KEY... | --all) (--user NAME | --user-defaults) (--client ID | --client-defaults) [FLAGS]';
  static override strict = false;
  static override args = { key: Args.string({ required: false, ignoreStdin: true, description: 'Quota keys to remove (several allowed).' }) };
  static override flags = {
    ...quotaEntityFlags,
    all: Flags.boolean({ summary: 'Remove every quota of the entity.', default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(QuotasDelete);
    const { requiredEntity } = await import('../../src/cli/quota-entity-flags.ts');
    const { UsageError } = await import('../../src/cli/parse.ts');
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { alterClientQuotasOrThrow, describeClientQuotas, describeQuotaEntity } = await import('../../src/client/quotas-admin.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const entity = requiredEntity(flags, 'quotas delete');
    let keys = argv as string[];
    if (keys.length === 0 && !flags.all) throw new UsageError('quotas delete: name the quota keys to remove (e.g. producer_byte_rate), or --all');
    if (keys.length > 0 && flags.all) throw new UsageError('quotas delete: give keys or --all, not both');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    if (flags.all) {
      const types = Object.keys(entity) as (keyof typeof entity)[];
      const [found] = await describeClientQuotas(cluster, { components: types.map((t) => ({ entityType: t, match: entity[t] })), strict: true });
      keys = Object.keys(found?.values ?? {});
      if (keys.length === 0) {
        process.stderr.write(`no quotas set for ${describeQuotaEntity(entity)}\n`);
        return;
      }
    }
    await alterClientQuotasOrThrow(cluster, [{ entity, remove: keys }]);
    process.stderr.write(`${colors().green('✔')} removed ${keys.join(', ')} for ${describeQuotaEntity(entity)}\n`);
  }
}
