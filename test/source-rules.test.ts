import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_ERRORS, ErrorCode } from '../src/protocol/error-codes.ts';

/**
 * Rules of the source tree that no compiler checks (issue 12): hand-written files stay small enough
 * to read, and Kafka's error codes and API keys are written down once (src/protocol/error-codes.ts
 * and the generated descriptors), never as bare numbers elsewhere. Reads files only; no broker.
 */

const ROOT = join(import.meta.dirname, '..');
const MAX_LINES = 600;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(full));
    else if (e.isFile() && e.name.endsWith('.ts')) out.push(full);
  }
  return out.sort();
}

/** Generated files say so in their header (the `@generated` tag); a mention further down does not count. */
function isGenerated(text: string): boolean {
  return /@generated\b/.test(text.slice(0, 1500));
}

function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** `path (N lines)` for each hand-written file over the limit. */
function oversizedFiles(files: readonly { path: string; text: string }[], max = MAX_LINES): string[] {
  return files.filter((f) => !isGenerated(f.text) && lineCount(f.text) > max).map((f) => `${f.path} (${lineCount(f.text)} lines)`);
}

/**
 * Kafka fields set or compared to a bare number: `errorCode: 15`, `errorCode === 3`,
 * `topicConfigErrorCode: 0`, `apiKey: 0`, `apiKey === 18` (and the number first). The camelCase
 * field names are the generated messages' (Kafka's fields); Connect's REST bodies use `error_code`
 * for HTTP statuses, which are not Kafka codes and so are not matched.
 */
const KAFKA_FIELD = String.raw`\b(?:[A-Za-z]*ErrorCode|errorCode|apiKey)\b`;
const NUMBER = String.raw`-?\d+\b`;
const FIELD_NUMBER = new RegExp(
  String.raw`${KAFKA_FIELD}\??\s*(?::|===|!==|==|!=|=(?![=>]))\s*${NUMBER}|(?<![\w.])${NUMBER}\s*(?:===|!==|==|!=)\s*[\w.]*${KAFKA_FIELD}`,
);
/** A second table of error codes: a Kafka error name given a number (`CORRUPT_MESSAGE: 2`). */
const ERROR_NAME_NUMBER = new RegExp(String.raw`\b(?:${Object.keys(ErrorCode).join('|')})\b\s*[:=]\s*${NUMBER}`);

/** `path:line: text` for each line of a hand-written file that writes a Kafka code or key as a number. */
function handWrittenKafkaNumbers(files: readonly { path: string; text: string }[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    if (isGenerated(f.text)) continue;
    f.text.split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      if (FIELD_NUMBER.test(code) || ERROR_NAME_NUMBER.test(code)) out.push(`${f.path}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

/**
 * The same rule for tests, which write far more codes than src/ does. A test names what it sends and
 * expects — `c.request(MetadataFacts, 9, …)`, `apisByName.Fetch`, `{ apiKey: ApiVersionsFacts.key }`,
 * `ErrorCode.UNKNOWN_TOPIC_OR_PARTITION` — except success, which stays 0 (NONE) in hundreds of
 * expectations where a name would add nothing. A number stays only where it is the point (golden
 * bytes, an unknown key sent on purpose); a comment on that line or the line above says so with
 * "number on purpose". Negative numbers Kafka does not define (a test's own -2 sentinel) are not codes.
 */
const TEST_API_KEY = /\.request\(\s*\d+\s*,|\bapis\[\s*\d+\s*\]|\bapiKey\b\??\s*(?::|===|!==|==|!=)\s*\d+\b|\bapiKey\)\.(?:not\.)?toBe\(\s*\d+\s*\)/;
const TEST_ERROR_NUMBER = new RegExp(
  String.raw`\b(?:[A-Za-z]*ErrorCode|errorCode)\b(?:\??\s*(?::|===|!==|==|!=)\s*|\)*(?:,[^)]*)?\)\.(?:not\.)?toBe\(\s*)(-?\d+)\b`,
  'g',
);
const KAFKA_CODES = new Set(ALL_ERRORS.map((e) => e.code));
const ON_PURPOSE = /\/\/.*\bnumber on purpose\b/;

/** `path:line: text` for each line of a test that writes a Kafka API key or a non-zero error code as a number. */
function handWrittenKafkaNumbersInTests(files: readonly { path: string; text: string }[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const lines = f.text.split('\n');
    lines.forEach((line, i) => {
      if (ON_PURPOSE.test(line) || (i > 0 && ON_PURPOSE.test(lines[i - 1]!))) return;
      const code = line.replace(/\/\/.*$/, '');
      const errorNumber = [...code.matchAll(TEST_ERROR_NUMBER)].some((m) => Number(m[1]) !== 0 && KAFKA_CODES.has(Number(m[1])));
      if (TEST_API_KEY.test(code) || errorNumber || ERROR_NAME_NUMBER.test(code)) out.push(`${f.path}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

function read(dirs: string[]): { path: string; text: string }[] {
  return dirs.flatMap((d) => tsFiles(join(ROOT, d))).map((p) => ({ path: relative(ROOT, p), text: readFileSync(p, 'utf8') }));
}

describe('source rules', () => {
  it(`no hand-written .ts file under src/ has more than ${MAX_LINES} lines`, () => {
    const offenders = oversizedFiles(read(['src']));
    expect(offenders, `split these along their concepts:\n${offenders.join('\n')}`).toEqual([]);
  });

  it('no hand-written Kafka error-code or API-key numbers in src/ and commands/', () => {
    const offenders = handWrittenKafkaNumbers(read(['src', 'commands']));
    expect(offenders, `use ErrorCode.<NAME> (src/protocol/error-codes.ts) or an API descriptor's key:\n${offenders.join('\n')}`).toEqual([]);
  });

  it('no hand-written Kafka API-key or error-code numbers in test/ (0 for success and commented exceptions aside)', () => {
    // This file's own examples below are the rule's fixtures, not tests of the broker.
    const offenders = handWrittenKafkaNumbersInTests(read(['test']).filter((f) => f.path !== join('test', 'source-rules.test.ts')));
    expect(offenders, `name them: <Api>Facts / apisByName.<Api> (src/protocol/messages) and ErrorCode.<NAME>, or say "number on purpose" in a comment:\n${offenders.join('\n')}`).toEqual([]);
  });

  // The rules above pass on a clean tree; these show they would catch what they are for.
  it('the line rule flags a long hand-written file and passes a generated one', () => {
    const long = 'const x = 1;\n'.repeat(MAX_LINES + 1);
    expect(oversizedFiles([{ path: 'src/a.ts', text: long }])).toEqual([`src/a.ts (${MAX_LINES + 1} lines)`]);
    expect(oversizedFiles([{ path: 'src/b.ts', text: 'x\n'.repeat(MAX_LINES) }])).toEqual([]);
    expect(oversizedFiles([{ path: 'src/c.ts', text: `// @generated by a script\n${long}` }])).toEqual([]);
    expect(oversizedFiles([{ path: 'src/d.ts', text: `${long}// not @generated, only mentioned\n` }])).toHaveLength(1);
  });

  it('the number rule flags Kafka fields and error names, not HTTP statuses or ErrorCode names', () => {
    const flagged = [
      'return { errorCode: 15 };',
      'if (res.errorCode === 3) retry();',
      'if (p.errorCode !== 0) fail();',
      'const r = { topicConfigErrorCode: 0 };',
      'if (header.apiKey === 18) versions();',
      'send({ apiKey: 0, apiVersion: 9 });',
      'let errorCode = 16;',
      'if (27 === r.errorCode) rejoin();',
      '  CORRUPT_MESSAGE: 2,',
    ];
    for (const line of flagged) expect(handWrittenKafkaNumbers([{ path: 'src/x.ts', text: line }]), line).toHaveLength(1);
    const clean = [
      'return { errorCode: ErrorCode.NOT_COORDINATOR };',
      'if (res.errorCode === ErrorCode.NONE) ok();',
      'reply(res, 404, { error_code: 404, message });',
      'const byKey = new Map<number, Api>(); byKey.get(api.key);',
      'errorCode?: number;',
      'const ok = (errorCode: number) => errorCode === ErrorCode.NONE;',
      '// errorCode: 15 in a comment explains, it does not decide',
    ];
    for (const line of clean) expect(handWrittenKafkaNumbers([{ path: 'src/x.ts', text: line }]), line).toEqual([]);
    expect(handWrittenKafkaNumbers([{ path: 'src/gen.ts', text: '// @generated\nreturn { errorCode: 0 };' }])).toEqual([]);
  });

  it('the test rule flags API keys and non-zero Kafka codes, not names, success, sentinels or commented exceptions', () => {
    const flagged = [
      'const r = await c.request(60, 0, { includeClusterAuthorizedOperations: false });',
      'encodeRequestFrame(apis[18]!, 3, 1, null, {});',
      "frame('x', (f) => f.apiKey === 22);",
      'apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }]',
      'expect(r.topics[0].errorCode).toBe(3);',
      'expect(r.errorCode).toBe(-1);',
      'expect(p.errorCode).not.toBe(56);',
      "expect(r.topics[0].errorCode, 'why').toBe(37);",
      'await expect(m.deleteTopic(x)).rejects.toMatchObject({ errorCode: 3 });',
      'if (p.partitionErrorCode === 6) retry();',
    ];
    for (const line of flagged) expect(handWrittenKafkaNumbersInTests([{ path: 'test/x.test.ts', text: line }]), line).toHaveLength(1);
    const clean = [
      'const r = await c.request(DescribeClusterFacts, 0, {});',
      'const r = await c.request(Number(key), v, body);',
      'expect(r.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);',
      'expect(r.errorCode).toBe(0);',
      'expect(r).toMatchObject({ errorCode: 0, offset: 4n });',
      ".catch(() => ({ errorCode: -2, offset: -1 }))",
      'apiKeys: [{ apiKey: ApiVersionsFacts.key, minVersion: 0, maxVersion: 4 }]',
      'expect(e.apiKey).toBe(999); // number on purpose: no API has this key',
    ];
    for (const line of clean) expect(handWrittenKafkaNumbersInTests([{ path: 'test/x.test.ts', text: line }]), line).toEqual([]);
    const commentedAbove = '// number on purpose: the golden bytes below spell key 18\nencodeRequestHeader(w, { apiKey: 18, apiVersion: 3 }, 2);';
    expect(handWrittenKafkaNumbersInTests([{ path: 'test/x.test.ts', text: commentedAbove }])).toEqual([]);
    expect(handWrittenKafkaNumbersInTests([{ path: 'test/x.test.ts', text: `// golden bytes\n${commentedAbove.split('\n')[1]}` }])).toHaveLength(1);
  });
});
