import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, nodeBin, repoRoot, run, startTestBroker, tempDir, type RunResult, type TestBroker } from '../helpers/index.ts';

/**
 * Issue 14's client-setup and record features, run as the CLI process (bin/dev) against a real broker:
 * config-file profiles (XDG_CONFIG_HOME, --profile, KSTREAM_PROFILE), kcat-style -X properties,
 * produce --print-offsets and {{timestamp.type}} in consume templates.
 */

const bin = join(repoRoot, 'bin', 'dev');
let broker: TestBroker;
let configHome: string;

/** Runs kstream with the test's config dir; `-b` only when asked (profiles supply it otherwise). */
function kstream(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; bootstrap?: boolean } = {}): Promise<RunResult> {
  return run(nodeBin, [bin, ...args, ...(opts.bootstrap === false ? [] : ['-b', broker.bootstrap])], {
    input: opts.input,
    timeoutMs: 120_000,
    env: { ...process.env, NO_COLOR: '1', KSTREAM_BOOTSTRAP_SERVER: '', KSTREAM_PROFILE: '', KSTREAM_CONFIG: '', XDG_CONFIG_HOME: configHome, ...opts.env },
  });
}

async function ok(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; bootstrap?: boolean } = {}): Promise<RunResult> {
  const r = await kstream(args, opts);
  if (r.code !== 0) throw new Error(`kstream ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

async function writeConfig(text: string): Promise<void> {
  await mkdir(join(configHome, 'kstream'), { recursive: true });
  await writeFile(join(configHome, 'kstream', 'config.yaml'), text);
}

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'num.partitions': '1' } });
  configHome = await tempDir('kstream-cli2-config-');
});
afterAll(() => closeAll());

describe('produce --print-offsets', () => {
  it('one TOPIC PARTITION OFFSET line per record, the offsets consume then shows', async () => {
    await ok(['produce', 'po', 'a', 'b']);
    const r = await ok(['produce', 'po', '--print-offsets'], { input: 'c\nd\ne\n' });
    expect(lines(r.stdout)).toEqual(['po\t0\t2', 'po\t0\t3', 'po\t0\t4']);
    const seen = lines((await ok(['consume', 'po', '--from-beginning', '-e', '-t', '{{offset}} {{value}}'])).stdout);
    expect(seen.slice(2)).toEqual(['2 c', '3 d', '4 e']);
  }, 240_000);

  it('--print-offsets=summary: first/last offset and count per partition; refused with acks 0', async () => {
    await ok(['topics', 'create', 'pos', '--partitions', '3']);
    const input = Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`).join('\n');
    const r = await ok(['produce', 'pos', '-K', ':', '--print-offsets=summary'], { input });
    const [head, ...rows] = lines(r.stdout);
    expect(head!.split(/\s+/)).toEqual(['TOPIC', 'PARTITION', 'FIRST-OFFSET', 'LAST-OFFSET', 'RECORDS']);
    const consumed = lines((await ok(['consume', 'pos', '--from-beginning', '-e', '-t', '{{partition}} {{offset}}'])).stdout).map((l) => l.split(' ').map(Number));
    const expected = [0, 1, 2]
      .map((p) => consumed.filter(([q]) => q === p).map(([, o]) => o!))
      .map((offs, p) => ['pos', String(p), String(Math.min(...offs)), String(Math.max(...offs)), String(offs.length)])
      .filter((row) => row[4] !== '0');
    expect(rows.map((l) => l.trim().split(/\s+/))).toEqual(expected);
    expect(rows.map((l) => Number(l.trim().split(/\s+/)[4])).reduce((a, b) => a + b, 0)).toBe(30);

    const acks0 = await kstream(['produce', 'pos', '--acks', '0', '--print-offsets', 'x']);
    expect(acks0.code).toBe(1);
    expect(acks0.stderr).toBe('error: --print-offsets needs acknowledgements (--acks 1 or all): with acks 0 the broker does not say where records went\n');
  }, 240_000);
});

describe('{{timestamp.type}} in consume templates', () => {
  it("is Kafka's CreateTime or LogAppendTime, per topic setting", async () => {
    await ok(['topics', 'create', 'tt-log', '--config', 'message.timestamp.type=LogAppendTime']);
    await ok(['produce', 'tt-log', 'x']);
    await ok(['produce', 'tt-create', 'y']);
    const t = ['-e', '--from-beginning', '-t', '{{value}} {{timestamp.type}}'];
    expect(lines((await ok(['consume', 'tt-log', ...t])).stdout)).toEqual(['x LogAppendTime']);
    expect(lines((await ok(['consume', 'tt-create', ...t])).stdout)).toEqual(['y CreateTime']);
    const typo = await kstream(['consume', 'tt-create', '-e', '-t', '{{timestamp.typ}}']);
    expect(typo.stderr).toMatch(/^error: unknown placeholder \{\{timestamp\.typ\}\} in --template; use .*\{\{timestamp\.type\}\}/);
  }, 240_000);
});

describe('config file profiles', () => {
  it('the default profile, --profile, KSTREAM_PROFILE and -b, in that order of strength', async () => {
    await writeConfig(
      [
        'default-profile: here',
        'profiles:',
        '  here:',
        `    bootstrap-servers: ${broker.bootstrap}`,
        '    properties:',
        '      client.id: from-profile',
        '  nowhere:',
        '    bootstrap-servers: [127.0.0.1:9]',
        '',
      ].join('\n'),
    );
    const noB = { bootstrap: false };
    // No -b: the default profile's broker.
    expect(lines((await ok(['brokers', 'list'], noB)).stdout)[1]).toContain(String(broker.port));
    const dead = await kstream(['brokers', 'list', '--profile', 'nowhere'], noB);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toBe('error: could not connect to 127.0.0.1:9 — is a broker running? start one with `kstream serve`\n');
    const viaEnv = await kstream(['brokers', 'list'], { ...noB, env: { KSTREAM_PROFILE: 'nowhere' } });
    expect(viaEnv.stderr).toMatch(/could not connect to 127\.0\.0\.1:9 /);
    // --profile beats KSTREAM_PROFILE; -b and -X bootstrap.servers beat the profile.
    await ok(['brokers', 'list', '--profile', 'here'], { ...noB, env: { KSTREAM_PROFILE: 'nowhere' } });
    await ok(['brokers', 'list', '--profile', 'nowhere']);
    await ok(['brokers', 'list', '--profile', 'nowhere', '-X', `bootstrap.servers=${broker.bootstrap}`], noB);
    const missing = await kstream(['brokers', 'list', '--profile', 'nope'], noB);
    expect(missing.stderr).toBe(`error: profile "nope" is not in ${join(configHome, 'kstream', 'config.yaml')} (profiles: here, nowhere)\n`);
  }, 240_000);

  it("a profile's properties reach the broker (client.id seen by groups describe --members); -X beats them", async () => {
    await ok(['produce', 'prof', 'a']);
    const { spawn } = await import('node:child_process');
    const { waitForLine } = await import('../helpers/index.ts');
    const env = { ...process.env, NO_COLOR: '1', KSTREAM_BOOTSTRAP_SERVER: '', KSTREAM_PROFILE: '', KSTREAM_CONFIG: '', XDG_CONFIG_HOME: configHome };
    for (const [extra, clientId] of [[[], 'from-profile'], [['-X', 'client.id=from-x'], 'from-x']] as const) {
      const group = `prof-${clientId}`;
      const child = spawn(nodeBin, [bin, 'consume', 'prof', '-g', group, '--verbose', ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env });
      const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
      child.stdout.resume();
      try {
        await waitForLine(child.stderr, /^assigned: prof \[0\]$/, 60_000, exited);
        const m = JSON.parse((await ok(['groups', 'describe', group, '--members', '--json'], { bootstrap: false })).stdout);
        expect(m.members.map((x: { clientId: string }) => x.clientId)).toEqual([clientId]);
      } finally {
        child.kill('SIGINT');
      }
      expect(await exited).toBe(0);
    }
  }, 240_000);

  it('a broken file or an unknown key is one error naming the file, profile and key', async () => {
    const path = join(configHome, 'kstream', 'config.yaml');
    const cases: Array<[string, string]> = [
      ['profiles: [\n', `error: config file ${path}: not valid YAML: `],
      ['profiles:\n  p:\n    bootstrap: x\n', `error: config file ${path}, profile "p": unknown key "bootstrap" (expected bootstrap-servers, properties)\n`],
      ['profiles:\n  p:\n    properties: {lingr.ms: 3}\n', `error: config file ${path}, profile "p": unknown client property "lingr.ms" (kstream honours: `],
      ['default-profile: q\nprofiles:\n  p: {}\n', `error: config file ${path}: default-profile "q" is not among the profiles (p)\n`],
      ['profile:\n  p: {}\n', `error: config file ${path}: unknown key "profile" (expected default-profile, profiles)\n`],
    ];
    for (const [text, expected] of cases) {
      await writeConfig(text);
      const r = await kstream(['brokers', 'list']);
      expect(r.code, text).not.toBe(0);
      expect(r.stderr.startsWith(expected), `${text} → ${r.stderr}`).toBe(true);
      expect(lines(r.stderr), text).toHaveLength(1);
    }
    await writeConfig('');
  }, 240_000);
});

describe('-X key=value client properties', () => {
  it('unknown keys, bad security values and bad values are errors naming the key; honoured keys change behaviour', async () => {
    await writeConfig('');
    const cases: Array<[string, RegExp]> = [
      ['foo.bar=1', /^error: -X: unknown client property "foo\.bar" \(kstream honours: .*client\.id.*request\.timeout\.ms/],
      ['security.protocol=SASL_TLS', /^error: -X security\.protocol: "SASL_TLS" is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL$/],
      ['sasl.mechanism=GSSAPI', /^error: -X sasl\.mechanism: GSSAPI \(Kerberos\) is not supported by kstream/],
      ['ssl.ca.location=/nonexistent/ca.pem', /^error: security settings: cannot read the CA file \/nonexistent\/ca\.pem: no such file$/],
      ['linger.ms=soon', /^error: -X linger\.ms: "soon" is not an integer ≥ 0$/],
      ['acks=2', /^error: -X acks: "2" is not 0, 1, all or -1$/],
      ['client.id', /^error: -X: "client\.id" is not key=value/],
    ];
    for (const [prop, expected] of cases) {
      const r = await kstream(['topics', 'list', '-X', prop]);
      expect(r.code, prop).not.toBe(0);
      expect(r.stderr.trimEnd(), prop).toMatch(expected);
    }
    await ok(['topics', 'list', '-X', 'security.protocol=plaintext', '-X', 'request.timeout.ms=60000']);
    // Producer properties: kcat's compression.codec and acks reach the producer (acks=0 → no offsets to print).
    const acks0 = await kstream(['produce', 'xp', '-X', 'acks=0', '--print-offsets', 'a']);
    expect(acks0.stderr).toMatch(/^error: --print-offsets needs acknowledgements/);
    const flagWins = await ok(['produce', 'xp', '-X', 'acks=0', '--acks', 'all', '--print-offsets', 'a']);
    expect(lines(flagWins.stdout)).toEqual(['xp\t0\t0']);
    await ok(['produce', 'xp', '-X', 'compression.codec=zstd', 'b']);
    expect(lines((await ok(['consume', 'xp', '--from-beginning', '-e'])).stdout)).toEqual(['a', 'b']);
  }, 240_000);
});
