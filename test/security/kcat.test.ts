import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, hasKcat, runKcat, startTestBroker, type TestBroker } from '../helpers/index.ts';
import { fourListeners, makePki, type TestPki } from './pki.ts';
import { createScramUser } from './scram-users.ts';

let pki: TestPki;
let b: TestBroker;
const logLines: string[] = [];
const port = (name: string) => b.broker.listeners.find((l) => l.name === name)!.address.port;

describe.skipIf(!hasKcat)(`kcat (librdkafka) against secured listeners${hasKcat ? '' : ' (skipped: kcat is not installed)'}`, () => {
  beforeAll(async () => {
    pki = await makePki();
    const logger = { debug() {}, info() {}, warn: (m: string) => void logLines.push(m), error: (m: string) => void logLines.push(m) };
    b = await startTestBroker({ config: fourListeners(pki), logger });
    expect((await createScramUser(port('PLAINTEXT'), 'bob', 'bob-secret', 'SCRAM-SHA-256')).results[0]!.errorCode).toBe(0);
  }, 60_000);
  afterAll(closeAll);

  const scram = (password: string) => [
    '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=bob', '-X', `sasl.password=${password}`,
    '-X', `ssl.ca.location=${pki.caFile}`,
  ];

  it('SASL_SSL + SCRAM-SHA-256: produce and consume', async () => {
    const bs = `127.0.0.1:${port('SASL_SSL')}`;
    const p = await runKcat(['-b', bs, ...scram('bob-secret'), '-P', '-t', 'kcat-scram'], { input: 'one\ntwo\n' });
    expect(p.code, p.stderr).toBe(0);
    const c = await runKcat(['-b', bs, ...scram('bob-secret'), '-C', '-t', 'kcat-scram', '-e', '-f', '%s\n']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split('\n')).toEqual(['one', 'two']);
  });

  it('SASL_SSL + SCRAM-SHA-256 with the wrong password: an authentication error; one broker log line without the password', async () => {
    logLines.length = 0;
    const r = await runKcat(['-b', `127.0.0.1:${port('SASL_SSL')}`, ...scram('wrong-pw-123'), '-L', '-m', '5']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Authentication failed|SASL authentication error/i);
    const failures = logLines.filter((l) => /failed authentication/.test(l));
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures[0]).toMatch(/listener SASL_SSL with SASL mechanism SCRAM-SHA-256: invalid client credentials for user bob/);
    expect(logLines.join('\n')).not.toContain('wrong-pw-123');
  });

  it('SASL_PLAINTEXT + PLAIN, and SSL with a client certificate', async () => {
    const plain = await runKcat(['-b', `127.0.0.1:${port('SASL_PLAINTEXT')}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret', '-L', '-J']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout).brokers[0].name).toBe(`127.0.0.1:${port('SASL_PLAINTEXT')}`);
    const mtls = await runKcat(['-b', `127.0.0.1:${port('SSL')}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${pki.caFile}`, '-X', `ssl.certificate.location=${pki.clientCertFile}`, '-X', `ssl.key.location=${pki.clientKeyFile}`, '-L', '-J']);
    expect(mtls.code, mtls.stderr).toBe(0);
    expect(JSON.parse(mtls.stdout).brokers[0].name).toBe(`127.0.0.1:${port('SSL')}`);
  });

  it('SASL_PLAINTEXT + SCRAM-SHA-512 and SASL_SSL + PLAIN; a mechanism the broker does not enable is an error and one log line', async () => {
    expect((await createScramUser(port('PLAINTEXT'), 'carol', 'carol-secret', 'SCRAM-SHA-512')).results[0]!.errorCode).toBe(0);
    const s512 = await runKcat(['-b', `127.0.0.1:${port('SASL_PLAINTEXT')}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=carol', '-X', 'sasl.password=carol-secret', '-L', '-J']);
    expect(s512.code, s512.stderr).toBe(0);
    const plainSsl = await runKcat(['-b', `127.0.0.1:${port('SASL_SSL')}`, '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret', '-X', `ssl.ca.location=${pki.caFile}`, '-L', '-J']);
    expect(plainSsl.code, plainSsl.stderr).toBe(0);
    logLines.length = 0;
    const oauth = await runKcat(['-b', `127.0.0.1:${port('SASL_PLAINTEXT')}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=dev', '-L', '-m', '5']);
    expect(oauth.code).not.toBe(0);
    expect(oauth.stderr).toMatch(/Unsupported SASL mechanism|UNSUPPORTED_SASL_MECHANISM|not supported by broker|SASL/i);
    expect(logLines.filter((l) => /unsupported SASL mechanism OAUTHBEARER/.test(l)).length).toBeGreaterThanOrEqual(1);
  });

  it('SSL without a client certificate where one is required: refused in the handshake, logged', async () => {
    logLines.length = 0;
    const r = await runKcat(['-b', `127.0.0.1:${port('SSL')}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${pki.caFile}`, '-L', '-m', '5']);
    expect(r.code).not.toBe(0);
    expect(logLines.some((l) => /TLS handshake with 127\.0\.0\.1:\d+ on listener SSL failed/.test(l))).toBe(true);
  });

  it('a plaintext client on a TLS port: TLS handshake failure logged, broker keeps serving', async () => {
    logLines.length = 0;
    const r = await runKcat(['-b', `127.0.0.1:${port('SASL_SSL')}`, '-L', '-m', '5']);
    expect(r.code).not.toBe(0);
    expect(logLines.some((l) => /TLS handshake with .* on listener SASL_SSL failed/.test(l))).toBe(true);
    const ok = await runKcat(['-b', `127.0.0.1:${port('SASL_SSL')}`, ...scram('bob-secret'), '-L']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
