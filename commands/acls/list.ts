import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';
import { resourceFlags } from '../../src/cli/acl-flags.ts';

export default class AclsList extends BaseCommand {
  static override summary = 'List ACLs (as kafka-acls --list), all or those of the named resources / principal.';
  static override examples = [
    '$ kstream acls list',
    '$ kstream acls list --topic orders --resource-pattern-type match',
    '$ kstream acls list --principal User:alice --json',
  ];
  static override flags = {
    ...resourceFlags,
    principal: Flags.string({ summary: 'Only ACLs of this principal (e.g. User:alice).' }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AclsList);
    const { listFiltersFromFlags, bindingView } = await import('../../src/cli/acl-flags.ts');
    const filters = listFiltersFromFlags(flags, flags.principal);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { describeAcls } = await import('../../src/client/acls-admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const seen = new Set<string>();
    const rows = [];
    for (const f of filters) {
      for (const b of await describeAcls(cluster, f)) {
        const v = bindingView(b);
        const key = JSON.stringify(v);
        if (!seen.has(key)) rows.push(v), seen.add(key);
      }
    }
    rows.sort((a, b) => a.resourceType.localeCompare(b.resourceType) || a.resourceName.localeCompare(b.resourceName) || a.patternType.localeCompare(b.patternType) || a.principal.localeCompare(b.principal) || a.operation.localeCompare(b.operation));
    if (flags.json) return printJson(rows);
    if (rows.length === 0) {
      process.stderr.write('no ACLs\n');
      return;
    }
    process.stdout.write(
      formatTable(
        ['RESOURCE TYPE', 'PATTERN', 'NAME', 'PRINCIPAL', 'HOST', 'OPERATION', 'PERMISSION'],
        rows.map((r) => [r.resourceType, r.patternType, r.resourceName, r.principal, r.host, r.operation, r.permissionType]),
      ),
    );
  }
}
