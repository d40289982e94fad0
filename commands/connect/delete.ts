import { Args, Flags } from '@oclif/core';
import { ConnectCommand } from './base.ts';

export default class ConnectDelete extends ConnectCommand {
  static override summary = 'Delete a connector (asks first; --yes to skip). Its offsets stay, as in Kafka.';
  static override examples = ['kstream connect delete local-file-sink --yes'];
  static override args = { name: Args.string({ required: true, ignoreStdin: true, description: 'Connector name.' }) };
  static override flags = { yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConnectDelete);
    const { ConnectClient } = await import('../../src/connect/rest/rest-client.ts');
    const { confirmOrRefuse } = await import('../../src/cli/confirm.ts');
    const { colors } = await import('../../src/cli/output.ts');
    if (!(await confirmOrRefuse(`Delete connector ${args.name}?`, flags.yes, `delete connector ${args.name}`))) {
      process.stderr.write('not deleted\n');
      return;
    }
    await new ConnectClient(this.connectUrl(flags)).request('DELETE', ConnectClient.path(args.name));
    process.stdout.write(`${colors().green('✔')} deleted connector ${args.name}\n`);
  }
}
