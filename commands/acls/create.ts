import { BaseCommand } from '../../src/cli/base-command.ts';
import { entryFlags, resourceFlags } from '../../src/cli/acl-flags.ts';

export default class AclsCreate extends BaseCommand {
  static override summary = 'Add ACLs (as kafka-acls --add): principals allowed or denied operations on resources.';
  static override examples = [
    '$ kstream acls create --allow-principal User:alice --operation Read --operation Describe --topic orders',
    '$ kstream acls create --allow-principal User:app --producer --topic events- --resource-pattern-type prefixed',
    '$ kstream acls create --allow-principal User:app --consumer --topic orders --group billing',
    '$ kstream acls create --deny-principal User:mallory --deny-host 10.0.0.9 --operation All --topic "*"',
  ];
  static override flags = { ...resourceFlags, ...entryFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(AclsCreate);
    const { bindingsFromFlags, bindingView } = await import('../../src/cli/acl-flags.ts');
    const bindings = bindingsFromFlags(flags);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { createAcls } = await import('../../src/client/acls-admin.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    await createAcls(cluster, bindings);
    const c = colors();
    for (const b of bindings.map(bindingView)) {
      process.stderr.write(`${c.green('✔')} ${b.permissionType} ${b.principal} from ${b.host}: ${b.operation} on ${b.resourceType} ${b.resourceName} (${b.patternType})\n`);
    }
  }
}
