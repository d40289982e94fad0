/**
 * The single executable, built for real (scripts/build-binary.ts --out <temp>/build/kstream, a few seconds) and
 * run from an empty directory with an empty environment: nothing of the package, Node or node_modules is
 * reachable, so whatever works here works on a user's laptop. The broker round trip through the binary is
 * scripts/ci-binary-smoke.sh.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { pollFor } from '../helpers/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; description: string };

let work: string;
let exe: string;

/** Runs the binary from `work` with no environment but HOME, as on a machine without Node. */
function kstream(...args: string[]) {
  const r = spawnSync(exe, args, {
    cwd: work,
    env: { HOME: join(work, 'home'), PATH: '/nonexistent' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kstream-binary-'));
  const built = join(work, 'build', 'kstream');
  // The Node running vitest is Node 24 (node_modules/.bin/node); the build script refuses anything older.
  execFileSync(process.execPath, [join(root, 'scripts', 'build-binary.ts'), '--out', built], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Only the executable goes into the run directory; the build directory (bundle, blob) is removed first.
  exe = join(work, 'run', 'kstream');
  mkdirSync(join(work, 'run'));
  mkdirSync(join(work, 'home'));
  copyFileSync(built, exe);
  rmSync(join(work, 'build'), { recursive: true, force: true });
  work = join(work, 'run');
}, 120_000);

afterAll(() => {
  if (work) rmSync(dirname(work), { recursive: true, force: true });
});

describe('dist/kstream (single executable)', () => {
  it('prints its version from an empty directory, with nothing on stderr', () => {
    const r = kstream('--version');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^kstream/${pjson.version.replaceAll('.', '\\.')} linux-x64 node-v24\\.`));
  });

  it('shows help from the bundled package.json, with nothing on stderr', () => {
    const r = kstream('--help');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(pjson.description);
    expect(r.stdout).toContain('USAGE');
  });

  it('shows for every command and topic the same help as the sources (bin/dev)', () => {
    // The bundle patches oclif (lazy requires, command sort without ICU); its output must not change.
    const dev = (...args: string[]) =>
      spawnSync(process.execPath, [join(root, 'bin', 'dev'), ...args], {
        cwd: work,
        env: { HOME: join(work, 'home') },
        encoding: 'utf8',
        timeout: 20_000,
      });
    const ids = Object.keys(commands);
    const topics = [...new Set(ids.filter((id) => id.includes(':')).map((id) => id.split(':')[0]!))];
    expect(ids).toContain('serve');
    for (const argv of [[], ...topics.map((t) => [t]), ...ids.map((id) => id.split(':'))]) {
      const r = kstream(...argv, '--help');
      expect({ argv, stderr: r.stderr, status: r.status }).toEqual({ argv, stderr: '', status: 0 });
      // Examples are EJS templates (`<%= config.bin %>`); EJS is loaded lazily in the binary.
      expect(r.stdout).not.toContain('<%');
      expect({ argv, help: r.stdout }).toEqual({ argv, help: dev(...argv, '--help').stdout });
    }
  }, 300_000);

  it('starts from the code caches recorded at build time (V8 accepts both: client commands, serve)', () => {
    const check = (...args: string[]) =>
      spawnSync(exe, args, { cwd: work, env: { HOME: join(work, 'home'), PATH: '/nonexistent', KSTREAM_SEA_CACHE_CHECK: '1' }, encoding: 'utf8' });
    const client = check('--version');
    expect(client.status).toBe(0);
    expect(client.stderr).toBe('code cache kstream.cache accepted\n');
    const serve = check('serve', '--help');
    expect(serve.status).toBe(0);
    expect(serve.stderr).toBe('code cache kstream-serve.cache accepted\n');
  });

  // node-forge, yaml and pg are assets of their own (scripts/build-binary.ts, SEPARATE_PACKAGES), compiled
  // on first use: a command that needs one must find it inside the executable.
  it('loads yaml, kept out of the main bundle, when a client profile file is read', () => {
    writeFileSync(join(work, 'bad.yaml'), 'profiles:\n  local: [oops\n');
    const r = spawnSync(exe, ['topics', 'list'], {
      cwd: work,
      env: { HOME: join(work, 'home'), PATH: '/nonexistent', KSTREAM_CONFIG: join(work, 'bad.yaml') },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).not.toBe(0);
    // yaml's own parse error (with its line and column) proves the package ran.
    expect(r.stderr).toMatch(/not valid YAML: .* at line 3, column 1/);
  });

  it('loads node-forge, kept out of the main bundle, for serve --tls-self-signed', async () => {
    const dataDir = join(work, 'tls-data');
    const child = spawn(exe, ['serve', '--tls-self-signed', '--port', '0', '--data-dir', dataDir], {
      cwd: work,
      env: { HOME: join(work, 'home'), PATH: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await pollFor('serve --tls-self-signed to listen', () => /listening on/.test(out), { timeoutMs: 20_000 });
      expect(readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
      expect(out).toMatch(/SSL/);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 30_000);

  it('rejects an unknown command with a clear one-line error and a non-zero exit', () => {
    const r = kstream('no-such-command');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('unknown command "no-such-command"');
    expect(r.stderr).not.toMatch(/Warning|\bat .*\(/);
  });
});
