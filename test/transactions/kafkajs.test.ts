import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeAll, hasKcat, runKcat, startTestBroker, type TestBroker } from '../helpers/index.ts';

/**
 * Real transactional clients against the broker: kafkajs's transactional producer (commit, abort,
 * sendOffsets) read back by a read_committed kafkajs consumer and by kcat (librdkafka's default
 * isolation is read_committed).
 */

const silent = { logLevel: logLevel.NOTHING };
const toClose: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(closeAll);

async function drain(kafka: Kafka, topic: string, groupId: string, readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 100 });
  toClose.push(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`consumer saw only ${JSON.stringify(seen)}`)), 30_000);
    void consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length >= expected) {
            clearTimeout(guard);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

describe('transactions with kafkajs and kcat', () => {
  let b: TestBroker;

  it('commit is visible, abort is not (read_committed); read_uncommitted sees both; sendOffsets commits with the transaction', async () => {
    b = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
    const logs = b.broker.context.logs;
    await logs.createTopic('txn-out', { partitions: 1 });
    await logs.createTopic('txn-in', { partitions: 1 });
    const kafka = new Kafka({ clientId: 'txn-test', brokers: [b.bootstrap], ...silent });
    const producer: Producer = kafka.producer({ transactionalId: 'kjs-1', idempotent: true, maxInFlightRequests: 1 });
    toClose.push(() => producer.disconnect());
    await producer.connect();

    const t1 = await producer.transaction();
    await t1.send({ topic: 'txn-out', messages: [{ value: 'a1' }, { value: 'a2' }] });
    await t1.commit();

    const t2 = await producer.transaction();
    await t2.send({ topic: 'txn-out', messages: [{ value: 'b1-aborted' }] });
    await t2.sendOffsets({ consumerGroupId: 'offsets-g', topics: [{ topic: 'txn-in', partitions: [{ partition: 0, offset: '99' }] }] });
    await t2.abort();

    const t3 = await producer.transaction();
    await t3.send({ topic: 'txn-out', messages: [{ value: 'c1' }] });
    await t3.sendOffsets({ consumerGroupId: 'offsets-g', topics: [{ topic: 'txn-in', partitions: [{ partition: 0, offset: '7' }] }] });
    await t3.commit();
    await b.broker.context.transactions!.idle();

    const log = logs.partition('txn-out', 0)!;
    // a1 a2 COMMIT b1 ABORT c1 COMMIT: data and markers all in the log.
    expect(log.logEndOffset).toBe(7);
    expect(log.lastStableOffset).toBe(7);
    expect(log.txnIndex.entries).toEqual([{ producerId: expect.any(BigInt), firstOffset: 3, lastOffset: 4, lastStableOffset: 5 }]);

    expect(await drain(kafka, 'txn-out', 'rc', false, 3)).toEqual(['a1', 'a2', 'c1']);
    expect(await drain(kafka, 'txn-out', 'ru', true, 4)).toEqual(['a1', 'a2', 'b1-aborted', 'c1']);

    const admin = kafka.admin();
    toClose.push(() => admin.disconnect());
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: 'offsets-g', topics: ['txn-in'] });
    expect(committed[0]!.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '7' })]);

    // An open transaction holds the LSO at its first offset: read_committed readers stop there.
    const t4 = await producer.transaction();
    await t4.send({ topic: 'txn-out', messages: [{ value: 'd1-open' }] });
    expect(log.highWatermark).toBe(8);
    expect(log.lastStableOffset).toBe(7);
    const latest = await admin.fetchTopicOffsets('txn-out');
    expect(latest[0]!.high).toBe('7'); // kafkajs asks ListOffsets with read_committed
    if (hasKcat) {
      const r = await runKcat(['-b', b.bootstrap, '-C', '-t', 'txn-out', '-e', '-q', '-f', '%s\n', '-X', 'isolation.level=read_committed']);
      expect(r.stdout.trim().split('\n')).toEqual(['a1', 'a2', 'c1']);
      const u = await runKcat(['-b', b.bootstrap, '-C', '-t', 'txn-out', '-e', '-q', '-f', '%s\n', '-X', 'isolation.level=read_uncommitted']);
      expect(u.stdout.trim().split('\n')).toEqual(['a1', 'a2', 'b1-aborted', 'c1', 'd1-open']);
    }
    await t4.commit();
    // EndTxn answers once PrepareCommit is durable; the markers follow.
    await b.broker.context.transactions!.idle();
    expect(log.lastStableOffset).toBe(log.highWatermark);
    if (hasKcat) {
      const r = await runKcat(['-b', b.bootstrap, '-C', '-t', 'txn-out', '-e', '-q', '-f', '%s\n']);
      expect(r.stdout.trim().split('\n')).toEqual(['a1', 'a2', 'c1', 'd1-open']);
    }
  }, 120_000);

  it('a second producer with the same transactional id fences the first and aborts its open transaction', async () => {
    b = await startTestBroker();
    await b.broker.context.logs.createTopic('fence', { partitions: 1 });
    const kafka = new Kafka({ clientId: 'txn-fence', brokers: [b.bootstrap], ...silent, retry: { retries: 2 } });
    const p1 = kafka.producer({ transactionalId: 'same', idempotent: true, maxInFlightRequests: 1 });
    toClose.push(() => p1.disconnect());
    await p1.connect();
    const t1 = await p1.transaction();
    await t1.send({ topic: 'fence', messages: [{ value: 'zombie' }] });

    const p2 = kafka.producer({ transactionalId: 'same', idempotent: true, maxInFlightRequests: 1 });
    toClose.push(() => p2.disconnect());
    await p2.connect(); // InitProducerId: epoch+1, the zombie's transaction is aborted
    const t2 = await p2.transaction();
    await t2.send({ topic: 'fence', messages: [{ value: 'live' }] });
    await t2.commit();

    await b.broker.context.transactions!.idle();
    await expect(t1.commit()).rejects.toMatchObject({ type: expect.stringMatching(/PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/) });
    const log = b.broker.context.logs.partition('fence', 0)!;
    expect(log.txnIndex.entries.map((e) => e.firstOffset)).toEqual([0]);
    if (hasKcat) {
      const r = await runKcat(['-b', b.bootstrap, '-C', '-t', 'fence', '-e', '-q', '-f', '%s\n']);
      expect(r.stdout.trim().split('\n')).toEqual(['live']);
    }
  }, 120_000);
});
