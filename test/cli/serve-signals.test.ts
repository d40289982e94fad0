import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, repoRoot, tempDir, waitForLine } from '../helpers/index.ts';

/**
 * Issue 13.5: `kstream serve` started by an older Node hands over to Node 24 as a child. A signal sent
 * to the whole process group (a terminal's Ctrl-C, `kill -TERM -<pgid>`, systemd, `timeout`) reaches
 * both processes; one sent to the parent alone (Docker, `kill <pid>`) only the parent. Either way there
 * must be exactly one clean shutdown: the clean-shutdown marker written and the .lock removed.
 */

const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
const bin = join(repoRoot, 'bin', 'dev');

afterAll(() => closeAll());

async function serveAndSignal(signal: NodeJS.Signals, toGroup: boolean): Promise<{ code: number | null; stderr: string; dataDir: string }> {
  const dataDir = await tempDir('kstream-signals-');
  // detached: its own process group, as a shell job or a service is.
  const child = spawn(oldNode!, [bin, 'serve', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd: repoRoot });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  try {
    await waitForLine(child.stdout, /^kstream: listening on /, 60_000, exited);
    process.kill(toGroup ? -child.pid! : child.pid!, signal);
    return { code: await exited, stderr, dataDir };
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
}

describe.skipIf(!oldNode)('serve through the Node 24 hand-over shuts down cleanly once per signal', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal} to the whole process group`, async () => {
      const { code, stderr, dataDir } = await serveAndSignal(signal, true);
      expect(stderr).not.toMatch(/again/);
      expect(stderr).toMatch(new RegExp(`${signal}: shutting down`));
      expect(code).toBe(0);
      expect(existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
      expect(existsSync(join(dataDir, '.lock'))).toBe(false);
    }, 120_000);
  }

  it('SIGTERM to the hand-over parent alone (docker stop, kill <pid>)', async () => {
    const { code, stderr, dataDir } = await serveAndSignal('SIGTERM', false);
    expect(stderr).toMatch(/SIGTERM: shutting down/);
    expect(code).toBe(0);
    expect(existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
    expect(existsSync(join(dataDir, '.lock'))).toBe(false);
  }, 120_000);
});
