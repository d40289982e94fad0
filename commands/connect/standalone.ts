import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class ConnectStandalone extends BaseCommand {
  static override summary = 'Run a Kafka Connect worker in standalone mode.';
  static override description =
    'Kafka’s connect-standalone: a worker config (bootstrap.servers, key.converter, value.converter, ' +
    'offset.storage.file.filename, offset.flush.interval.ms, listeners, …) and one or more connector configs ' +
    '(.properties, or JSON as {"name":…,"config":{…}} or a flat map). The REST API listens on `listeners` ' +
    '(default http://:8083). Ctrl-C or SIGTERM stops the connectors and commits their offsets.';
  static override examples = [
    'kstream connect standalone config/connect-standalone.properties config/connect-file-source.properties config/connect-file-sink.properties',
    'kstream connect standalone worker.properties my-sink.json',
  ];
  static override strict = false;
  // No broker flags: bootstrap.servers comes from the worker config.
  static override baseFlags = { debug: BaseCommand.baseFlags.debug } as unknown as typeof BaseCommand.baseFlags;
  static override args = {
    worker: Args.string({ required: true, description: 'Worker config (.properties).' }),
    connector: Args.string({ required: false, description: 'Connector config files (.properties or .json), any number.' }),
  };

  async run(): Promise<void> {
    const { args, argv } = await this.parse(ConnectStandalone);
    const { loadConnectorFile, loadPropertiesFile } = await import('../../src/connect/runtime/properties.ts');
    const { firstShutdownSignal } = await import('../../src/cli/signals.ts');
    const { startStandalone } = await import('../../src/connect/standalone.ts');
    const files = (argv as string[]).slice(1);
    const workerProps = await loadPropertiesFile(args.worker);
    const connectors = [];
    for (const f of files) connectors.push(await loadConnectorFile(f));

    // Listening before the worker starts: a signal during start-up still stops it cleanly once it is up.
    const stopped = firstShutdownSignal(['SIGINT', 'SIGTERM']);

    const log = (l: string) => process.stderr.write(`${l}\n`);
    const worker = await startStandalone({ workerProps, connectors, log });
    process.stdout.write(`kstream connect: REST API listening on ${worker.url}, ${connectors.length} connector(s) started (Ctrl-C stops)\n`);
    const signal = await stopped;
    log(`kstream connect: ${signal}: stopping connectors`);
    await worker.close();
  }
}
