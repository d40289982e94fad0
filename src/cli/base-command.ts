import { Command, Flags } from '@oclif/core';

/**
 * What every kstream command shares: --debug and one way to fail — a single clear line on stderr and
 * a non-zero exit, with the stack only under --debug. Kept free of heavy imports: commands/index.ts
 * loads it for every command, so the machinery is imported lazily by each run().
 */
export abstract class CliCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ summary: 'Print stack traces and protocol details on errors.', default: false }),
  };
  /** Resources to release however the command ends (clients, spinners). */
  protected cleanups: Array<() => unknown> = [];

  override async init(): Promise<void> {
    await super.init();
    const { prepareColors } = await import('./output.ts');
    await prepareColors();
  }

  protected get debugging(): boolean {
    return this.argv.includes('--debug') || process.env.KSTREAM_DEBUG === '1';
  }

  override async catch(err: Error & { exitCode?: number; code?: unknown; oclif?: { exit?: number } }): Promise<void> {
    // oclif's own exit (this.exit(n), --help, --version) is not an error. Its ExitError is named
    // CLIError; its code 'EEXIT' is what identifies it.
    if (err.oclif?.exit !== undefined && (err.name === 'ExitError' || err.code === 'EEXIT')) {
      process.exitCode = err.oclif.exit;
      return;
    }
    // A flag error means parse() never finished; keep oclif from adding a development warning.
    this.parsed = true;
    process.exitCode = typeof err.exitCode === 'number' && err.exitCode !== 0 ? err.exitCode : (err.oclif?.exit ?? 1) || 1;
    if (this.debugging) {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      const cause = (err as { cause?: unknown }).cause;
      if (cause instanceof Error) process.stderr.write(`caused by: ${cause.stack ?? cause.message}\n`);
      return;
    }
    process.stderr.write(`error: ${oneLine(err, this.id)}\n`);
  }

  override async finally(err: Error | undefined): Promise<void> {
    for (const c of this.cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // Already failing or finishing; the first error is the one to report.
      }
    }
    await super.finally(err);
  }
}

/** The first line of an error message, with oclif's "See more help" tail turned into a hint. */
function oneLine(err: Error, id: string | undefined): string {
  const lines = (err.message || String(err)).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const body = lines.filter((l) => !l.startsWith('See more help'));
  // oclif puts what is missing on the next line ("Missing 1 required arg:\ntopic  Topic to read.").
  let first = body[0] ?? err.name;
  if (first.endsWith(':') && body[1]) first = `${first} ${body[1].replace(/\s{2,}/g, ' \u2014 ')}`;
  // oclif's "Parsing --max-messages\n\tExpected an integer but received: abc": keep the reason.
  const parsing = /^Parsing (--[\w-]+)$/.exec(first);
  if (parsing && body[1]) first = `${parsing[1]}: ${body[1].charAt(0).toLowerCase()}${body[1].slice(1)}`;
  const isParse = lines.some((l) => l.startsWith('See more help')) || (err as { parse?: unknown }).parse !== undefined;
  return isParse && id ? `${first} (see: kstream ${id.replaceAll(':', ' ')} --help)` : first;
}

/**
 * A command that talks to a cluster: where it is (-b/--bootstrap-server), the client id, the request
 * timeout, a config-file profile (--profile, $KSTREAM_PROFILE), kcat-style `-X key=value` client
 * properties and TLS/SASL (--security-protocol, --sasl-*, --tls-*; src/cli/security-settings.ts). Flags have no oclif defaults so a profile or -X can supply them (src/cli/connect.ts
 * merges the layers).
 */
export abstract class BaseCommand extends CliCommand {
  static override baseFlags = {
    'bootstrap-server': Flags.string({
      char: 'b',
      summary: 'Kafka broker(s) to bootstrap from, host:port[,host:port\u2026] (default 127.0.0.1:9092, env KSTREAM_BOOTSTRAP_SERVER).',
      helpGroup: 'CONNECTION',
    }),
    'client-id': Flags.string({ summary: 'Client id sent to the broker (default kstream).', helpGroup: 'CONNECTION' }),
    'request-timeout-ms': Flags.integer({ summary: 'How long to wait for a broker reply (default 30000).', min: 1, helpGroup: 'CONNECTION' }),
    profile: Flags.string({ summary: 'Profile from the config file (~/.config/kstream/config.yaml).', env: 'KSTREAM_PROFILE', helpGroup: 'CONNECTION' }),
    property: Flags.string({
      char: 'X',
      summary: 'Client property key=value, as kcat -X (client.id, request.timeout.ms, linger.ms, \u2026); repeatable.',
      multiple: true,
      multipleNonGreedy: true,
      helpGroup: 'CONNECTION',
    }),
    'security-protocol': Flags.string({
      summary: 'PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (default: from the other security flags, else PLAINTEXT; env KSTREAM_SECURITY_PROTOCOL).',
      helpGroup: 'SECURITY',
    }),
    'sasl-mechanism': Flags.string({ summary: 'PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (env KSTREAM_SASL_MECHANISM).', helpGroup: 'SECURITY' }),
    'sasl-username': Flags.string({ summary: 'SASL user name (env KSTREAM_SASL_USERNAME).', helpGroup: 'SECURITY' }),
    'sasl-password': Flags.string({
      summary: 'SASL password; better from env KSTREAM_SASL_PASSWORD, a profile, or the terminal prompt (asked without echo when not given).',
      helpGroup: 'SECURITY',
    }),
    'tls-ca': Flags.string({ summary: 'PEM file of the CA(s) that signed the broker certificate (env KSTREAM_TLS_CA).', helpGroup: 'SECURITY' }),
    'tls-cert': Flags.string({ summary: 'PEM client certificate for mTLS (env KSTREAM_TLS_CERT).', helpGroup: 'SECURITY' }),
    'tls-key': Flags.string({ summary: 'PEM private key of the client certificate (env KSTREAM_TLS_KEY).', helpGroup: 'SECURITY' }),
    'tls-insecure': Flags.boolean({ summary: 'Do not verify the broker certificate (testing only).', helpGroup: 'SECURITY' }),
    ...CliCommand.baseFlags,
  };

  override async init(): Promise<void> {
    await super.init();
    // Read (and parse) the config file before run(), so connecting stays synchronous.
    const { loadProfileFile } = await import('./profiles.ts');
    await loadProfileFile();
  }
}
