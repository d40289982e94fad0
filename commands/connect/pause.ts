import { Args } from '@oclif/core';
import { ConnectCommand } from './base.ts';

export default class ConnectPause extends ConnectCommand {
  static override summary = 'Pause a connector and its tasks.';
  static override examples = ['kstream connect pause local-file-source'];
  static override args = { name: Args.string({ required: true, ignoreStdin: true, description: 'Connector name.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConnectPause);
    const { ConnectClient } = await import('../../src/connect/rest/rest-client.ts');
    const { colors } = await import('../../src/cli/output.ts');
    await new ConnectClient(this.connectUrl(flags)).request('PUT', ConnectClient.path(args.name, '/pause'));
    process.stdout.write(`${colors().green('✔')} pause requested for connector ${args.name}\n`);
  }
}
