import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, startChildBroker, tempDir, useCleanupStack } from '../helpers/index.ts';

/**
 * Issue 14: "every group join costs ~3 s". The time was group.initial.rebalance.delay.ms on a group
 * leaving Empty (Kafka's InitialDelayedJoin). Kafka cuts it in its shipped config/server.properties
 * (group.initial.rebalance.delay.ms=0, for development); a bare `kstream serve` does the same, and a
 * properties file governs as in Kafka. Checked through DescribeConfigs, not by timing.
 */

// Registered first, so it runs last (vitest runs after-hooks as a stack): the brokers go after their clients.
afterEach(closeAll);
const { defer } = useCleanupStack();

/** `kstream serve` from the current sources as a child process; resolves with its port. */
async function serve(args: string[]): Promise<number> {
  const child = await startChildBroker({ args: ['--log-level', 'warn', ...args] });
  return child.port;
}

async function initialDelay(port: number): Promise<string | undefined> {
  const admin = new Kafka({ clientId: 'delay-it', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  defer(() => admin.disconnect());
  const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['group.initial.rebalance.delay.ms'] }] });
  return res.resources[0]!.configEntries.find((e) => e.configName === 'group.initial.rebalance.delay.ms')?.configValue;
}

describe('kstream serve and group.initial.rebalance.delay.ms', () => {
  it('is 0 out of the box, as in Kafka\'s shipped server.properties', async () => {
    expect(await initialDelay(await serve([]))).toBe('0');
  });

  it('follows a properties file, and Kafka\'s default 3000 when the file does not set it', async () => {
    const dir = await tempDir('kstream-serve-props-');
    const file = join(dir, 'server.properties');
    await writeFile(file, 'num.partitions=1\n');
    expect(await initialDelay(await serve(['--config-file', file]))).toBe('3000');
  });
});
