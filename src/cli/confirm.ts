import { UsageError } from './parse.ts';

/**
 * Asks a human to confirm a destructive action. --yes skips the question; without a terminal to ask
 * on, refuse rather than guess.
 */
export async function confirmOrRefuse(question: string, yes: boolean, what: string): Promise<boolean> {
  if (yes) return true;
  if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
    throw new UsageError(`refusing to ${what} without confirmation: not a terminal, pass --yes to confirm`);
  }
  const { default: confirm } = await import('@inquirer/confirm');
  try {
    return await confirm({ message: question, default: false });
  } catch (e) {
    // Ctrl-C at the prompt: the shell convention is exit 130 with one short line.
    if ((e as Error).name === 'ExitPromptError') throw Object.assign(new Error('cancelled'), { exitCode: 130 });
    throw e;
  }
}
