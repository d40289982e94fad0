import type { GroupOverview } from '../client/admin.ts';
import type { BrokerInfo } from '../client/cluster.ts';
import { formatTable, printJson } from './output.ts';

/**
 * `groups describe --members` and `--state`: the views Kafka's kafka-consumer-groups.sh --describe
 * prints, with its column names (ConsumerGroupCommand.printMembers / printStates), in our aligned
 * table layout.
 */

/** Kafka's ASSIGNMENT cell: `topic(0,1), other(2)`, topics and partitions sorted; `-` when empty. */
function assignmentCell(assignment: Array<{ topic: string; partition: number }>): string {
  if (assignment.length === 0) return '-';
  const by = new Map<string, number[]>();
  for (const a of assignment) by.set(a.topic, [...(by.get(a.topic) ?? []), a.partition]);
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, ps]) => `${t}(${ps.sort((x, y) => x - y).join(',')})`)
    .join(', ');
}

export function printGroupMembers(d: GroupOverview, opts: { json: boolean; verbose: boolean }): void {
  if (opts.json) {
    printJson({
      group: d.groupId,
      state: d.state,
      members: d.members.map((m) => ({ consumerId: m.memberId, groupInstanceId: m.groupInstanceId, host: m.clientHost, clientId: m.clientId, partitions: m.assignment.length, assignment: m.assignment })),
    });
    return;
  }
  if (d.members.length === 0) {
    // Kafka: "Consumer group 'g' has no active members."
    process.stderr.write(`Consumer group '${d.groupId}' has no active members.\n`);
    return;
  }
  const withInstance = d.members.some((m) => m.groupInstanceId !== null && m.groupInstanceId !== '');
  const cols = ['GROUP', 'CONSUMER-ID', ...(withInstance ? ['GROUP-INSTANCE-ID'] : []), 'HOST', 'CLIENT-ID', '#PARTITIONS', ...(opts.verbose ? ['ASSIGNMENT'] : [])];
  const rows = d.members.map((m) => [
    d.groupId,
    m.memberId,
    ...(withInstance ? [m.groupInstanceId ?? '-'] : []),
    m.clientHost,
    m.clientId,
    m.assignment.length,
    ...(opts.verbose ? [assignmentCell(m.assignment)] : []),
  ]);
  process.stdout.write(formatTable(cols, rows));
}

export function printGroupState(d: GroupOverview, coordinator: BrokerInfo | undefined, opts: { json: boolean }): void {
  const coord = coordinator ? `${coordinator.host}:${coordinator.port}  (${coordinator.nodeId})` : d.coordinator === undefined ? '-' : `(${d.coordinator})`;
  if (opts.json) {
    printJson({
      group: d.groupId,
      coordinator: coordinator ? { id: coordinator.nodeId, host: coordinator.host, port: coordinator.port } : null,
      assignmentStrategy: d.protocol,
      state: d.state,
      members: d.members.length,
    });
    return;
  }
  process.stdout.write(formatTable(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[d.groupId, coord, d.protocol || '', d.state, d.members.length]]));
}
