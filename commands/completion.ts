import { Args } from '@oclif/core';
import { CliCommand } from '../src/cli/base-command.ts';

export default class CompletionCommand extends CliCommand {
  static override summary = 'Print a shell completion script (bash, zsh or fish).';
  static override description = `Completes commands, subcommands and flags. Install it once:
  bash: kstream completion bash > ~/.local/share/bash-completion/completions/kstream
  zsh:  kstream completion zsh > "\${fpath[1]}/_kstream"   (or: source <(kstream completion zsh) in ~/.zshrc)
  fish: kstream completion fish > ~/.config/fish/completions/kstream.fish`;
  static override examples = ['$ kstream completion bash > ~/.local/share/bash-completion/completions/kstream', '$ source <(kstream completion zsh)'];
  static override args = { shell: Args.string({ required: true, options: ['bash', 'zsh', 'fish'], description: 'Shell to complete for.' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(CompletionCommand);
    const { completionScript } = await import('../src/cli/completion.ts');
    const commands = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({ id: c.id, summary: c.summary ?? '', flags: Object.entries(c.flags).map(([name, f]) => ({ name, char: f.char, summary: f.summary ?? '' })) }));
    process.stdout.write(completionScript(args.shell as 'bash' | 'zsh' | 'fish', this.config.bin, commands));
  }
}
