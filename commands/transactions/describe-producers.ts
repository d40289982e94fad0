import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TransactionsDescribeProducers extends BaseCommand {
  static override summary = "Show the producers a topic's partitions know: id, epoch, last sequence and the start offset of an open transaction.";
  static override examples = ['$ kstream transactions describe-producers orders', '$ kstream transactions describe-producers orders -p 0 --json'];
  static override args = { topic: Args.string({ required: true, ignoreStdin: true, description: 'Topic.' }) };
  static override flags = {
    partition: Flags.integer({ char: 'p', summary: 'Only this partition (repeatable).', multiple: true, min: 0 }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TransactionsDescribeProducers);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { describeProducers } = await import('../../src/client/transactions-admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const list = await describeProducers(cluster, args.topic, flags.partition);
    if (flags.json) return printJson(list);
    if (list.length === 0) {
      process.stderr.write(`no producers known to ${args.topic}\n`);
      return;
    }
    process.stdout.write(
      formatTable(
        [{ header: 'PARTITION', align: 'right' }, { header: 'PRODUCER ID', align: 'right' }, { header: 'EPOCH', align: 'right' }, { header: 'LAST SEQUENCE', align: 'right' }, 'LAST TIMESTAMP', { header: 'TXN START OFFSET', align: 'right' }],
        list.map((p) => [p.partition, p.producerId, p.producerEpoch, p.lastSequence, p.lastTimestamp >= 0 ? new Date(p.lastTimestamp).toISOString() : null, p.currentTxnStartOffset >= 0 ? p.currentTxnStartOffset : null]),
      ),
    );
  }
}
