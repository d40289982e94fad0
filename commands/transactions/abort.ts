import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TransactionsAbort extends BaseCommand {
  static override summary = 'Abort a hanging transaction in a partition (one whose producer and coordinator are gone), so its last stable offset can move.';
  static override description =
    'As kafka-transactions.sh abort: finds the producer whose open transaction starts at --start-offset (see `transactions describe-producers`) and writes an ABORT marker for it. Records of that transaction become invisible to read_committed consumers.';
  static override examples = ['$ kstream transactions abort --topic orders --partition 0 --start-offset 1234'];
  static override flags = {
    topic: Flags.string({ summary: 'Topic of the hanging transaction.', required: true }),
    partition: Flags.integer({ summary: 'Partition.', required: true, min: 0 }),
    'start-offset': Flags.integer({ summary: 'Offset where the transaction starts (TXN START OFFSET in describe-producers).', required: true, min: 0 }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TransactionsAbort);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { abortHangingTransaction } = await import('../../src/client/transactions-admin.ts');
    const { printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const p = await abortHangingTransaction(cluster, flags.topic, flags.partition, flags['start-offset']);
    if (flags.json) return printJson({ aborted: true, ...p });
    process.stdout.write(`aborted the transaction of producer ${p.producerId} (epoch ${p.producerEpoch}) in ${flags.topic}[${flags.partition}] starting at offset ${flags['start-offset']}\n`);
  }
}
