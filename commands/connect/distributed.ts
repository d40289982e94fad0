import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class ConnectDistributed extends BaseCommand {
  static override summary = 'Run a Kafka Connect worker in distributed mode.';
  static override description =
    'Kafka’s connect-distributed: the worker joins the Connect group `group.id` and keeps connector configs, ' +
    'source offsets and statuses in `config.storage.topic`, `offset.storage.topic` and `status.storage.topic` ' +
    '(created compacted if missing). Start the same worker config on more machines to share connectors and ' +
    'tasks; a dead worker’s tasks move after `scheduled.rebalance.max.delay.ms`. Connectors are created through ' +
    'the REST API of any worker (`listeners`, default http://:8083). Ctrl-C or SIGTERM stops the worker.';
  static override examples = ['kstream connect distributed config/connect-distributed.properties'];
  // No broker flags: bootstrap.servers comes from the worker config.
  static override baseFlags = { debug: BaseCommand.baseFlags.debug } as unknown as typeof BaseCommand.baseFlags;
  static override args = {
    worker: Args.string({ required: true, description: 'Worker config (.properties).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(ConnectDistributed);
    const { loadPropertiesFile } = await import('../../src/connect/runtime/properties.ts');
    const { firstShutdownSignal } = await import('../../src/cli/signals.ts');
    const { startDistributed } = await import('../../src/connect/distributed.ts');
    const workerProps = await loadPropertiesFile(args.worker);

    // Listening before the worker starts: a signal during start-up still stops it cleanly once it is up.
    const stopped = firstShutdownSignal(['SIGINT', 'SIGTERM']);

    const log = (l: string) => process.stderr.write(`${l}\n`);
    const worker = await startDistributed({ workerProps, log });
    process.stdout.write(`kstream connect: REST API listening on ${worker.url}, worker ${worker.herder.workerId} in group ${workerProps['group.id']} (Ctrl-C stops)\n`);
    const signal = await stopped;
    log(`kstream connect: ${signal}: stopping the worker`);
    await worker.close();
  }
}
