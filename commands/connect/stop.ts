import { Args } from '@oclif/core';
import { ConnectCommand } from './base.ts';

export default class ConnectStop extends ConnectCommand {
  static override summary = 'Stop a connector and shut its tasks down (needed before altering offsets).';
  static override examples = ['kstream connect stop local-file-source'];
  static override args = { name: Args.string({ required: true, ignoreStdin: true, description: 'Connector name.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConnectStop);
    const { ConnectClient } = await import('../../src/connect/rest/rest-client.ts');
    const { colors } = await import('../../src/cli/output.ts');
    await new ConnectClient(this.connectUrl(flags)).request('PUT', ConnectClient.path(args.name, '/stop'));
    process.stdout.write(`${colors().green('✔')} stop requested for connector ${args.name}\n`);
  }
}
