/**
 * A single-member etcd for the cluster scenarios: a child process (tracked by proc.ts, so it dies with
 * the harness) on free loopback ports with a temp data dir. Ready = its JSON gateway answers a range
 * read. `etcd` from PATH, or `$KSTREAM_ETCD` (as `kstream cluster up` and the cluster tests).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetTempDir, killGroup, removeOnExit, start } from './proc.ts';
import { freePort } from './net.ts';

export const ETCD = process.env.KSTREAM_ETCD ?? 'etcd';

/** Why etcd cannot be used, or undefined when `etcd --version` runs. */
export function etcdMissing(): string | undefined {
  const r = spawnSync(ETCD, ['--version'], { stdio: 'ignore' });
  if (r.status === 0) return undefined;
  return `etcd not found ("${ETCD}"): install it (Debian/Ubuntu: apt-get install etcd-server; macOS: brew install etcd) or set KSTREAM_ETCD`;
}

export interface EtcdHandle {
  /** `etcd://127.0.0.1:<port>`, the broker's metadata.store setting. */
  spec: string;
  stop(): Promise<void>;
}

export async function startEtcd(timeoutMs = 20_000): Promise<EtcdHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'kstream-bench-etcd-'));
  removeOnExit(dir);
  const clientUrl = `http://127.0.0.1:${await freePort()}`;
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  const s = start(ETCD, [
    '--name', 'bench', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `bench=${peerUrl}`, '--log-level', 'error',
  ], { stdout: 'ignore', stderr: 'pipe' });
  let stderr = '';
  s.child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  let exited = false;
  void s.exited.then(() => (exited = true));
  const stop = async (): Promise<void> => {
    killGroup(s.child);
    await s.exited;
    rmSync(dir, { recursive: true, force: true });
    forgetTempDir(dir);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`etcd exited before it was ready: ${stderr.slice(-500)}`);
    }
    try {
      const res = await fetch(`${clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }), signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not answer on ${clientUrl} within ${timeoutMs} ms: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { spec: `etcd://${clientUrl.slice('http://'.length)}`, stop };
}
