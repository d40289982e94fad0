import { spawn, spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../src/broker/broker.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { RawClient, useCleanupStack, waitFor } from '../helpers/index.ts';
import { startGroupBroker } from './helpers.ts';
import { InitProducerIdFacts, ProduceFacts } from '../../src/protocol/messages/api-facts.ts';

/**
 * The idempotent producer end to end: kafkajs with `idempotent: true`, and forged Produce requests
 * that resend the same batch (what a client does after a lost response), skip sequences, or use a
 * fenced epoch.
 */

const { defer, tempDir } = useCleanupStack();

describe('idempotent producer', () => {
  it('kafkajs idempotent producer writes each message once', async () => {
    const broker = await startGroupBroker(await tempDir('kstream-idem-it-'));
    defer(() => broker.close());
    const topic = 'idem-kafkajs';
    await broker.context.logs.createTopic(topic, { partitions: 2 });
    const kafka = new Kafka({ clientId: 'idem', brokers: [`127.0.0.1:${broker.address.port}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    defer(() => producer.disconnect());
    await producer.connect();
    for (let round = 0; round < 5; round++) {
      const res = await producer.send({ topic, acks: -1, messages: Array.from({ length: 4 }, (_, i) => ({ value: `r${round}-${i}`, partition: i % 2 })) });
      expect(res.every((r) => r.errorCode === 0)).toBe(true);
    }
    expect(broker.context.logs.partition(topic, 0)!.logEndOffset + broker.context.logs.partition(topic, 1)!.logEndOffset).toBe(20);
    const consumer = kafka.consumer({ groupId: 'idem-check', maxWaitTimeInMs: 100 });
    defer(() => consumer.disconnect());
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor('20 messages', () => seen.length >= 20);
    expect(new Set(seen).size).toBe(20);
  }, 60_000);

  it('a resent batch is acknowledged with its original offset and not written again; gaps give 45, fenced epochs 47; state survives a restart', async () => {
    const dir = await tempDir('kstream-idem-it-');
    let broker: RunningBroker = await startGroupBroker(dir);
    defer(() => broker.close());
    const topic = 'idem-raw';
    await broker.context.logs.createTopic(topic, { partitions: 1 });
    let client = await RawClient.connect(broker.address.port);
    defer(() => client.close());

    const init = await client.request(InitProducerIdFacts, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
    expect(init.errorCode).toBe(0);
    expect(init.producerEpoch).toBe(0);
    const pid: bigint = init.producerId;

    const batch = (epoch: number, baseSequence: number, n: number) =>
      encodeRecordBatch({ producerId: pid, producerEpoch: epoch, baseSequence, records: Array.from({ length: n }, (_, i) => ({ value: `e${epoch}s${baseSequence + i}` })) });
    const produce = async (records: Buffer) => {
      const r = await client.request(ProduceFacts, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      const p = r.responses[0].partitionResponses[0];
      return { errorCode: p.errorCode as number, baseOffset: Number(p.baseOffset) };
    };
    const logEnd = () => broker.context.logs.partition(topic, 0)!.logEndOffset as number;

    const first = batch(0, 0, 3);
    expect(await produce(first)).toEqual({ errorCode: 0, baseOffset: 0 });
    // The same batch again, as after a lost response: success, original offset, nothing appended.
    expect(await produce(first)).toEqual({ errorCode: 0, baseOffset: 0 });
    expect(logEnd()).toBe(3);
    expect(await produce(batch(0, 3, 2))).toEqual({ errorCode: 0, baseOffset: 3 });
    expect(await produce(first)).toEqual({ errorCode: 0, baseOffset: 0 });
    expect(logEnd()).toBe(5);

    expect((await produce(batch(0, 9, 1))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(logEnd()).toBe(5);

    // KIP-360 epoch bump; the new epoch starts at sequence 0 and fences the old one.
    const bumped = await client.request(InitProducerIdFacts, 3, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: pid, producerEpoch: 0 });
    expect(bumped).toMatchObject({ errorCode: 0, producerId: pid, producerEpoch: 1 });
    expect((await produce(batch(1, 4, 1))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produce(batch(1, 0, 2))).toEqual({ errorCode: 0, baseOffset: 5 });
    expect((await produce(batch(0, 5, 1))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(logEnd()).toBe(7);

    // A transactional id goes to the transaction coordinator: a fresh producer id, never this one.
    const tx = await client.request(InitProducerIdFacts, 1, { transactionalId: 'tx', transactionTimeoutMs: 60_000 });
    expect(tx.errorCode).toBe(ErrorCode.NONE);
    expect(tx.producerId).not.toBe(pid);

    // Restart: the producer state comes back from the log, and ids are never handed out twice.
    client.close();
    await broker.close();
    broker = await startGroupBroker(dir);
    defer(() => broker.close());
    client = await RawClient.connect(broker.address.port);
    defer(() => client.close());
    expect(await produce(batch(1, 0, 2))).toEqual({ errorCode: 0, baseOffset: 5 });
    expect(await produce(batch(1, 2, 1))).toEqual({ errorCode: 0, baseOffset: 7 });
    expect((await produce(batch(0, 3, 1))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const again = await client.request(InitProducerIdFacts, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
    expect(again.producerId).toBeGreaterThan(pid);
  }, 60_000);

  it.skipIf(spawnSync('kcat', ['-V']).status !== 0)('librdkafka (kcat) with enable.idempotence=true writes every message once', async () => {
    const broker = await startGroupBroker(await tempDir('kstream-idem-it-'));
    defer(() => broker.close());
    await broker.context.logs.createTopic('idem-kcat', { partitions: 1 });
    const kcat = spawn('kcat', ['-b', `127.0.0.1:${broker.address.port}`, '-P', '-t', 'idem-kcat', '-p', '0', '-X', 'enable.idempotence=true'], { stdio: ['pipe', 'ignore', 'pipe'] });
    defer(() => kcat.kill('SIGKILL'));
    let stderr = '';
    kcat.stderr!.on('data', (d) => (stderr += d));
    kcat.stdin!.end(Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const code = await new Promise<number | null>((resolve) => kcat.once('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(0);
    expect(broker.context.logs.partition('idem-kcat', 0)!.logEndOffset).toBe(1000);
  }, 60_000);
});
