import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { killAndWait } from './broker-helpers.ts';

/**
 * Issue 14: "every group join costs ~3 s". The time was group.initial.rebalance.delay.ms on a group
 * leaving Empty (Kafka's InitialDelayedJoin). Kafka cuts it in its shipped config/server.properties
 * (group.initial.rebalance.delay.ms=0, for development); a bare `kstream serve` does the same, and a
 * properties file governs as in Kafka. Checked through DescribeConfigs, not by timing.
 */

const BIN_DEV = fileURLToPath(new URL('../../bin/dev', import.meta.url));
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch {
      // best effort
    }
  }
});

async function serve(args: string[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'kstream-serve-delay-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const child: ChildProcess = spawn(process.execPath, [BIN_DEV, 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => killAndWait(child, 'SIGTERM'));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`kstream serve exited with ${code}: ${err}`)));
  });
}

async function initialDelay(port: number): Promise<string | undefined> {
  const admin = new Kafka({ clientId: 'delay-it', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['group.initial.rebalance.delay.ms'] }] });
  return res.resources[0]!.configEntries.find((e) => e.configName === 'group.initial.rebalance.delay.ms')?.configValue;
}

describe('kstream serve and group.initial.rebalance.delay.ms', () => {
  it('is 0 out of the box, as in Kafka\'s shipped server.properties', async () => {
    expect(await initialDelay(await serve([]))).toBe('0');
  });

  it('follows a properties file, and Kafka\'s default 3000 when the file does not set it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kstream-serve-props-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'server.properties');
    await writeFile(file, 'num.partitions=1\n');
    expect(await initialDelay(await serve(['--config-file', file]))).toBe('3000');
  });
});
