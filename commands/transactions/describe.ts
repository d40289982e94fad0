import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TransactionsDescribe extends BaseCommand {
  static override summary = 'Show a transactional id: state, producer id/epoch, timeout, start time and the partitions of its transaction.';
  static override examples = ['$ kstream transactions describe my-app-1', '$ kstream transactions describe my-app-1 --json'];
  static override args = { id: Args.string({ required: true, ignoreStdin: true, description: 'Transactional id.' }) };
  static override flags = { json: Flags.boolean({ summary: 'Print JSON.', default: false }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TransactionsDescribe);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { describeTransaction } = await import('../../src/client/transactions-admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const d = await describeTransaction(cluster, args.id);
    if (flags.json) return printJson(d);
    const started = d.startTimeMs >= 0 ? new Date(d.startTimeMs).toISOString() : null;
    process.stdout.write(
      formatTable(
        ['TRANSACTIONAL ID', 'STATE', { header: 'PRODUCER ID', align: 'right' }, { header: 'EPOCH', align: 'right' }, { header: 'TIMEOUT MS', align: 'right' }, 'STARTED', 'PARTITIONS'],
        [[d.transactionalId, d.state, d.producerId, d.producerEpoch, d.timeoutMs, started, d.partitions.map((p) => `${p.topic}[${p.partition}]`).join(' ') || null]],
      ),
    );
  }
}
