import { Flags } from '@oclif/core';
import { CliCommand } from '../src/cli/base-command.ts';

/**
 * `kstream serve`: runs the Kafka-compatible broker in the foreground until Ctrl-C / SIGTERM.
 * The broker is imported inside run() so other commands never load it.
 */
export default class Serve extends CliCommand {
  static override summary = 'Run a Kafka-compatible broker.';
  static override description =
    'Starts a single-node broker that speaks the Kafka wire protocol: kcat, kafkajs, librdkafka, the Java client ' +
    "and kstream's own commands can produce to and consume from it.\n\n" +
    "Broker settings use Kafka's names (log.retention.hours, log.segment.bytes, num.partitions, " +
    'auto.create.topics.enable, message.max.bytes, ...): pass them with --config key=value (repeatable) or a ' +
    'server.properties-style file with --config-file; flags win over the file. Ctrl-C, SIGTERM or SIGHUP shuts down cleanly.';

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 19092 --data-dir ./data',
    '<%= config.bin %> serve --config log.retention.hours=24 --config num.partitions=3',
    '<%= config.bin %> serve --fsync always',
  ];

  static override flags = {
    // No oclif defaults on these three: `listeners` / `log.dirs` from --config may supply them.
    host: Flags.string({ summary: 'Address to listen on (default: 127.0.0.1, or the host of the listeners setting).' }),
    port: Flags.integer({ summary: 'Port to listen on, 0 = any free port (default: 9092, or the port of the listeners setting).', min: 0, max: 65535 }),
    'data-dir': Flags.string({
      summary: 'Where topics are stored (default: log.dirs, $KSTREAM_DATA_DIR, $XDG_DATA_HOME/kstream or ~/.local/share/kstream).',
    }),
    config: Flags.string({ char: 'c', summary: 'Broker setting key=value (repeatable).', multiple: true }),
    'config-file': Flags.string({ summary: 'Properties file of broker settings (server.properties style).' }),
    fsync: Flags.string({
      summary: 'When appends are fsynced: always (before acknowledging), interval (every second), never (left to the OS).',
      options: ['always', 'interval', 'never'],
    }),
    'advertised-host': Flags.string({ summary: 'Host clients are told to connect to (default: the listen host).' }),
    'advertised-port': Flags.integer({ summary: 'Port clients are told to connect to (default: the bound port).', min: 1, max: 65535 }),
    'log-level': Flags.string({ summary: 'Broker log level (stderr).', options: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const { readFile } = await import('node:fs/promises');
    const { buildConfig, ConfigError } = await import('../src/broker/config.ts');
    const { defaultDataDir } = await import('../src/broker/data-dir.ts');
    const { startBroker } = await import('../src/broker/broker.ts');
    const { createLogger } = await import('../src/broker/logger.ts');

    let config;
    try {
      const fileName = flags['config-file'];
      // Without a file, start from what Kafka's shipped config/server.properties sets for development:
      // no initial rebalance delay, so a new group's first member is not kept waiting 3 s.
      const fileText =
        fileName === undefined
          ? 'group.initial.rebalance.delay.ms=0\n'
          : await readFile(fileName, 'utf8').catch((e: NodeJS.ErrnoException) => {
              throw new ConfigError(`--config-file: cannot read ${fileName}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
            });
      const extra: Record<string, string> = {};
      if (flags.fsync) extra['log.fsync'] = flags.fsync;
      config = buildConfig({ fileText, fileName, assignments: flags.config ?? [], extra });
    } catch (err) {
      if (err instanceof ConfigError) this.error((err as Error).message, { exit: 2 });
      throw err;
    }

    const dataDir = flags['data-dir'] ?? config.dataDir() ?? defaultDataDir(process.env);
    const logger = createLogger(flags['log-level'] as 'info');
    const listener = config.listener('listeners');
    const advertisedListener = config.listener('advertised.listeners');
    // Which settings change nothing here, and why, comes from the settings table (src/config/broker-settings.ts).
    const { ignoredSettingsWarning } = await import('../src/broker/config.ts');
    const ignoredWarning = ignoredSettingsWarning(config);
    if (ignoredWarning) logger.warn(ignoredWarning);

    // Signal handlers go in before anything is printed: a supervisor (or a test) may send SIGTERM the
    // moment it sees the ready line, and a signal during start-up must still shut down cleanly.
    let stop!: (signal: string) => void;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    // Counted once however they arrive: a group-wide signal also reaches us relayed by bin/kstream's
    // hand-over parent (src/cli/signals.ts); only a second, separate one forces the exit.
    const { onShutdownSignal } = await import('../src/cli/signals.ts');
    onShutdownSignal(['SIGINT', 'SIGTERM', 'SIGHUP'], (signal, count) => {
      if (count > 1) {
        logger.warn(`${signal} again: exiting without a clean shutdown`);
        process.exit(1);
      }
      stop(signal);
    });

    let broker;
    try {
      broker = await startBroker({
        // Kafka's `PLAINTEXT://:9092` (empty host) means every interface.
        host: flags.host ?? (listener ? listener.host || '0.0.0.0' : '127.0.0.1'),
        port: flags.port ?? listener?.port ?? 9092,
        dataDir,
        config,
        logger,
        advertisedHost: flags['advertised-host'] ?? (advertisedListener?.host || undefined),
        advertisedPort: flags['advertised-port'] ?? advertisedListener?.port,
      });
    } catch (err) {
      this.error((err as Error).message, { exit: 1 });
    }

    const addr = `${broker.advertised.host}:${broker.advertised.port}`;
    // First line is the machine-readable ready line (tests and scripts wait for it).
    process.stdout.write(
      `kstream: listening on ${broker.address.host}:${broker.address.port}, data in ${dataDir}\n` +
        `connect: kcat -b ${addr} -L   or   kstream consume demo --from-beginning -b ${addr}   (Ctrl-C stops)\n`,
    );

    const signal = await stopped;
    logger.info(`${signal}: shutting down`);
    try {
      await broker.close();
    } catch (err) {
      logger.error(`shutdown: ${(err as Error).message}`);
      process.exit(1);
    }
    process.exit(0);
  }
}
