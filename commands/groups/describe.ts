import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class GroupsDescribe extends BaseCommand {
  static override summary = 'Show a group: members, assignments, committed offsets, log end offsets and lag.';
  static override description = `By default: the group's state, then every partition it has committed offsets for or has assigned (committed, log end, lag, owner), then its members. --members and --state print Kafka's kafka-consumer-groups.sh --describe --members / --state views instead (--verbose adds each member's assignment).`;
  static override examples = [
    '$ kstream groups describe my-group',
    '$ kstream groups describe my-group --json',
    '$ kstream groups describe my-group --members --verbose',
    '$ kstream groups describe my-group --state',
  ];
  static override args = { group: Args.string({ required: true, ignoreStdin: true, description: 'Consumer group id.' }) };
  static override flags = {
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
    members: Flags.boolean({ summary: "Members only, as Kafka's --describe --members: GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS.", default: false, exclusive: ['state'] }),
    state: Flags.boolean({ summary: "The group's state only, as Kafka's --describe --state: GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS.", default: false, exclusive: ['members'] }),
    verbose: Flags.boolean({ summary: 'With --members: add each member\'s ASSIGNMENT (topic(0,1)).', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(GroupsDescribe);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { formatTable, printJson, colors } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const d = await new Admin(cluster).describeGroup(args.group);
    if (flags.members || flags.state) {
      const { printGroupMembers, printGroupState } = await import('../../src/cli/group-views.ts');
      if (flags.members) return printGroupMembers(d, { json: flags.json, verbose: flags.verbose });
      const coordinator = d.coordinator === undefined ? undefined : cluster.brokers.get(d.coordinator);
      return printGroupState(d, coordinator, { json: flags.json });
    }
    if (flags.json) return printJson(d);
    const c = colors();
    process.stdout.write(
      `${c.bold('Group:')} ${d.groupId}  ${c.bold('State:')} ${d.state}  ${c.bold('Protocol:')} ${d.protocol || '-'}  ${c.bold('Members:')} ${d.members.length}  ${c.bold('Total lag:')} ${d.totalLag}\n\n`,
    );
    if (d.partitions.length > 0) {
      process.stdout.write(
        formatTable(
          ['TOPIC', { header: 'PARTITION', align: 'right' }, { header: 'COMMITTED', align: 'right' }, { header: 'LOG-END', align: 'right' }, { header: 'LAG', align: 'right' }, 'MEMBER', 'CLIENT'],
          d.partitions.map((p) => [p.topic, p.partition, p.committed, p.logEnd, p.lag, p.memberId, p.clientId]),
        ),
      );
      process.stdout.write(`${' '.repeat(0)}${c.bold('TOTAL LAG')} ${d.totalLag}\n`);
    } else process.stdout.write('no committed offsets or assignments\n');
    if (d.members.length > 0) {
      process.stdout.write('\n');
      process.stdout.write(
        formatTable(
          ['MEMBER', 'CLIENT', 'HOST', 'ASSIGNMENT'],
          d.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.assignment.map((a) => `${a.topic}[${a.partition}]`).join(' ') || '-']),
        ),
      );
    }
  }
}
