import { CliCommand } from '../src/cli/base-command.ts';

export default class VersionCommand extends CliCommand {
  static override summary = 'Print the kstream version (same as --version or -v).';
  static override examples = ['$ kstream version'];

  async run(): Promise<void> {
    await this.parse(VersionCommand);
    process.stdout.write(`${this.config.userAgent}\n`);
  }
}
