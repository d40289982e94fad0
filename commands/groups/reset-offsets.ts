import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

const TARGETS = ['to-earliest', 'to-latest', 'to-offset', 'to-datetime', 'shift-by', 'by-duration', 'from-file'];

export default class GroupsResetOffsets extends BaseCommand {
  static override summary = "Move a group's committed offsets (shows the plan; --execute applies it).";
  static override description = `Like Kafka's kafka-consumer-groups --reset-offsets: the default is a dry run that prints the plan. The group must have no active members when --execute is given. Targets are clamped to each partition's earliest and latest offsets.`;
  static override examples = [
    '$ kstream groups reset-offsets my-group --topic demo --to-earliest',
    '$ kstream groups reset-offsets my-group --topic demo --to-earliest --execute',
    '$ kstream groups reset-offsets my-group --topic demo --shift-by -10 --execute',
    '$ kstream groups reset-offsets my-group --to-datetime 2024-01-01T00:00:00Z --execute',
  ];
  static override args = { group: Args.string({ required: true, ignoreStdin: true, description: 'Consumer group id.' }) };
  static override flags = {
    topic: Flags.string({
      summary: 'Topic(s) to reset, as Kafka\'s tool takes them: demo, demo:0, demo:0,2 or demo:0-3 (default: every topic the group has offsets for).',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'to-earliest': Flags.boolean({ summary: 'Reset to the earliest offset.', exclusive: TARGETS.filter((t) => t !== 'to-earliest') }),
    'to-latest': Flags.boolean({ summary: 'Reset to the latest offset (skip everything).', exclusive: TARGETS.filter((t) => t !== 'to-latest') }),
    'to-offset': Flags.integer({ summary: 'Reset to this offset.', min: 0, exclusive: TARGETS.filter((t) => t !== 'to-offset') }),
    'to-datetime': Flags.string({ summary: 'Reset to the first offset at or after this time (ISO date or ms).', exclusive: TARGETS.filter((t) => t !== 'to-datetime') }),
    'shift-by': Flags.integer({ summary: 'Move the committed offset by N (negative = back).', exclusive: TARGETS.filter((t) => t !== 'shift-by') }),
    'by-duration': Flags.string({ summary: 'Reset to the first offset at or after now minus this ISO-8601 duration (PT1H, P1DT12H).', exclusive: TARGETS.filter((t) => t !== 'by-duration') }),
    'from-file': Flags.string({ summary: 'Reset to the offsets in this CSV file of topic,partition,offset lines (as Kafka\'s --export writes).', exclusive: TARGETS.filter((t) => t !== 'from-file') }),
    execute: Flags.boolean({ summary: 'Apply the plan.', default: false, exclusive: ['dry-run'] }),
    'dry-run': Flags.boolean({ summary: 'Only show the plan (the default).', default: false }),
    json: Flags.boolean({ summary: 'Print the plan as JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(GroupsResetOffsets);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { parseTimestamp, parseDuration, UsageError } = await import('../../src/cli/parse.ts');
    const { parseTopicPartitions, parseOffsetsCsv, selectionOf, applySelection } = await import('../../src/cli/partition-selection.ts');
    const { readFile } = await import('node:fs/promises');
    const { Admin } = await import('../../src/client/admin.ts');
    type Spec = import('../../src/client/admin.ts').ResetSpec;
    const { formatTable, printJson, colors } = await import('../../src/cli/output.ts');
    let spec: Spec;
    if (flags['to-earliest']) spec = { type: 'earliest' };
    else if (flags['to-latest']) spec = { type: 'latest' };
    else if (flags['to-offset'] !== undefined) spec = { type: 'offset', offset: flags['to-offset'] };
    else if (flags['to-datetime'] !== undefined) spec = { type: 'datetime', timestamp: parseTimestamp(flags['to-datetime'], '--to-datetime') };
    else if (flags['shift-by'] !== undefined) spec = { type: 'shift', by: flags['shift-by'] };
    else if (flags['by-duration'] !== undefined) spec = { type: 'datetime', timestamp: Date.now() - parseDuration(flags['by-duration'], '--by-duration') };
    else if (flags['from-file'] !== undefined) spec = { type: 'earliest' };
    else throw new UsageError('say where to: --to-earliest, --to-latest, --to-offset N, --to-datetime ISO, --by-duration PT1H, --shift-by N or --from-file FILE');
    const fromFile = flags['from-file'] === undefined ? undefined : parseOffsetsCsv(await readFile(flags['from-file'], 'utf8').catch((e: Error) => {
      throw new UsageError(`--from-file: cannot read ${flags['from-file']}: ${e.message}`);
    }), '--from-file');
    const selection = fromFile ? selectionOf(fromFile) : flags.topic?.map((t) => parseTopicPartitions(t, '--topic'));
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const admin = new Admin(cluster);
    const planned = await admin.planReset(args.group, spec, selection?.map((s) => s.topic));
    const state = planned.state;
    const plan = applySelection(planned.plan, selection, fromFile);
    if (flags.execute) await admin.executeReset(args.group, plan, state);
    if (flags.json) return printJson({ group: args.group, state, executed: flags.execute, plan });
    process.stdout.write(
      formatTable(
        ['TOPIC', { header: 'PARTITION', align: 'right' }, { header: 'CURRENT', align: 'right' }, { header: 'NEW', align: 'right' }],
        plan.map((p) => [p.topic, p.partition, p.current, p.target]),
      ),
    );
    const c = colors();
    if (flags.execute) process.stderr.write(`${c.green('✔')} offsets of group ${args.group} reset\n`);
    else {
      const active = state !== 'Empty' && state !== 'Dead';
      process.stderr.write(
        c.yellow(`dry run: nothing changed; add --execute to apply${active ? ` (group is ${state}: stop its consumers first)` : ''}\n`),
      );
    }
  }
}
