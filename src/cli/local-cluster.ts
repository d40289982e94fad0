/**
 * `kstream cluster up`: a local cluster for trying failover — one etcd (from PATH, or $KSTREAM_ETCD)
 * and N brokers (this same CLI's `serve`) on consecutive ports, each with its own data dir under one
 * base dir, logs in files beside them. Stopping sends SIGTERM to every broker (each does its
 * controlled shutdown), waits for them, then stops etcd.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export const etcdBinary = (): string => process.env.KSTREAM_ETCD ?? 'etcd';

export const ETCD_MISSING =
  'etcd was not found on PATH (or $KSTREAM_ETCD). Install it: Debian/Ubuntu `apt-get install etcd-server`, ' +
  'macOS `brew install etcd`, or a release binary from the etcd project; then run this again.';

export function etcdAvailable(): boolean {
  return spawnSync(etcdBinary(), ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface LocalClusterOptions {
  brokers: number;
  /** Port of broker 1; broker i listens on firstPort + i - 1. */
  firstPort: number;
  host: string;
  etcdPort: number;
  baseDir: string;
  /** Extra `--config key=value` for every broker. */
  brokerConfigs: string[];
  /** The command line that runs this CLI (node + script). */
  cli: { command: string; args: string[] };
  onBrokerExit?: (nodeId: number, how: string) => void;
}

export interface RunningLocalCluster {
  bootstrap: string;
  etcd: string;
  brokers: { nodeId: number; address: string; dataDir: string; log: string; pid: number }[];
  etcdLog: string;
  /** Resolves when etcd exits on its own (a broker exiting is reported through `onBrokerExit`: killing one is what failover tests do). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000}s`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      if (pattern.test(buf)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (code ${code}) before it was ready`));
    });
  });
}

async function waitForEtcd(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`etcd exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }), signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`etcd did not answer on ${url} within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<RunningLocalCluster> {
  if (!etcdAvailable()) throw new Error(ETCD_MISSING);
  await mkdir(opts.baseDir, { recursive: true });
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    // Brokers first (controlled shutdown needs etcd), then etcd.
    const [etcd, ...brokers] = children;
    await Promise.all(brokers.map((c) => stopChild(c, 'SIGTERM', 60_000)));
    if (etcd) await stopChild(etcd, 'SIGTERM', 10_000);
  };
  try {
    const etcdUrl = `http://${opts.host}:${opts.etcdPort}`;
    const peerUrl = `http://${opts.host}:${opts.etcdPort + 1}`;
    const etcdLog = join(opts.baseDir, 'etcd.log');
    const etcd = spawn(
      etcdBinary(),
      [
        '--name', 'kstream', '--data-dir', join(opts.baseDir, 'etcd'),
        '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
        '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', `kstream=${peerUrl}`, '--log-level', 'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(etcd);
    const etcdOut = createWriteStream(etcdLog, { flags: 'a' });
    etcd.stdout.pipe(etcdOut);
    etcd.stderr.pipe(etcdOut);
    await waitForEtcd(etcdUrl, etcd, 20_000);
    const store = `etcd://${opts.host}:${opts.etcdPort}`;
    const brokers: RunningLocalCluster['brokers'] = [];
    const ready: Promise<void>[] = [];
    for (let id = 1; id <= opts.brokers; id++) {
      const port = opts.firstPort + id - 1;
      const dataDir = join(opts.baseDir, `broker-${id}`);
      const log = join(opts.baseDir, `broker-${id}.log`);
      const child = spawn(
        opts.cli.command,
        [...opts.cli.args, 'serve', '--node-id', String(id), '--host', opts.host, '--port', String(port), '--data-dir', dataDir, '--metadata-store', store, ...opts.brokerConfigs.flatMap((c) => ['--config', c])],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      const out = createWriteStream(log, { flags: 'a' });
      child.stdout!.pipe(out);
      child.stderr!.pipe(out);
      ready.push(waitForLine(child, /kstream: listening on/, 60_000, `broker ${id}`));
      brokers.push({ nodeId: id, address: `${opts.host}:${port}`, dataDir, log, pid: child.pid ?? -1 });
    }
    await Promise.all(ready);
    let stopping = false;
    const exited = new Promise<string>((resolve) => {
      children.forEach((c, i) =>
        c.once('exit', (code, signal) => {
          if (stopping) return;
          if (i === 0) resolve(`etcd exited (${signal ?? `code ${code}`})`);
          else opts.onBrokerExit?.(i, signal ?? `code ${code}`);
        }),
      );
    });
    return {
      bootstrap: brokers.map((b) => b.address).join(','),
      etcd: store,
      brokers,
      etcdLog,
      exited,
      stop: async () => {
        stopping = true;
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
