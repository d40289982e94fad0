import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.ts';

export default class Produce extends BaseCommand {
  static override summary = 'Produce records to a topic: one per stdin line, or the values given as arguments.';
  static override description = `Reads stdin line by line (or takes VALUES as arguments) and writes one record per line. With --format json each line is an envelope {"key","value","headers","partition","timestamp"} — exactly what \`kstream consume --format json\` prints, so consume | produce copies a topic. Keys are hashed with murmur2 like the Java client, so keyed records land on the same partitions.`;
  static override examples = [
    '$ kstream produce demo hello world',
    "$ printf 'a\\nb\\nc\\n' | kstream produce demo",
    "$ printf 'user1:clicked\\n' | kstream produce demo --key-separator :",
    `$ printf '{"key":"k","value":{"a":1}}\\n' | kstream produce demo --format json`,
    '$ kstream consume demo --from-beginning -e --format json | kstream produce copy --format json',
    '$ kstream produce demo -H source=cli -H trace=42 --compression zstd < events.txt',
  ];
  static override usage = 'produce TOPIC [VALUES...] [FLAGS]';
  static override strict = false;
  static override args = {
    topic: Args.string({ required: true, ignoreStdin: true, description: 'Topic to produce to.' }),
    values: Args.string({ required: false, ignoreStdin: true, description: 'Values to send (one record each) instead of reading stdin.' }),
  };
  static override flags = {
    format: Flags.string({ summary: 'Input format: raw lines or JSON envelopes.', options: ['raw', 'json'], default: 'raw' }),
    'key-separator': Flags.string({ char: 'K', summary: 'Split each raw line into key and value at the first SEP.' }),
    delimiter: Flags.string({ char: 'D', summary: "Record delimiter in the input, one byte (default newline; '\\0' for NUL-separated)." }),
    header: Flags.string({ char: 'H', summary: 'Header key=value added to every record (repeatable).', multiple: true, multipleNonGreedy: true }),
    partition: Flags.integer({ char: 'p', summary: 'Write every record to this partition (default: by key, sticky without key).', min: 0 }),
    'keep-partitions': Flags.boolean({ summary: 'With --format json: write each record to its "partition" field (checked against the topic); default ignores it.', default: false }),
    // No oclif defaults below: a profile or -X (compression.type, acks, linger.ms, …) may set them.
    compression: Flags.string({ char: 'z', summary: 'Batch compression (default none).', options: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] }),
    acks: Flags.string({ summary: 'Acknowledgements: 0, 1 or all (-1) (default all).', options: ['0', '1', '-1', 'all'] }),
    'linger-ms': Flags.integer({ summary: 'Wait up to this long to fill a batch (default 5).', min: 0 }),
    'batch-size': Flags.integer({ summary: 'Maximum uncompressed bytes per partition batch (default 1000000).', min: 1 }),
    idempotence: Flags.boolean({ summary: 'Idempotent producer (on by default with acks=all if the broker supports it).', allowNo: true }),
    retries: Flags.integer({ summary: 'Retries for a failed batch (default 10).', min: 0 }),
    'print-offsets': Flags.string({
      summary: 'Print where records went on stdout: TOPIC PARTITION OFFSET per record, or --print-offsets=summary (first/last offset per partition).',
      options: ['records', 'summary'],
    }),
  };

  async run(): Promise<void> {
    // A bare --print-offsets means one line per record (oclif flags cannot have optional values).
    this.argv = this.argv.map((a) => (a === '--print-offsets' ? '--print-offsets=records' : a));
    const { args, argv, flags } = await this.parse(Produce);
    const { resolveClientSettings, clusterFromSettings } = await import('../src/cli/connect.ts');
    const { runProduce } = await import('../src/cli/produce-run.ts');
    const settings = resolveClientSettings(flags);
    const cluster = clusterFromSettings(settings);
    this.cleanups.push(() => cluster.close());
    const values = (argv as string[]).slice(1);
    const { parseDelimiter } = await import('../src/cli/parse.ts');
    await runProduce(cluster, {
      topic: args.topic,
      values,
      format: flags.format as 'raw' | 'json',
      keySeparator: flags['key-separator'],
      delimiter: flags.delimiter === undefined ? undefined : parseDelimiter(flags.delimiter, '--delimiter'),
      headers: flags.header ?? [],
      partition: flags.partition,
      keepPartitions: flags['keep-partitions'],
      compression: (flags.compression as 'none' | undefined) ?? settings.compression ?? 'none',
      acks: flags.acks === undefined ? (settings.acks ?? -1) : flags.acks === 'all' ? -1 : (Number(flags.acks) as 0 | 1 | -1),
      lingerMs: flags['linger-ms'] ?? settings.lingerMs ?? 5,
      batchSize: flags['batch-size'] ?? settings.batchSize ?? 1_000_000,
      idempotence: flags.idempotence ?? settings.idempotence,
      retries: flags.retries ?? settings.retries ?? 10,
      retryBackoffMs: settings.retryBackoffMs,
      printOffsets: flags['print-offsets'] as 'records' | 'summary' | undefined,
    });
  }
}
