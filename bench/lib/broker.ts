/**
 * The real `kstream serve` as a child process: compiled dist via bin/kstream, a temp data dir, a free
 * port. Ready = the port accepts a TCP connection (independent of what the ready line says).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { forgetTempDir, killGroup, readCpuMs, readRssKb, removeOnExit, start, type Started } from './proc.ts';
import { freePort, waitForPort } from './net.ts';

export interface BrokerHandle {
  host: string;
  port: number;
  bootstrap: string;
  dataDir: string;
  pid: number;
  /** ms from spawn to the first accepted connection. */
  readyMs: number;
  rssKb(): number;
  peakRssKb(): number;
  /** CPU time (user + system) the broker has used so far, ms. */
  cpuMs(): number;
  /** SIGTERM (clean shutdown, lets --cpu-prof write its file), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Remove the data dir (after stop) unless it was given by the caller. */
  cleanup(): void;
}

export interface BrokerOptions {
  root: string;
  /** Run this executable (the standalone binary) instead of `node bin/kstream`. */
  command?: string;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=…']. */
  nodeArgs?: string[];
  /** Broker settings passed as --config key=value. */
  config?: Record<string, string | number>;
  /** Reuse a data dir (kept on cleanup). */
  dataDir?: string;
  readyTimeoutMs?: number;
}

/**
 * Starts a broker; a port race (another process on this shared machine took the free port between
 * freePort() and the broker's bind, so "the port accepts" was someone else) is retried on a new port.
 */
export async function startKstream(o: BrokerOptions): Promise<BrokerHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(o);
    } catch (e) {
      if (!(e instanceof PortRaceError) || attempt >= 3) throw e;
    }
  }
}

class PortRaceError extends Error {}

async function startOnce(o: BrokerOptions): Promise<BrokerHandle> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const ownDir = o.dataDir === undefined;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'kstream-bench-data-'));
  const logDir = mkdtempSync(join(tmpdir(), 'kstream-bench-log-'));
  const logPath = join(logDir, 'serve.log');
  removeOnExit(logDir);
  if (ownDir) removeOnExit(dataDir);
  const cfg = Object.entries(o.config ?? {}).flatMap(([k, v]) => ['--config', `${k}=${v}`]);
  const serve = ['serve', '--host', host, '--port', String(port), '--data-dir', dataDir, ...cfg];
  const [cmd, args] = o.command
    ? [o.command, serve]
    : [process.execPath, [...(o.nodeArgs ?? []), join(o.root, 'bin/kstream'), ...serve]];
  const s: Started = start(cmd, args, { stdout: { file: logPath }, stderr: { file: logPath + '.err' }, cwd: o.root });
  let exited = false;
  void s.exited.then(() => (exited = true));
  let readyAt: number;
  try {
    readyAt = await waitForPort(host, port, o.readyTimeoutMs ?? 15_000, () => !exited);
  } catch (e) {
    killGroup(s.child);
    const log = safeRead(logPath) + safeRead(logPath + '.err');
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    rmSync(logDir, { recursive: true, force: true });
    throw new Error(`kstream serve did not start: ${(e as Error).message}\n${log.slice(-3000)}`);
  }
  // The port accepted: make sure it was this broker (its ready line names the port), not a process
  // that took the port first. readyMs stays spawn → accept.
  const ownLine = `listening on ${host}:${port}`;
  const lineDeadline = performance.now() + (o.readyTimeoutMs ?? 15_000);
  for (;;) {
    if ((safeRead(logPath) + safeRead(logPath + '.err')).includes(ownLine)) break;
    if (performance.now() > lineDeadline) {
      killGroup(s.child);
      throw new Error(`kstream serve accepted on ${port} but never printed "${ownLine}"`);
    }
    if (exited) {
      const log = safeRead(logPath) + safeRead(logPath + '.err');
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      rmSync(logDir, { recursive: true, force: true });
      if (/EADDRINUSE|already in use/i.test(log)) throw new PortRaceError(`port ${port} was taken by another process`);
      throw new Error(`kstream serve exited after the port accepted:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const pid = s.child.pid!;
  return {
    host,
    port,
    bootstrap: `${host}:${port}`,
    dataDir,
    pid,
    readyMs: readyAt - s.startedAt,
    rssKb: () => readRssKb(pid, 'VmRSS'),
    peakRssKb: () => readRssKb(pid, 'VmHWM'),
    cpuMs: () => readCpuMs(pid),
    async stop(graceMs = 10_000) {
      if (exited) return;
      killGroupSignal(s, 'SIGTERM');
      const t = setTimeout(() => killGroup(s.child), graceMs);
      await s.exited;
      clearTimeout(t);
      killGroup(s.child);
    },
    cleanup() {
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      rmSync(logDir, { recursive: true, force: true });
      forgetTempDir(dataDir);
      forgetTempDir(logDir);
    },
  };
}

/** SIGTERM only the broker process itself (its own shutdown handler runs), not the group. */
function killGroupSignal(s: Started, sig: NodeJS.Signals): void {
  try {
    s.child.kill(sig);
  } catch {
    // gone
  }
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** Sum of the .log segment bytes of a topic's partitions in a data dir (the volume a fetch reads). */
export function topicLogBytes(dataDir: string, topic: string): number {
  let total = 0;
  for (const d of readdirSync(dataDir)) {
    if (!d.startsWith(`${topic}-`) || !/^\d+$/.test(d.slice(topic.length + 1))) continue;
    for (const f of readdirSync(join(dataDir, d))) if (f.endsWith('.log')) total += statSync(join(dataDir, d, f)).size;
  }
  return total;
}
