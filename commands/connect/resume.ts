import { Args } from '@oclif/core';
import { ConnectCommand } from './base.ts';

export default class ConnectResume extends ConnectCommand {
  static override summary = 'Resume a paused or stopped connector.';
  static override examples = ['kstream connect resume local-file-source'];
  static override args = { name: Args.string({ required: true, ignoreStdin: true, description: 'Connector name.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConnectResume);
    const { ConnectClient } = await import('../../src/connect/rest/rest-client.ts');
    const { colors } = await import('../../src/cli/output.ts');
    await new ConnectClient(this.connectUrl(flags)).request('PUT', ConnectClient.path(args.name, '/resume'));
    process.stdout.write(`${colors().green('✔')} resume requested for connector ${args.name}\n`);
  }
}
