import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TopicsDeleteRecords extends BaseCommand {
  static override summary = "Delete a topic's records before an offset or a time (moves the log start; asks first, --yes to skip).";
  static override description = `Like Kafka's kafka-delete-records.sh (DeleteRecords): records below the offset become unreadable and their segments are removed. --before-timestamp resolves, per partition, to the first offset at or after that time (ListOffsets), so every record older than it is deleted. Prints each partition's new low watermark.`;
  static override examples = [
    '$ kstream topics delete-records demo --before-offset 100 --yes',
    '$ kstream topics delete-records demo --before-offset 100 --partition 0,2',
    '$ kstream topics delete-records demo --before-timestamp 2024-01-01T00:00:00Z --yes',
    '$ kstream topics delete-records demo --before-offset end --yes          # everything written so far',
  ];
  static override args = { topic: Args.string({ required: true, ignoreStdin: true, description: 'Topic to trim.' }) };
  static override flags = {
    'before-offset': Flags.string({ summary: "Delete records below this offset in each selected partition ('end' = everything so far).", exclusive: ['before-timestamp'] }),
    'before-timestamp': Flags.string({ summary: 'Delete records older than this time (ISO date or ms), per partition.', exclusive: ['before-offset'] }),
    partition: Flags.string({ char: 'p', summary: 'Only these partitions: 0 or 0,2 or 0-3 (default: all).' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsDeleteRecords);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { parsePartitions, parseTimestamp, UsageError } = await import('../../src/cli/parse.ts');
    const { confirmOrRefuse } = await import('../../src/cli/confirm.ts');
    const { listOffsets, tpKey } = await import('../../src/client/list-offsets.ts');
    const { deleteRecords } = await import('../../src/client/delete-records.ts');
    const { formatTable, printJson, colors } = await import('../../src/cli/output.ts');
    const before = flags['before-offset'];
    const beforeTs = flags['before-timestamp'];
    if (before === undefined && beforeTs === undefined) throw new UsageError('say where to cut: --before-offset N (or end) or --before-timestamp ISO|ms');
    let offset: bigint | undefined;
    if (before !== undefined) {
      if (before === 'end' || before === 'latest') offset = -1n;
      else if (/^\d+$/.test(before.trim())) offset = BigInt(before.trim());
      else throw new UsageError(`--before-offset: "${before}" is not an offset ≥ 0 or "end"`);
    }
    const timestamp = beforeTs === undefined ? undefined : parseTimestamp(beforeTs, '--before-timestamp');
    const wanted = flags.partition === undefined ? undefined : parsePartitions(flags.partition);
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    // Check the topic and partitions before asking: the question must name what will happen.
    const [info] = await cluster.topicMetadata([args.topic]);
    const all = info!.partitions.map((p) => p.partition);
    for (const p of wanted ?? []) {
      if (!all.includes(p)) throw new UsageError(`partition ${p} of topic "${args.topic}" does not exist (it has ${all.length})`);
    }
    const partitions = wanted ?? all;
    const what = `${args.topic}${wanted ? ` partition${wanted.length > 1 ? 's' : ''} ${wanted.join(',')}` : ''}`;
    const cut = offset === -1n ? 'all records written so far' : offset !== undefined ? `records before offset ${offset}` : `records older than ${new Date(timestamp!).toISOString()}`;
    if (!(await confirmOrRefuse(`Delete ${cut} of ${what}?`, flags.yes, `delete records of ${what}`))) {
      process.stderr.write('nothing deleted\n');
      return;
    }
    let targets: Array<{ topic: string; partition: number; offset: bigint }>;
    if (timestamp !== undefined) {
      // The first offset at or after the time (the end when every record is older): below it, all older.
      const at = await listOffsets(cluster, partitions.map((partition) => ({ topic: args.topic, partition, timestamp: BigInt(timestamp) })));
      targets = partitions.map((partition) => ({ topic: args.topic, partition, offset: at.get(tpKey(args.topic, partition)) ?? -1n }));
    } else targets = partitions.map((partition) => ({ topic: args.topic, partition, offset: offset! }));
    const results = await deleteRecords(cluster, targets);
    const failed = results.filter((r) => r.error !== null);
    if (flags.json) {
      printJson(results.map((r) => ({ topic: r.topic, partition: r.partition, lowWatermark: r.lowWatermark, error: r.error?.message ?? null })));
    } else {
      process.stdout.write(
        formatTable(
          ['TOPIC', { header: 'PARTITION', align: 'right' }, { header: 'LOW-WATERMARK', align: 'right' }, 'STATUS'],
          results.map((r) => [r.topic, r.partition, r.lowWatermark, r.error ? `error: ${r.error.message}` : 'ok']),
        ),
      );
    }
    if (failed.length > 0) {
      for (const f of failed) process.stderr.write(`error: ${f.error!.message}\n`);
      this.exit(1);
    }
    process.stderr.write(`${colors().green('✔')} deleted ${cut} of ${what}\n`);
  }
}
