/**
 * A real PostgreSQL for tests: initdb into a fresh temp dir and start `postgres` on a free loopback port.
 * PostgreSQL refuses to run as root, so when the tests run as root the data dir is given to the `postgres`
 * user and the server processes run as that user (spawn's uid/gid). The server listens on TCP only
 * (127.0.0.1) and on a Unix socket inside the data dir, so nothing outside the temp dir is touched.
 * `stop()` (also registered with closeAll) shuts it down fast and removes the dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { onStop } from './cleanup.ts';
import { freePort } from './port.ts';
import { waitForLine } from './process.ts';

export interface TestPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** `jdbc:postgresql://127.0.0.1:<port>/<database>`, as a JDBC connector's connection.url. */
  readonly jdbcUrl: string;
  stop(): Promise<void>;
}

/** The newest installed server's bin dir (Debian: /usr/lib/postgresql/<major>/bin), or null. */
export function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const majors = readdirSync(base)
    .filter((d) => existsSync(join(base, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length > 0 ? join(base, majors[0]!, 'bin') : null;
}

export const hasPostgres = postgresBinDir() !== null;

/** uid/gid of the `postgres` user when we are root (postgres will not run as root). */
function runAs(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const id = (flag: string) => {
    const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error('running as root and there is no `postgres` user to run PostgreSQL as');
    return Number(r.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPostgres(opts: { password?: string; database?: string } = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const password = opts.password ?? 'kstream-test-pw';
  const user = 'postgres';
  const dir = await mkdtemp(join(tmpdir(), 'kstream-pg-'));
  const data = join(dir, 'data');
  const ids = runAs();
  const owned = (p: string) => {
    if (ids) chownSync(p, ids.uid, ids.gid);
  };
  owned(dir);
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  owned(pwfile);
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-sync'], {
    encoding: 'utf8',
    ...(ids ?? {}),
    cwd: dir,
  });
  if (init.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr}${init.stdout}`);
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'max_connections=50'],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, ...(ids ?? {}) },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stop = onStop(async () => {
    // SIGINT = PostgreSQL's "fast shutdown": aborts sessions, checkpoints, exits.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
    await rm(dir, { recursive: true, force: true });
  });
  try {
    await waitForLine(child.stderr!, /database system is ready to accept connections/, 30_000, exited);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- postgres output ---\n${out}`);
  }
  const database = opts.database ?? 'postgres';
  return { host: '127.0.0.1', port, user, password, database, jdbcUrl: `jdbc:postgresql://127.0.0.1:${port}/${database}`, stop };
}
