/**
 * kcat (Debian's, on librdkafka 2.0.2) against an in-process broker: metadata, produce/consume round
 * trips with keys and headers, and every compression codec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as H from '../../src/protocol/records/batch-header.ts';
import { closeAll, hasKcat, runKcat, startTestBroker, type TestBroker } from '../helpers/index.ts';

let b: TestBroker;

beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(closeAll);

/** Compression codec of every stored batch of a partition. */
async function storedCodecs(topic: string, partition = 0): Promise<number[]> {
  const log = b.broker.context.logs.partition(topic, partition)!;
  const codecs: number[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { records } = await log.read(offset, 1 << 20);
    let pos = 0;
    while (pos + H.RECORDS_START <= records.length) {
      codecs.push(H.compression(records, pos));
      offset = H.lastOffset(records, pos) + 1;
      pos += H.batchSize(records, pos);
    }
  }
  return codecs;
}

describe.skipIf(!hasKcat)(`kcat${hasKcat ? '' : ' (skipped: kcat is not installed — Debian package kcat)'}`, () => {
  it('-L shows this broker as controller and the topics', async () => {
    await runKcat(['-b', b.bootstrap, '-P', '-t', 'kcat-meta'], { input: 'x\n' });
    const r = await runKcat(['-b', b.bootstrap, '-L']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`broker 1 at ${b.bootstrap} (controller)`);
    expect(r.stdout).toMatch(/topic "kcat-meta" with 1 partitions/);
  });

  it('-P then -C -e round-trips lines in order', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `message ${i}`);
    const p = await runKcat(['-b', b.bootstrap, '-P', '-t', 'kcat-lines'], { input: lines.join('\n') + '\n' });
    expect(p.code).toBe(0);
    const c = await runKcat(['-b', b.bootstrap, '-C', '-t', 'kcat-lines', '-e', '-q']);
    expect(c.code).toBe(0);
    expect(c.stdout.trimEnd().split('\n')).toEqual(lines);
  });

  it('keys (-K:) and headers (-H) survive the round trip', async () => {
    const p = await runKcat(['-b', b.bootstrap, '-P', '-t', 'kcat-keys', '-K:', '-H', 'h1=v1', '-H', 'h2=v2'], { input: 'k1:v1\nk2:v2\n' });
    expect(p.code).toBe(0);
    const c = await runKcat(['-b', b.bootstrap, '-C', '-t', 'kcat-keys', '-e', '-q', '-f', '%k|%s|%h|%o\n']);
    expect(c.stdout.trimEnd().split('\n')).toEqual(['k1|v1|h1=v1,h2=v2|0', 'k2|v2|h1=v1,h2=v2|1']);
  });

  for (const [codec, id] of [['gzip', 1], ['snappy', 2], ['lz4', 3], ['zstd', 4]] as const) {
    it(`-X compression.codec=${codec}: stored compressed, consumed intact`, async () => {
      const topic = `kcat-${codec}`;
      const lines = Array.from({ length: 500 }, (_, i) => `${codec} line ${i} ${'abc'.repeat(i % 20)}`);
      const p = await runKcat(['-b', b.bootstrap, '-P', '-t', topic, '-X', `compression.codec=${codec}`], { input: lines.join('\n') + '\n' });
      expect(p.code, p.stderr).toBe(0);
      const codecs = await storedCodecs(topic);
      // librdkafka sends a batch uncompressed when compressing would not shrink it (a small tail batch).
      expect(codecs).toContain(id);
      expect(codecs.every((c) => c === id || c === 0)).toBe(true);
      const c = await runKcat(['-b', b.bootstrap, '-C', '-t', topic, '-e', '-q']);
      expect(c.stdout.trimEnd().split('\n')).toEqual(lines);
    });
  }

  it('consumes from an offset (-o) and from the end of a multi-partition topic', async () => {
    await runKcat(['-b', b.bootstrap, '-P', '-t', 'kcat-offset', '-p', '0'], { input: 'a\nb\nc\nd\n' });
    const c = await runKcat(['-b', b.bootstrap, '-C', '-t', 'kcat-offset', '-p', '0', '-o', '2', '-e', '-q']);
    expect(c.stdout).toBe('c\nd\n');
    const last = await runKcat(['-b', b.bootstrap, '-C', '-t', 'kcat-offset', '-p', '0', '-o', '-1', '-e', '-q']);
    expect(last.stdout).toBe('d\n');
  });

  it('a client configured for SASL gets an error naming SASL, not a bare disconnect', async () => {
    const r = await runKcat(['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=u', '-X', 'sasl.password=p', '-b', b.bootstrap, '-L'], { timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SASL PLAIN mechanism handshake failed: Broker: Request not valid in current SASL state/);
  });

  it('idempotent producer (enable.idempotence=true) gets a producer id and writes every message once', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `idem ${i}`);
    const p = await runKcat(['-b', b.bootstrap, '-P', '-t', 'kcat-idem', '-X', 'enable.idempotence=true'], { input: lines.join('\n') + '\n' });
    expect(p.code, p.stderr).toBe(0);
    const c = await runKcat(['-b', b.bootstrap, '-C', '-t', 'kcat-idem', '-e', '-q']);
    expect(c.stdout.trimEnd().split('\n')).toEqual(lines);
  });
});
