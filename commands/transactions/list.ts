import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TransactionsList extends BaseCommand {
  static override summary = 'List transactional ids with their producer id and transaction state.';
  static override examples = ['$ kstream transactions list', '$ kstream transactions list --state Ongoing --json'];
  static override flags = {
    state: Flags.string({ summary: 'Only these states (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence); repeatable.', multiple: true }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TransactionsList);
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { listTransactions } = await import('../../src/client/transactions-admin.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const list = await listTransactions(cluster, { states: flags.state });
    if (flags.json) return printJson(list);
    if (list.length === 0) {
      process.stderr.write('no transactional ids\n');
      return;
    }
    process.stdout.write(formatTable(['TRANSACTIONAL ID', { header: 'PRODUCER ID', align: 'right' }, 'STATE'], list.map((t) => [t.transactionalId, t.producerId, t.state])));
  }
}
