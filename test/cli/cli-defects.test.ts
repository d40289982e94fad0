import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, nodeBin, repoRoot, run, startTestBroker, tempDir, waitForLine, type RunResult, type TestBroker } from '../helpers/index.ts';

/**
 * Issue 14's defects, each shown by running the CLI as a process (bin/dev: the current sources)
 * against a real broker.
 */

const bin = join(repoRoot, 'bin', 'dev');
let broker: TestBroker;

function kstream(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; noBootstrap?: boolean } = {}): Promise<RunResult> {
  return run(nodeBin, [bin, ...args, ...(opts.noBootstrap ? [] : ['-b', broker.bootstrap])], {
    input: opts.input,
    env: { ...process.env, NO_COLOR: '1', KSTREAM_BOOTSTRAP_SERVER: '', ...opts.env },
  });
}

async function ok(args: string[], input?: string): Promise<RunResult> {
  const r = await kstream(args, { input });
  if (r.code !== 0) throw new Error(`kstream ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const values = async (topic: string) => lines((await ok(['consume', topic, '--from-beginning', '-e'])).stdout);

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'num.partitions': '1' } });
});
afterAll(() => closeAll());

describe('produce --format json never damages data silently', () => {
  it('a typo, a missing value, bad base64 or a negative timestamp: line and column, nothing from that line on', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"vaule":1}', /^error: line 2, column 2: unknown field "vaule" \(did you mean "value"\?\)/],
      ['{}', /^error: line 2, column 1: missing "value" \(write "value":null for a tombstone\)/],
      ['{"value":"%%%","valueEncoding":"base64"}', /^error: line 2, column 10: "value" is not valid base64/],
      ['{"value":"x","timestamp":-1}', /^error: line 2, column 26: "timestamp" must not be negative/],
      ['{"value":"x" "key":1}', /^error: line 2, column 14: not valid JSON: expected ',' or '}'/],
    ];
    for (const [i, [bad, expected]] of cases.entries()) {
      const topic = `json-bad-${i}`;
      const r = await kstream(['produce', topic, '--format', 'json'], { input: `{"value":"first"}\n${bad}\n{"value":"after"}\n` });
      expect(r.code, bad).toBe(1);
      expect(r.stderr, bad).toMatch(expected);
      expect(lines(r.stderr), bad).toHaveLength(1);
      expect(await values(topic), bad).toEqual(['first']);
    }
    // An explicit null is still the way to write a tombstone; a BOM at the start is not an error.
    await ok(['produce', 'json-ok', '--format', 'json'], '\ufeff{"key":"k","value":"v"}\n{"key":"k","value":null}\n');
    const out = lines((await ok(['consume', 'json-ok', '--from-beginning', '-e', '--format', 'json'])).stdout).map((l) => JSON.parse(l));
    expect(out.map((r) => [r.key, r.value])).toEqual([['k', 'v'], ['k', null]]);
  }, 240_000);

  it('bad JSON arguments write nothing at all', async () => {
    const r = await kstream(['produce', 'json-args', '--format', 'json', '{"value":"a"}', '{"valu":"b"}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: argument 2, column 2: unknown field "valu"/);
    expect(await values('json-args')).toEqual([]);
  }, 240_000);
});

describe('consume | produce copies a topic', () => {
  it('from 3 partitions into an auto-created 1-partition topic: every record (partitions are not kept by default)', async () => {
    await ok(['topics', 'create', 'src3', '--partitions', '3']);
    await ok(['produce', 'src3', '-K', ':'], Array.from({ length: 21 }, (_, i) => `k${i}:v${i}`).join('\n'));
    const dump = (await ok(['consume', 'src3', '--from-beginning', '-e', '--format', 'json'])).stdout;
    expect(lines(dump)).toHaveLength(21);
    await ok(['produce', 'copy1', '--format', 'json'], dump);
    expect((await values('copy1')).sort()).toEqual(Array.from({ length: 21 }, (_, i) => `v${i}`).sort());
    // --keep-partitions checks each record's partition against the target before writing it.
    const kept = await kstream(['produce', 'copy1', '--format', 'json', '--keep-partitions'], { input: dump });
    expect(kept.code).toBe(1);
    expect(kept.stderr).toMatch(/^error: line \d+: partition [12] does not exist in copy1 \(it has 1\); create it with at least [23] partitions/);
    await ok(['topics', 'create', 'copy3', '--partitions', '3']);
    await ok(['produce', 'copy3', '--format', 'json', '--keep-partitions'], dump);
    const a = lines((await ok(['consume', 'src3', '--from-beginning', '-e', '-f', 'json'])).stdout).map((l) => JSON.parse(l)).map((r) => `${r.partition}/${r.offset}/${r.value}`);
    const b = lines((await ok(['consume', 'copy3', '--from-beginning', '-e', '-f', 'json'])).stdout).map((l) => JSON.parse(l)).map((r) => `${r.partition}/${r.offset}/${r.value}`);
    expect(b.sort()).toEqual(a.sort());
  }, 240_000);
});

describe('multi-target commands and bad names', () => {
  it('topics delete a b missing c --yes deletes a, b and c, reports missing, exits 1', async () => {
    for (const t of ['del-a', 'del-b', 'del-c']) await ok(['topics', 'create', t]);
    const r = await kstream(['topics', 'delete', 'del-a', 'del-b', 'del-missing', 'del-c', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: topic "del-missing" does not exist/);
    const left = JSON.parse((await ok(['topics', 'list', '--json'])).stdout).map((t: { name: string }) => t.name);
    for (const t of ['del-a', 'del-b', 'del-c']) expect(left).not.toContain(t);
    expect(r.stderr).toMatch(/deleted topic del-c/);
  }, 240_000);

  it("producing to an invalid topic name fails at once with Kafka's reason", async () => {
    const r = await kstream(['produce', 'bad/name', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: topic "bad/name": INVALID_TOPIC_EXCEPTION (Topic name "bad/name" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-')\n`);
  }, 240_000);
});

describe('errors stay one line with their reason', () => {
  it('flag values, unknown commands, serve errors', async () => {
    const expectations: Array<[string[], RegExp, number?]> = [
      [['consume', 'demo', '-n', 'abc'], /^error: --max-messages: expected an integer but received: abc/, 2],
      [['consume', 'demo', '-n', '0'], /^error: --max-messages: expected an integer greater than or equal to 1 but received: 0/, 2],
      [['produce', 'demo', '-p', '-1'], /^error: --partition: expected an integer greater than or equal to 0 but received: -1/, 2],
      [['topics', 'create', 'x', '--partitions', '0'], /^error: --partitions: expected an integer greater than or equal to 1/, 2],
      [['produc', 'demo', 'x'], /^error: unknown command "produc" — did you mean "produce"\?/, 2],
      [['topics', 'lst'], /^error: unknown command "topics lst" — did you mean "topics list"\?/, 2],
      [['produce', 'demo', '-K', ''], /^error: --key-separator: the separator is empty/],
      [['produce', 'demo', '-K', ':', '--format', 'json'], /^error: --key-separator applies to raw lines/],
      [['consume', 'demo', '-k', '--format', 'json'], /^error: --print-key apply to the raw format/],
    ];
    for (const [args, re, code] of expectations) {
      const r = await kstream(args);
      expect(r.code, args.join(' ')).toBe(code ?? 1);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(lines(r.stderr), `${args.join(' ')}: ${r.stderr}`).toHaveLength(1);
    }
    const serve = await kstream(['serve', '--config-file', '/nonexistent/server.properties'], { noBootstrap: true });
    expect(serve.code).toBe(2);
    expect(serve.stderr).toBe('error: --config-file: cannot read /nonexistent/server.properties: no such file\n');
    const serveFlag = await kstream(['serve', '--bogus'], { noBootstrap: true });
    expect(lines(serveFlag.stderr)).toHaveLength(1);
    expect(serveFlag.stderr).toMatch(/^error: Nonexistent flag: --bogus/);
    expect(serveFlag.code).toBe(2);
  }, 240_000);

  it('help, version, -h, -v and completion work as in every oclif CLI', async () => {
    const help = await kstream(['help'], { noBootstrap: true });
    expect(help.stdout).toMatch(/COMMANDS[\s\S]*produce/);
    const helpProduce = await kstream(['help', 'produce'], { noBootstrap: true });
    expect(helpProduce.stdout).toMatch(/\$ kstream produce TOPIC \[VALUES\.\.\.\]/);
    // Every example is shown as a shell line.
    const examples = helpProduce.stdout.slice(helpProduce.stdout.indexOf('EXAMPLES'));
    for (const l of lines(examples).slice(1)) expect(l.trim()).toMatch(/^\$ /);
    expect((await kstream(['consume', '-h'], { noBootstrap: true })).stdout).toMatch(/--from-beginning/);
    const version = (await kstream(['version'], { noBootstrap: true })).stdout;
    expect(version).toMatch(/^kstream\/\d+\.\d+\.\d+ /);
    expect((await kstream(['-v'], { noBootstrap: true })).stdout).toBe(version);
    expect((await kstream(['--version'], { noBootstrap: true })).stdout).toBe(version);
    const bash = (await kstream(['completion', 'bash'], { noBootstrap: true })).stdout;
    const r = await run('bash', ['-c', `${bash}\nCOMP_WORDS=(kstream topics cr); COMP_CWORD=2; _kstream_complete; echo "\${COMPREPLY[@]}"; COMP_WORDS=(kstream consume demo --from-b); COMP_CWORD=3; _kstream_complete; echo "\${COMPREPLY[@]}"`]);
    expect(r.stdout).toBe('create\n--from-beginning\n');
    expect((await kstream(['completion', 'fish'], { noBootstrap: true })).stdout).toMatch(/complete -c kstream -n '__fish_use_subcommand' -a 'produce'/);
    expect((await kstream(['completion', 'zsh'], { noBootstrap: true })).stdout).toMatch(/^#compdef kstream\n/);
  }, 240_000);
});

describe('groups reset-offsets selectors and sources', () => {
  it("takes Kafka's topic:partitions, --by-duration and --from-file", async () => {
    await ok(['topics', 'create', 'ts', '--partitions', '4']);
    for (let p = 0; p < 4; p++) await ok(['produce', 'ts', '-p', String(p), 'a', 'b', 'c']);
    await ok(['consume', 'ts', '-g', 'rg', '--from-beginning', '-e']);
    const plan = async (args: string[]) => JSON.parse((await ok(['groups', 'reset-offsets', 'rg', ...args, '--json'])).stdout).plan.map((p: { partition: number; target: number }) => `${p.partition}:${p.target}`);
    expect(await plan(['--topic', 'ts:0,2', '--to-earliest'])).toEqual(['0:0', '2:0']);
    expect(await plan(['--topic', 'ts:1-3', '--shift-by', '-1'])).toEqual(['1:2', '2:2', '3:2']);
    expect(await plan(['--topic', 'ts:3', '--by-duration', 'PT1H'])).toEqual(['3:0']);
    const bad = await kstream(['groups', 'reset-offsets', 'rg', '--topic', 'ts:9', '--to-earliest']);
    expect(bad.stderr).toBe('error: partition 9 of topic "ts" does not exist\n');
    const dir = await tempDir('kstream-csv-');
    await writeFile(join(dir, 'offsets.csv'), 'ts,1,1\nts,3,2\n');
    expect(await plan(['--from-file', join(dir, 'offsets.csv')])).toEqual(['1:1', '3:2']);
    await ok(['groups', 'reset-offsets', 'rg', '--from-file', join(dir, 'offsets.csv'), '--execute']);
    expect(lines((await ok(['consume', 'ts', '-g', 'rg', '-e'])).stdout).sort()).toEqual(['b', 'c', 'c']);
  }, 240_000);
});

describe('consume waits for a topic and tells about its group', () => {
  it('tailing a topic that does not exist yet waits (note on stderr) and prints it once created', async () => {
    const child = spawn(nodeBin, [bin, 'consume', 'later', '--from-beginning', '-b', broker.bootstrap], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    try {
      await waitForLine(child.stderr, /^waiting for topic later to be created \(Ctrl-C to stop\)$/, 20_000, exited);
      await ok(['produce', 'later', 'hello']);
      await waitForLine(child.stdout, /^hello$/, 20_000, exited);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 240_000);

  it('--verbose prints the group assignment on stderr', async () => {
    await ok(['topics', 'create', 'verb', '--partitions', '2']);
    await ok(['produce', 'verb', '-p', '1', 'x']);
    const r = await ok(['consume', 'verb', '-g', 'vg', '--from-beginning', '-e', '--verbose']);
    expect(r.stdout).toBe('x\n');
    expect(r.stderr).toMatch(/^assigned: verb \[0, 1\]$/m);
  }, 240_000);
});

describe('missing features kcat users reach for', () => {
  it('several topics, end bounds (--until-offset, -o e@ms), template fields and -D delimiters', async () => {
    await ok(['produce', 'mt-a', 'a0', 'a1', 'a2', 'a3']);
    await ok(['produce', 'mt-b', 'b0', 'b1']);
    expect(lines((await ok(['consume', 'mt-a', 'mt-b', '--from-beginning', '-e'])).stdout).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'b0', 'b1']);
    expect(lines((await ok(['consume', '^mt-', '--from-beginning', '-e'])).stdout).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'b0', 'b1']);
    // No -e: the bound alone ends the command once every partition reached it.
    expect((await ok(['consume', 'mt-a', '--from-beginning', '--until-offset', '2'])).stdout).toBe('a0\na1\n');
    await ok(['produce', 'mt-ts', '--format', 'json'], '{"value":"old","timestamp":1000}\n{"value":"mid","timestamp":2000}\n{"value":"new","timestamp":3000}\n');
    expect((await ok(['consume', 'mt-ts', '-o', 's@1500', '-o', 'e@3000'])).stdout).toBe('mid\n');
    expect((await ok(['consume', 'mt-ts', '--from-beginning', '-e', '-t', '{{timestamp:iso}} {{size}} {{key.size}} {{value}}'])).stdout).toBe(
      '1970-01-01T00:00:01.000Z 3 -1 old\n1970-01-01T00:00:02.000Z 3 -1 mid\n1970-01-01T00:00:03.000Z 3 -1 new\n',
    );
    await ok(['produce', 'mt-nul', '-D', '\\0'], 'one\ntwo lines\0three\0');
    expect((await ok(['consume', 'mt-nul', '--from-beginning', '-e', '-D', '\\0'])).stdout).toBe('one\ntwo lines\0three\0');
    expect((await ok(['consume', 'mt-nul', '--from-beginning', '-e', '-D', ' | '])).stdout).toBe('one\ntwo lines | three | ');
  }, 240_000);
});

describe('topics: several at once and record counts', () => {
  it('describe takes several topics and ^regex; list shows MESSAGES', async () => {
    await ok(['topics', 'create', 'many-1', '--partitions', '2']);
    await ok(['topics', 'create', 'many-2']);
    await ok(['produce', 'many-1', '-p', '1', 'a', 'b', 'c']);
    const both = JSON.parse((await ok(['topics', 'describe', '^many-', '--json'])).stdout);
    expect(both.map((t: { name: string; partitions: unknown[] }) => [t.name, t.partitions.length])).toEqual([['many-1', 2], ['many-2', 1]]);
    const table = (await ok(['topics', 'describe', 'many-2', 'many-1'])).stdout;
    expect(table).toMatch(/Topic: many-2 [\s\S]*Topic: many-1 .*Records: 3/);
    const list = JSON.parse((await ok(['topics', 'list', '--json'])).stdout);
    expect(list.find((t: { name: string }) => t.name === 'many-1').messages).toBe(3);
    expect((await ok(['topics', 'list'])).stdout).toMatch(/^many-1\s+2\s+1\s+3$/m);
  }, 240_000);
});
