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
    '<%= config.bin %> serve --tls-self-signed',
    '<%= config.bin %> serve --node-id 2 --port 9093 --data-dir ./data2 --metadata-store etcd://127.0.0.1:2379',
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
    'tls-self-signed': Flags.boolean({
      summary: 'Serve TLS with a generated local CA and certificate (kept in <data-dir>/tls/); without a listeners setting, adds an SSL listener on port+1.',
    }),
    'node-id': Flags.integer({ summary: 'This broker\'s node id (setting node.id; default 1).', min: 0 }),
    'metadata-store': Flags.string({
      summary: 'Join a cluster whose metadata etcd holds: etcd://host:port[,host:port...] (setting metadata.store). Without it: a standalone single node.',
    }),
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
      if (flags['node-id'] !== undefined) extra['node.id'] = String(flags['node-id']);
      if (flags['metadata-store'] !== undefined) extra['metadata.store'] = flags['metadata-store'];
      config = buildConfig({ fileText, fileName, assignments: flags.config ?? [], extra });
    } catch (err) {
      if (err instanceof ConfigError) this.error((err as Error).message, { exit: 2 });
      throw err;
    }

    const dataDir = flags['data-dir'] ?? config.dataDir() ?? defaultDataDir(process.env);
    const logger = createLogger(flags['log-level'] as 'info');
    let tlsNote: ((listeners: readonly { name: string; protocol: string; advertised: { host: string; port: number } }[]) => string) | null = null;
    if (flags['tls-self-signed']) {
      try {
        ({ config, note: tlsNote } = await selfSignedConfig(config, dataDir, flags.host, flags.port, buildConfig, logger));
      } catch (err) {
        this.error((err as Error).message, { exit: 2 });
      }
    }
    const listener = config.listener('listeners');
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
        // advertised.listeners is resolved per listener by the broker; the flags override the first.
        advertisedHost: flags['advertised-host'],
        advertisedPort: flags['advertised-port'],
      });
    } catch (err) {
      this.error((err as Error).message, { exit: 1 });
    }

    const addr = `${broker.advertised.host}:${broker.advertised.port}`;
    // First line is the machine-readable ready line (tests and scripts wait for it).
    process.stdout.write(
      `kstream: listening on ${broker.address.host}:${broker.address.port}, data in ${dataDir}\n` +
        `connect: kcat -b ${addr} -L   or   kstream consume demo --from-beginning -b ${addr}   (Ctrl-C stops)\n` +
        broker.listeners.slice(1).map((l) => `also listening on ${l.address.host}:${l.address.port} (${l.name}, ${l.protocol}), advertised as ${l.advertised.host}:${l.advertised.port}\n`).join('') +
        (tlsNote ? tlsNote(broker.listeners) : ''),
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

type BuildConfig = typeof import('../src/broker/config.ts').buildConfig;
type Config = ReturnType<BuildConfig>;

/**
 * --tls-self-signed: a local CA and server certificate in <data-dir>/tls/ (reused while valid), set as
 * the keystore of every TLS listener; without a `listeners` setting, PLAINTEXT on the port and SSL on
 * the next one. Returns the config and the lines telling how to trust the CA.
 */
async function selfSignedConfig(config: Config, dataDir: string, host: string | undefined, port: number | undefined, buildConfig: BuildConfig, logger: { info(m: string): void }) {
  const { join } = await import('node:path');
  const { hostname } = await import('node:os');
  const { ensureLocalCertificates } = await import('../src/security/self-signed.ts');
  const specs = config.listenerSpecs();
  const hosts = new Set(['localhost', '127.0.0.1', '::1', hostname()]);
  for (const h of [host, ...specs.map((l) => l.host), ...specs.map((l) => l.advertised?.host)]) if (h && h !== '0.0.0.0' && h !== '::') hosts.add(h);
  const certs = await ensureLocalCertificates(join(dataDir, 'tls'), [...hosts]);
  logger.info(`${certs.created ? 'created' : 'reusing'} self-signed TLS certificates in ${join(dataDir, 'tls')}`);
  const extra: Record<string, string> = {};
  if (config.string('ssl.keystore.location') === '' && config.string('ssl.keystore.certificate.chain') === '') {
    extra['ssl.keystore.type'] = 'PEM';
    extra['ssl.keystore.location'] = certs.keystoreFile;
    if (config.string('ssl.truststore.location') === '') {
      extra['ssl.truststore.type'] = 'PEM';
      extra['ssl.truststore.location'] = certs.caFile;
    }
  }
  if (specs.length === 0) {
    const h = host ?? '127.0.0.1';
    const p = port ?? 9092;
    const bracket = h.includes(':') ? `[${h}]` : h;
    extra.listeners = `PLAINTEXT://${bracket}:${p},SSL://${bracket}:${p === 0 ? 0 : p + 1}`;
  }
  const merged = { ...config.givenProperties(), ...extra };
  const next = buildConfig({ extra: merged });
  const note = (listeners: readonly { name: string; protocol: string; advertised: { host: string; port: number } }[]) => {
    const tls = listeners.filter((l) => l.protocol === 'SSL' || l.protocol === 'SASL_SSL');
    if (tls.length === 0) return '';
    const a = `${tls[0]!.advertised.host}:${tls[0]!.advertised.port}`;
    const proto = tls[0]!.protocol.toLowerCase();
    return (
      `tls: self-signed; clients must trust the CA ${certs.caFile}\n` +
      `  kcat -b ${a} -X security.protocol=${proto} -X ssl.ca.location=${certs.caFile} -L\n` +
      `  kafkajs: ssl: { ca: [fs.readFileSync('${certs.caFile}')] }   Java/librdkafka: ssl.truststore.type=PEM ssl.truststore.location=${certs.caFile} / ssl.ca.location=${certs.caFile}\n`
    );
  };
  return { config: next, note };
}
