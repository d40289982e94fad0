import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.ts';

export default class Consume extends BaseCommand {
  static override summary = 'Read records from a topic and print them, one per line.';
  static override description = `Tails a topic like \`tail -f\`: output is flushed per fetch, so pipes see records as they arrive. Without --group it reads every partition (or --partition) from --offset (default: latest, i.e. new records only). With --group it joins a consumer group and commits what it printed. -e stops at the end of every partition. --format json prints envelopes that \`kstream produce --format json\` reads back.`;
  static override examples = [
    '$ kstream consume demo --from-beginning',
    '$ kstream consume demo --from-beginning -e --format json',
    "$ kstream consume demo -o -10 -e --format template --template '{{partition}}:{{offset}} {{key}}\\t{{value}}'",
    '$ kstream consume demo -g my-group --print-key',
    '$ kstream consume demo --from-timestamp 2024-01-01T00:00:00Z -e --grep error',
    '$ kstream consume demo --from-beginning | head -n 3',
  ];
  static override usage = 'consume TOPIC... [FLAGS]';
  static override strict = false;
  static override args = {
    topic: Args.string({ required: true, ignoreStdin: true, description: "Topic(s) to read; '^regex' matches topic names (quote it)." }),
  };
  static override flags = {
    'from-beginning': Flags.boolean({ summary: 'Start at the earliest offset (same as --offset earliest).', default: false }),
    offset: Flags.string({
      char: 'o',
      summary: "Start offset per partition: earliest, latest, N, -N (last N records); kcat's s@MS (start at a time) and e@MS (end at a time) too, repeatable.",
      multiple: true,
      multipleNonGreedy: true,
    }),
    'from-timestamp': Flags.string({ summary: 'Start at the first record at or after this time (ISO date or ms).' }),
    partition: Flags.string({ char: 'p', summary: 'Only these partitions: 0 or 0,2 or 0-3 (assign mode).' }),
    group: Flags.string({ char: 'g', summary: 'Consume as a member of this consumer group (commits offsets).' }),
    'max-messages': Flags.integer({ char: 'n', summary: 'Exit after printing this many records.', min: 1 }),
    'until-offset': Flags.integer({ summary: 'Stop each partition before this offset (exits once every partition reached it).', min: 0 }),
    'until-timestamp': Flags.string({ summary: 'Stop each partition at the first record at or after this time (ISO date or ms).' }),
    delimiter: Flags.string({ char: 'D', summary: "Written after each record in the raw and json formats (default newline; '\\0' for NUL)." }),
    exit: Flags.boolean({ char: 'e', summary: 'Exit when the end of every partition is reached.', default: false }),
    format: Flags.string({ char: 'f', summary: 'Output format.', options: ['raw', 'json', 'template'], default: 'raw' }),
    template: Flags.string({ char: 't', summary: "Output template (implies --format template), e.g. '{{key}}\\t{{value}}'." }),
    'print-key': Flags.boolean({ char: 'k', summary: 'Raw format: print the key before the value.', default: false }),
    'print-headers': Flags.boolean({ summary: 'Raw format: print headers (k=v,…) before the value.', default: false }),
    'print-timestamp': Flags.boolean({ summary: 'Raw format: print the timestamp (ms) first.', default: false }),
    'print-offset': Flags.boolean({ summary: 'Raw format: print partition:offset first.', default: false }),
    separator: Flags.string({ summary: 'Raw format: separator between printed fields.', default: '\\t' }),
    grep: Flags.string({ summary: 'Only records whose key or value matches this regular expression.' }),
    assignor: Flags.string({
      summary: 'With --group: partition assignors to offer, in preference order (repeatable).',
      options: ['range', 'roundrobin', 'cooperative-sticky'],
      multiple: true,
      multipleNonGreedy: true,
    }),
    'check-crcs': Flags.boolean({ summary: 'Verify the CRC-32C of every record batch (off by default, as in kcat/librdkafka).', default: false }),
    verbose: Flags.boolean({ summary: 'Print group assignments on stderr (default: when stderr is a terminal).', allowNo: true }),
    commit: Flags.boolean({ summary: 'With --group: commit the offsets of printed records (--no-commit to only read).', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Consume);
    const { resolveClientSettings, clusterFromSettings } = await import('../src/cli/connect.ts');
    const { runConsume, consumeStart } = await import('../src/cli/consume-run.ts');
    const { parseDelimiter, parseTimestamp } = await import('../src/cli/parse.ts');
    const { splitKcatOffset } = await import('../src/cli/consume-run.ts');
    const bounds = splitKcatOffset(flags);
    const start = consumeStart({ ...flags, offset: bounds.offset, 'from-timestamp': bounds.fromTimestamp ?? flags['from-timestamp'] });
    const settings = resolveClientSettings(flags);
    const cluster = clusterFromSettings(settings);
    this.cleanups.push(() => cluster.close());
    await runConsume(cluster, {
      topics: argv as string[],
      start,
      partitions: flags.partition,
      group: flags.group,
      maxMessages: flags['max-messages'],
      exitAtEnd: flags.exit,
      format: flags.format as 'raw' | 'json' | 'template',
      template: flags.template,
      printKey: flags['print-key'],
      printHeaders: flags['print-headers'],
      printTimestamp: flags['print-timestamp'],
      printOffset: flags['print-offset'],
      separator: flags.separator,
      grep: flags.grep,
      commit: flags.commit,
      assignors: flags.assignor,
      checkCrcs: flags['check-crcs'] || (settings.checkCrcs ?? false),
      verbose: flags.verbose,
      delimiter: flags.delimiter === undefined ? undefined : parseDelimiter(flags.delimiter, '--delimiter'),
      untilOffset: flags['until-offset'],
      untilTimestamp: bounds.untilTimestamp ?? (flags['until-timestamp'] === undefined ? undefined : parseTimestamp(flags['until-timestamp'], '--until-timestamp')),
    });
  }
}
