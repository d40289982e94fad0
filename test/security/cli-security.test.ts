/**
 * The kstream CLI against secured listeners: `kstream users` creates SCRAM users, then produce /
 * consume / topics list log in with PLAIN and SCRAM-SHA-256/512 over SASL_PLAINTEXT and SASL_SSL, and
 * with a client certificate over SSL — settings from flags, the environment, -X (librdkafka and Java
 * names) and a profile. Mistakes are one clear line on stderr and one line in the broker log.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, runCli, startTestBroker, tempDir, waitFor, type TestBroker } from '../helpers/index.ts';
import { fourListeners, makePki, type TestPki } from './pki.ts';

let pki: TestPki;
let b: TestBroker;
let home: string;
const logLines: string[] = [];
const port = (name: string) => b.broker.listeners.find((l) => l.name === name)!.address.port;
const bs = (name: string) => `127.0.0.1:${port(name)}`;

beforeAll(async () => {
  pki = await makePki();
  home = await tempDir();
  const keep = (m: string) => void logLines.push(m);
  b = await startTestBroker({ config: fourListeners(pki), logger: { debug() {}, info: keep, warn: keep, error: keep } });
}, 60_000);
afterAll(closeAll);

/** The CLI with a clean environment: no profile file, no KSTREAM_* from the caller. */
function kstream(args: string[], opts: { env?: Record<string, string>; input?: string } = {}) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KSTREAM_')) env[k] = v;
  return runCli(args, { env: { ...env, XDG_CONFIG_HOME: home, NO_COLOR: '1', ...opts.env }, input: opts.input ?? '', timeoutMs: 60_000 });
}

async function ok(args: string[], opts: { env?: Record<string, string>; input?: string } = {}) {
  const r = await kstream(args, opts);
  expect(r.code, `kstream ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

async function expectLogged(re: RegExp, n: number): Promise<void> {
  const count = () => logLines.filter((l) => re.test(l)).length;
  await waitFor(`${n} broker log line(s) matching ${re}`, () => count() >= n, 10_000);
  expect(count(), logLines.join('\n')).toBe(n);
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('kstream users', () => {
  it('create, list and delete SCRAM users (password from the environment, never on the command line)', async () => {
    const plain = ['-b', bs('PLAINTEXT')];
    await ok(['users', 'create', 'bob', ...plain], { env: { KSTREAM_USER_PASSWORD: 'bob-secret' } });
    await ok(['users', 'create', 'carol', '--mechanism', 'SCRAM-SHA-512', '--iterations', '8192', ...plain], { env: { KSTREAM_USER_PASSWORD: 'carol-secret' } });
    await ok(['users', 'create', 'dave', '--mechanism', 'SCRAM-SHA-256', '--mechanism', 'SCRAM-SHA-512', ...plain], { env: { KSTREAM_USER_PASSWORD: 'dave-secret' } });
    const list = await ok(['users', 'list', '--json', ...plain]);
    expect(JSON.parse(list.stdout)).toEqual([
      { user: 'bob', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] },
      { user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
      { user: 'dave', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
    ]);
    const table = await ok(['users', 'list', 'carol', ...plain]);
    expect(lines(table.stdout).map((l) => l.trim().split(/\s+/))).toEqual([['USER', 'MECHANISM', 'ITERATIONS'], ['carol', 'SCRAM-SHA-512', '8192']]);
    await ok(['users', 'delete', 'dave', '--yes', ...plain]);
    const gone = await kstream(['users', 'list', 'dave', ...plain]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr.trim()).toMatch(/^error: user dave has no SCRAM credentials: RESOURCE_NOT_FOUND/);
    const noPw = await kstream(['users', 'create', 'eve', ...plain]);
    expect(noPw.stderr.trim()).toBe('error: no password for eve: set KSTREAM_USER_PASSWORD or --password, or run on a terminal to be asked');
    const few = await kstream(['users', 'create', 'eve', '--iterations', '100', '--password', 'x', ...plain]);
    expect(few.code).not.toBe(0);
    expect(few.stderr).toMatch(/--iterations/);
  }, 120_000);
});

describe('client commands over every secured listener', () => {
  it('SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_SSL: topics create/list, produce, consume', async () => {
    const bob = ['-b', bs('SASL_SSL'), '--security-protocol', 'SASL_SSL', '--sasl-mechanism', 'SCRAM-SHA-256', '--sasl-username', 'bob', '--tls-ca', pki.caFile];
    await ok(['topics', 'create', 'sec-t', ...bob], { env: { KSTREAM_SASL_PASSWORD: 'bob-secret' } });
    await ok(['produce', 'sec-t', 'one', 'two', ...bob], { env: { KSTREAM_SASL_PASSWORD: 'bob-secret' } });
    const carol = ['-b', bs('SASL_SSL'), '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=carol', '-X', 'sasl.password=carol-secret', '-X', `ssl.ca.location=${pki.caFile}`];
    const c = await ok(['consume', 'sec-t', '--from-beginning', '-n', '2', ...carol]);
    expect(lines(c.stdout)).toEqual(['one', 'two']);
    const t = await ok(['topics', 'list', ...carol]);
    expect(t.stdout).toMatch(/^sec-t\s+1\s+1\s+2$/m);
  }, 120_000);

  it('PLAIN over SASL_PLAINTEXT (Java sasl.jaas.config) and SCRAM over SASL_PLAINTEXT (environment only)', async () => {
    const jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";';
    const r = await ok(['topics', 'list', '-b', bs('SASL_PLAINTEXT'), '-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.jaas.config=${jaas}`]);
    expect(r.stdout).toMatch(/^sec-t\s/m);
    const env = { KSTREAM_BOOTSTRAP_SERVER: bs('SASL_PLAINTEXT'), KSTREAM_SASL_MECHANISM: 'SCRAM-SHA-256', KSTREAM_SASL_USERNAME: 'bob', KSTREAM_SASL_PASSWORD: 'bob-secret' };
    await ok(['produce', 'sec-t', 'three'], { env });
    const c = await ok(['consume', 'sec-t', '--from-beginning', '-n', '3'], { env });
    expect(lines(c.stdout)).toEqual(['one', 'two', 'three']);
  }, 120_000);

  it('SSL with a client certificate, from a profile (Java PEM keystore/truststore names)', async () => {
    const keystore = join(pki.dir, 'client-keystore.pem');
    await writeFile(keystore, pki.client.cert + pki.client.key);
    await mkdir(join(home, 'kstream'), { recursive: true });
    const profile = ['profiles:', '  mtls:', `    bootstrap-servers: ${bs('SSL')}`, '    properties:', '      security.protocol: SSL', '      ssl.truststore.type: PEM'];
    profile.push(`      ssl.truststore.location: ${pki.caFile}`, '      ssl.keystore.type: PEM', `      ssl.keystore.location: ${keystore}`, '');
    await writeFile(join(home, 'kstream', 'config.yaml'), profile.join('\n'));
    const c = await ok(['consume', 'sec-t', '--from-beginning', '-n', '1', '--profile', 'mtls']);
    expect(lines(c.stdout)).toEqual(['one']);
    // Flags on top of the profile: the same certificate as separate files.
    const t = await ok(['topics', 'list', '-b', bs('SSL'), '--tls-ca', pki.caFile, '--tls-cert', pki.clientCertFile, '--tls-key', pki.clientKeyFile]);
    expect(t.stdout).toMatch(/^sec-t\s/m);
  }, 120_000);
});

describe('mistakes: one line on stderr, one line in the broker log', () => {
  const oneLine = (s: string) => expect(lines(s), s).toHaveLength(1);

  it('wrong password', async () => {
    logLines.length = 0;
    const r = await kstream(['topics', 'list', '-b', bs('SASL_SSL'), '--sasl-mechanism', 'SCRAM-SHA-512', '--sasl-username', 'carol', '--tls-ca', pki.caFile], { env: { KSTREAM_SASL_PASSWORD: 'not-carols' } });
    expect(r.code).not.toBe(0);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^error: SASL authentication with 127\.0\.0\.1:\d+ as carol with SASL mechanism SCRAM-SHA-512: SASL_AUTHENTICATION_FAILED \(Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512\)$/m);
    await expectLogged(/failed authentication on listener SASL_SSL with SASL mechanism SCRAM-SHA-512: invalid client credentials for user carol/, 1);
    expect(logLines.join('\n')).not.toContain('not-carols');
  }, 60_000);

  it('a mechanism the broker does not enable', async () => {
    logLines.length = 0;
    const r = await kstream(['topics', 'list', '-b', bs('SASL_PLAINTEXT'), '--sasl-mechanism', 'OAUTHBEARER', '--sasl-username', 'dev']);
    expect(r.code).not.toBe(0);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/UNSUPPORTED_SASL_MECHANISM \(the broker does not enable OAUTHBEARER; enabled mechanisms: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512\)/);
    await expectLogged(/unsupported SASL mechanism OAUTHBEARER/, 1);
  }, 60_000);

  it('a plaintext client on the TLS port, a TLS client on the plaintext port, a non-SASL client on a SASL port', async () => {
    logLines.length = 0;
    const a = await kstream(['topics', 'list', '-b', bs('SSL')]);
    oneLine(a.stderr);
    expect(a.stderr).toMatch(/use --security-protocol SSL/);
    await expectLogged(/TLS handshake with 127\.0\.0\.1:\d+ on listener SSL failed/, 1);
    const t = await kstream(['topics', 'list', '-b', bs('PLAINTEXT'), '--tls-ca', pki.caFile]);
    oneLine(t.stderr);
    expect(t.stderr).toMatch(/is this a plaintext listener\? \(then use --security-protocol PLAINTEXT\)/);
    const s = await kstream(['topics', 'list', '-b', bs('SASL_PLAINTEXT')]);
    oneLine(s.stderr);
    expect(s.stderr).toMatch(/if this listener uses SASL, use --security-protocol SASL_PLAINTEXT/);
    await expectLogged(/before SASL authentication on listener SASL_PLAINTEXT/, 1);
  }, 60_000);

  it('no password and no terminal: says how to give one', async () => {
    const r = await kstream(['topics', 'list', '-b', bs('SASL_PLAINTEXT'), '--sasl-mechanism', 'PLAIN', '--sasl-username', 'alice']);
    expect(r.stderr.trim()).toBe('error: security settings: no SASL password for alice: give it with KSTREAM_SASL_PASSWORD, -X sasl.password, a profile, or --sasl-password, or run on a terminal to be asked');
  }, 60_000);
});
