import { Kafka, logLevel, type Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../src/broker/broker.ts';
import { useCleanupStack } from '../helpers/index.ts';
import { startGroupBroker } from './helpers.ts';

/**
 * Issue 13.4: deleting a topic removes its committed offsets from every group, durably (tombstones
 * in __consumer_offsets, as Kafka's GroupMetadataManager.cleanupGroupMetadata does on deletion), so
 * a re-created topic of the same name does not inherit stale positions. Driven with kafkajs' admin.
 */

const { defer, tempDir } = useCleanupStack();

async function connectAdmin(broker: RunningBroker): Promise<Admin> {
  const kafka = new Kafka({ clientId: 'topic-deletion-it', brokers: [`127.0.0.1:${broker.address.port}`], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  defer(() => admin.disconnect());
  return admin;
}

const committed = async (admin: Admin, groupId: string, topic: string): Promise<[number, string][]> => {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  return res[0]!.partitions.map((p) => [p.partition, p.offset] as [number, string]).sort((a, b) => a[0] - b[0]);
};

describe('deleting a topic deletes its committed offsets', () => {
  it('from every group, so a re-created topic starts clean; still so after a restart; other topics keep theirs', async () => {
    const dir = await tempDir('kstream-topic-deletion-');
    let broker = await startGroupBroker(dir);
    defer(() => broker.close());
    let admin = await connectAdmin(broker);

    await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 2 }, { topic: 'kept', numPartitions: 1 }] });
    await admin.setOffsets({ groupId: 'only-doomed', topic: 'doomed', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '7' }] });
    await admin.setOffsets({ groupId: 'both', topic: 'doomed', partitions: [{ partition: 0, offset: '3' }] });
    await admin.setOffsets({ groupId: 'both', topic: 'kept', partitions: [{ partition: 0, offset: '9' }] });
    expect(await committed(admin, 'only-doomed', 'doomed')).toEqual([[0, '5'], [1, '7']]);

    await admin.deleteTopics({ topics: ['doomed'] });
    await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 2 }] });

    expect(await committed(admin, 'only-doomed', 'doomed')).toEqual([[0, '-1'], [1, '-1']]);
    expect(await committed(admin, 'both', 'doomed')).toEqual([[0, '-1'], [1, '-1']]);
    expect(await committed(admin, 'both', 'kept')).toEqual([[0, '9']]);
    // A group left with nothing is gone (Kafka: Empty without offsets → Dead); the other stays.
    let groups = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
    expect(groups).toEqual(['both']);

    // Durable: the tombstones are in __consumer_offsets, so a restart does not bring the offsets back.
    await admin.disconnect();
    await broker.close();
    broker = await startGroupBroker(dir);
    admin = await connectAdmin(broker);
    expect(await committed(admin, 'only-doomed', 'doomed')).toEqual([[0, '-1'], [1, '-1']]);
    expect(await committed(admin, 'both', 'doomed')).toEqual([[0, '-1'], [1, '-1']]);
    expect(await committed(admin, 'both', 'kept')).toEqual([[0, '9']]);
    groups = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
    expect(groups).toEqual(['both']);
  });
});
