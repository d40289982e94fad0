import { Args } from '@oclif/core';
import { CliCommand } from '../src/cli/base-command.ts';

export default class HelpCommand extends CliCommand {
  static override summary = 'Show help for kstream or for one command.';
  static override examples = ['$ kstream help', '$ kstream help produce', '$ kstream help topics create'];
  static override strict = false;
  static override args = { command: Args.string({ required: false, description: 'Command to explain, e.g. produce or topics create.' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const { loadHelpClass } = await import('@oclif/core');
    const Help = await loadHelpClass(this.config);
    await new Help(this.config).showHelp((argv as string[]).filter((a) => a !== '--debug'));
  }
}
