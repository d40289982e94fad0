/**
 * `kstream serve` as a real child process: the ready line, clean shutdown on SIGTERM/SIGINT, a clear
 * error for a port in use or a bad setting, and — the one that matters — kill -9 and restart loses
 * nothing that was acknowledged.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, hasKcat, nodeBin, RawClient, repoRoot, run, runKcat, startChildBroker, tempDir } from '../helpers/index.ts';
import { MetadataFacts } from '../../src/protocol/messages/api-facts.ts';

afterAll(closeAll);

const serve = (args: string[]) => run(nodeBin, [join(repoRoot, 'bin/dev'), 'serve', ...args], { timeoutMs: 20_000 });

describe('kstream serve (child process)', () => {
  it('prints the ready line with address and data dir, and how to connect', async () => {
    const c = await startChildBroker();
    expect(c.output()).toMatch(new RegExp(`kstream: listening on 127\\.0\\.0\\.1:${c.port}, data in ${c.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(c.output()).toContain(`kcat -b 127.0.0.1:${c.port} -L`);
    c.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(existsSync(join(c.dataDir, '.kafka_cleanshutdown'))).toBe(true);
  });

  it('SIGINT (Ctrl-C) also shuts down cleanly with exit 0', async () => {
    const c = await startChildBroker();
    c.kill('SIGINT');
    expect(await c.exited).toBe(0);
    expect(c.output()).toMatch(/SIGINT: shutting down/);
  });

  it('a port in use is one clear error and a non-zero exit', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const dir = await tempDir();
      const r = await serve(['--port', String(port), '--data-dir', dir]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
      expect(r.stdout).not.toMatch(/listening on/);
      // The port is bound before storage opens: nothing was written to the data dir.
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('an unknown setting or a bad value is refused, naming it', async () => {
    const dir = await tempDir();
    const unknown = await serve(['--port', '0', '--data-dir', dir, '--config', 'log.retention.hourz=5']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown broker setting "log\.retention\.hourz"/);
    const bad = await serve(['--port', '0', '--data-dir', dir, '--config', 'num.partitions=many']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Invalid value many for configuration num\.partitions: Not a number\s+(› +)?of type INT/);
  });

  it('reads settings from --config-file, flags winning', async () => {
    const dir = await tempDir();
    const file = join(dir, 'server.properties');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, '# test\nnum.partitions=3\nlog.retention.hours = 24\n');
    const c = await startChildBroker({ dataDir: join(dir, 'data'), args: ['--config-file', file, '--config', 'num.partitions=5'] });
    try {
      // Auto-create through Metadata with the project's own codec (no kcat needed).
      const client = await RawClient.connect(c.port);
      try {
        const md = await client.request(MetadataFacts, 4, { topics: [{ name: 'five' }], allowAutoTopicCreation: true });
        expect(md.topics[0].partitions.length).toBe(5);
      } finally {
        client.close();
      }
    } finally {
      c.kill('SIGTERM');
      await c.exited;
    }
  });

  it('runs from a Kafka server.properties: listeners, advertised.listeners, log.dirs, broker.id; cluster-only settings ignored with a warning', async () => {
    const dir = await tempDir();
    const data = join(dir, 'kafka-logs');
    const file = join(dir, 'server.properties');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      file,
      [
        '# A trimmed copy of Kafka\'s config/kraft/server.properties',
        'process.roles=broker,controller',
        'node.id=1',
        'controller.quorum.voters=1@localhost:9093',
        'listeners=PLAINTEXT://127.0.0.1:0',
        'advertised.listeners=PLAINTEXT://kafka.example:19092',
        'num.network.threads=3',
        'socket.send.buffer.bytes=102400',
        `log.dirs=${data}`,
        'num.partitions=2',
        'offsets.topic.replication.factor=1',
        'log.retention.hours=168',
        '',
      ].join('\n'),
    );
    const c = await startChildBroker({ defaultArgs: false, args: ['--config-file', file], dataDir: data });
    try {
      expect(c.output()).toContain(`data in ${data}`);
      expect(c.output()).toMatch(/ignoring Kafka settings that do not apply to a single node: process\.roles, controller\.quorum\.voters, num\.network\.threads, socket\.send\.buffer\.bytes, offsets\.topic\.replication\.factor/);
      const client = await RawClient.connect(c.port);
      try {
        const md = await client.request(MetadataFacts, 4, { topics: [{ name: 'props' }], allowAutoTopicCreation: true });
        expect(md.brokers[0]).toMatchObject({ host: 'kafka.example', port: 19092 });
        expect(md.topics[0].partitions.length).toBe(2);
      } finally {
        client.close();
      }
      expect(existsSync(join(data, 'meta.properties'))).toBe(true);
    } finally {
      c.kill('SIGTERM');
      await c.exited;
    }
  });

  it('refuses an SSL listener without a certificate, naming it', async () => {
    const r = await serve(['--data-dir', await tempDir(), '--config', 'listeners=SSL://127.0.0.1:9093']);
    expect(r.code).not.toBe(0);
    // oclif wraps long error lines: compare with the whitespace folded.
    expect(r.stderr.replace(/[\s›]+/g, ' ')).toMatch(/listener SSL uses TLS but has no certificate/);
  });

  it.skipIf(!hasKcat)(`kill -9 and restart: every acknowledged message is still there${hasKcat ? '' : ' (skipped: kcat is not installed)'}`, async () => {
    const c = await startChildBroker();
    const lines = Array.from({ length: 5000 }, (_, i) => `durable ${i}`);
    // kcat exits 0 only when every message was acknowledged (acks=all is librdkafka's default).
    const p = await runKcat(['-b', c.bootstrap, '-P', '-t', 'crash', '-X', 'acks=all'], { input: lines.join('\n') + '\n' });
    expect(p.code, p.stderr).toBe(0);
    c.kill('SIGKILL');
    expect(await c.exited).toBe('SIGKILL');
    expect(existsSync(join(c.dataDir, '.kafka_cleanshutdown'))).toBe(false);

    const again = await startChildBroker({ dataDir: c.dataDir });
    try {
      const r = await runKcat(['-b', again.bootstrap, '-C', '-t', 'crash', '-e', '-q']);
      expect(r.stdout.trimEnd().split('\n')).toEqual(lines);
      // And the restarted broker keeps appending after the recovered tail.
      await runKcat(['-b', again.bootstrap, '-P', '-t', 'crash'], { input: 'after restart\n' });
      const tail = await runKcat(['-b', again.bootstrap, '-C', '-t', 'crash', '-o', '-1', '-e', '-q', '-f', '%o %s\n']);
      expect(tail.stdout).toBe(`${lines.length} after restart\n`);
    } finally {
      again.kill('SIGTERM');
      await again.exited;
    }
  });
});
