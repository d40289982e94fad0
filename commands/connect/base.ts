import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

/**
 * What the `kstream connect …` commands share: they talk to a Connect worker's REST API
 * (--connect-url, env KSTREAM_CONNECT_URL), not to brokers, so the broker connection flags are replaced.
 */
export abstract class ConnectCommand extends BaseCommand {
  static override baseFlags = {
    'connect-url': Flags.string({
      summary: 'Kafka Connect REST API of the worker.',
      env: 'KSTREAM_CONNECT_URL',
      default: 'http://127.0.0.1:8083',
      helpGroup: 'CONNECTION',
    }),
    debug: BaseCommand.baseFlags.debug,
    // BaseCommand's static type names the broker flags; these commands replace them (see above).
  } as unknown as typeof BaseCommand.baseFlags;

  /** The REST URL from the parsed flags (typed apart, as baseFlags' static type is BaseCommand's). */
  protected connectUrl(flags: object): string {
    return (flags as { 'connect-url': string })['connect-url'];
  }
}
