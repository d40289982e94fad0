import { BaseCommand } from '../../src/cli/base-command.ts';
import { entryFlags, resourceFlags } from '../../src/cli/acl-flags.ts';
import { Flags } from '@oclif/core';

export default class AclsDelete extends BaseCommand {
  static override summary = 'Remove ACLs (as kafka-acls --remove): the given ones, or every ACL of the named resources when no principal is given (asks first; --yes to skip).';
  static override examples = [
    '$ kstream acls delete --allow-principal User:alice --operation Read --topic orders',
    '$ kstream acls delete --topic orders --yes',
  ];
  static override flags = { ...resourceFlags, ...entryFlags, yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(AclsDelete);
    const { deleteFiltersFromFlags, bindingView } = await import('../../src/cli/acl-flags.ts');
    const { filters, everything } = deleteFiltersFromFlags(flags);
    const { confirmOrRefuse } = await import('../../src/cli/confirm.ts');
    const names = [...new Set(filters.map((f) => `${f.resourceType === 2 ? 'topic' : f.resourceType === 3 ? 'group' : f.resourceType === 4 ? 'cluster' : 'transactional id'} ${f.resourceName}`))].join(', ');
    const question = everything ? `Delete every ACL of ${names}?` : `Delete ${filters.length} ACL(s) on ${names}?`;
    if (!(await confirmOrRefuse(question, flags.yes, `delete ACLs of ${names}`))) {
      process.stderr.write('not deleted\n');
      return;
    }
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { deleteAcls } = await import('../../src/client/acls-admin.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const removed = await deleteAcls(cluster, filters);
    const c = colors();
    for (const b of removed.map(bindingView)) {
      process.stderr.write(`${c.green('✔')} removed ${b.permissionType} ${b.principal} from ${b.host}: ${b.operation} on ${b.resourceType} ${b.resourceName} (${b.patternType})\n`);
    }
    if (removed.length === 0) process.stderr.write('no matching ACLs\n');
  }
}
