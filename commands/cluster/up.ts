import { Flags } from '@oclif/core';
import { CliCommand } from '../../src/cli/base-command.ts';

/**
 * `kstream cluster up`: etcd plus N brokers on this machine until Ctrl-C / SIGTERM — for trying
 * replication and failover locally (kill a broker, watch `kstream cluster describe`).
 */
export default class ClusterUp extends CliCommand {
  static override summary = 'Run a local cluster: etcd and N brokers on consecutive ports (Ctrl-C stops all).';
  static override description =
    'Starts etcd (from PATH, or $KSTREAM_ETCD) and N brokers (`kstream serve --node-id i --metadata-store etcd://…`), ' +
    'each with its own data dir under --data-dir, and prints the bootstrap list. Broker and etcd logs go to files there. ' +
    'Ctrl-C or SIGTERM stops every broker (controlled shutdown) and then etcd. Running it again on the same --data-dir brings the same cluster back.';
  static override examples = ['<%= config.bin %> cluster up', '<%= config.bin %> cluster up --brokers 5 --port 19092 --data-dir ./cluster'];
  static override flags = {
    brokers: Flags.integer({ char: 'n', summary: 'Number of brokers.', default: 3, min: 1, max: 50 }),
    port: Flags.integer({ summary: 'Port of broker 1; broker i listens on port + i - 1.', default: 9092, min: 1, max: 65000 }),
    host: Flags.string({ summary: 'Address the brokers and etcd listen on.', default: '127.0.0.1' }),
    'etcd-port': Flags.integer({ summary: 'etcd client port (the peer port is the next one).', default: 2379, min: 1, max: 65000 }),
    'data-dir': Flags.string({ summary: 'Base directory: etcd/, broker-N/ and the logs (default: <kstream data dir>/cluster).' }),
    config: Flags.string({ char: 'c', summary: 'Broker setting key=value for every broker (repeatable).', multiple: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ClusterUp);
    const { join, resolve } = await import('node:path');
    const { defaultDataDir } = await import('../../src/broker/data-dir.ts');
    const { startLocalCluster } = await import('../../src/cli/local-cluster.ts');
    const { onShutdownSignal } = await import('../../src/cli/signals.ts');
    const baseDir = resolve(flags['data-dir'] ?? join(defaultDataDir(process.env), 'cluster'));
    let stop!: (s: string) => void;
    const stopped = new Promise<string>((r) => (stop = r));
    onShutdownSignal(['SIGINT', 'SIGTERM', 'SIGHUP'], (signal, count) => {
      if (count > 1) process.exit(1);
      stop(signal);
    });
    let cluster;
    try {
      cluster = await startLocalCluster({
        brokers: flags.brokers,
        firstPort: flags.port,
        host: flags.host,
        etcdPort: flags['etcd-port'],
        baseDir,
        brokerConfigs: flags.config ?? [],
        cli: { command: process.execPath, args: [...process.execArgv, process.argv[1]!] },
        onBrokerExit: (id, how) => process.stderr.write(`broker ${id} exited (${how}); the others keep running\n`),
      });
    } catch (err) {
      this.error((err as Error).message, { exit: 1 });
    }
    // First line: the bootstrap list alone, for scripts (`kstream cluster up | head -1`).
    process.stdout.write(
      `${cluster.bootstrap}\n` +
        `cluster up: ${flags.brokers} broker${flags.brokers === 1 ? '' : 's'}, metadata in ${cluster.etcd}, data and logs in ${baseDir}\n` +
        cluster.brokers.map((b) => `  broker ${b.nodeId}  ${b.address}  pid ${b.pid}  log ${b.log}\n`).join('') +
        `try: kstream topics create demo -r ${Math.min(3, flags.brokers)} -b ${cluster.bootstrap}   kstream cluster describe -b ${cluster.bootstrap}   (Ctrl-C stops all)\n`,
    );
    const why = await Promise.race([stopped, cluster.exited]);
    process.stderr.write(`${why}: stopping the cluster\n`);
    await cluster.stop();
    process.stderr.write('cluster stopped\n');
    process.exit(0);
  }
}
