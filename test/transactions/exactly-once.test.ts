import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer.ts';
import { fetchCommittedOffsets } from '../../src/client/group-offsets.ts';
import { Producer } from '../../src/client/producer.ts';
import { TransactionalProducer } from '../../src/client/transactional-producer.ts';
import { closeAll, startChildBroker, type ChildBroker } from '../helpers/index.ts';

/**
 * Consume-transform-produce with kstream's client (one transaction per fetched input batch: the
 * transformed records plus the consumed offset via sendOffsetsToTransaction), while the broker is
 * SIGKILLed at chosen points: after the sends but before the commit, after sendOffsets, and right after
 * EndTxn answered (markers may be unwritten). After each crash the pipeline restarts from the committed
 * offset with a new producer instance (which fences and aborts what the old one left open). The output
 * read with read_committed must hold every input exactly once.
 *
 * Short by default (3 crashes, 400 records); KSTREAM_TXN_LONG=1 runs the 20 crashes over 10,000.
 */

const LONG = process.env.KSTREAM_TXN_LONG === '1';
const RECORDS = LONG ? 10_000 : 400;
const CRASHES = LONG ? 20 : 3;
const PHASES = ['after-send', 'after-offsets', 'after-commit'] as const;
type Phase = (typeof PHASES)[number];

afterAll(closeAll);

class Crash extends Error {}

describe('exactly-once consume-transform-produce across broker SIGKILLs', () => {
  it(`${RECORDS} records, ${CRASHES} broker crashes: read_committed output holds each input once`, async () => {
    let broker: ChildBroker = await startChildBroker({ args: ['--config', 'group.initial.rebalance.delay.ms=0'] });
    const port = broker.port;
    const dataDir = broker.dataDir;
    const clusters: Cluster[] = [];
    const newCluster = () => {
      const c = new Cluster({ bootstrap: [{ host: '127.0.0.1', port }], clientId: 'eos-test' });
      clusters.push(c);
      return c;
    };

    // Input in small batches so the pipeline runs many transactions.
    const setup = newCluster();
    const input = new Producer(setup, { batchSize: 200, lingerMs: 0 });
    await input.prepareTopic('eos-in');
    await input.prepareTopic('eos-out');
    for (let i = 0; i < RECORDS; i++) input.send({ topic: 'eos-in', partition: 0, value: Buffer.from(`r${i}`) });
    await input.close();

    // Crash points: the n-th transaction of the run, at a phase, spread over the input.
    const every = Math.max(2, Math.floor(RECORDS / 10 / (CRASHES + 2))); // ~10 records per input batch
    const crashes = Array.from({ length: CRASHES }, (_, i) => ({ txn: (i + 1) * every, phase: PHASES[i % PHASES.length]! }));
    let txnCount = 0;
    const maybeCrash = async (phase: Phase) => {
      const next = crashes[0];
      if (!next || next.txn !== txnCount || next.phase !== phase) return;
      crashes.shift();
      broker.kill('SIGKILL');
      await broker.exited;
      broker = await startChildBroker({ dataDir, port, args: ['--config', 'group.initial.rebalance.delay.ms=0'] });
      throw new Crash(`crashed ${phase} of transaction ${txnCount}`);
    };

    let restarts = 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt > CRASHES * 5 + 5) throw new Error('the pipeline never finished');
      const cluster = newCluster();
      try {
        const producer = new TransactionalProducer(cluster, { transactionalId: 'eos-app', transactionTimeoutMs: 30_000 });
        await producer.initTransactions();
        await producer.prepareTopic('eos-out');
        const committed = await fetchCommittedOffsets(cluster, 'eos-group', [{ topic: 'eos-in', partition: 0 }]);
        const from = [...committed.values()][0] ?? -1n;
        const consumer = new Consumer(cluster, { start: { type: 'offset', offset: from >= 0n ? from : 0n }, partitionMaxBytes: 1, maxWaitMs: 100, isolationLevel: 'read_committed' });
        consumer.assign([{ topic: 'eos-in', partitions: [0] }]);
        await consumer.run(
          async (batch) => {
            txnCount++;
            producer.beginTransaction();
            for (const r of batch.records) producer.send({ topic: 'eos-out', partition: 0, value: Buffer.from(`out-${r.value!.toString()}`) });
            await producer.flush();
            await maybeCrash('after-send');
            await producer.sendOffsetsToTransaction([{ topic: 'eos-in', partition: 0, offset: BigInt(batch.nextOffset) }], { groupId: 'eos-group' });
            await maybeCrash('after-offsets');
            await producer.commitTransaction();
            await maybeCrash('after-commit');
          },
          { exitAtEnd: true },
        );
        await consumer.close();
        await producer.close();
        break;
      } catch (e) {
        if (!(e instanceof Crash)) throw e;
        restarts++;
      } finally {
        await cluster.close().catch(() => undefined);
      }
    }
    expect(crashes).toEqual([]); // every planned crash happened
    expect(restarts).toBe(CRASHES);

    const reader = newCluster();
    const out: string[] = [];
    const consumer = new Consumer(reader, { start: { type: 'earliest' }, isolationLevel: 'read_committed' });
    consumer.assign([{ topic: 'eos-out' }]);
    await consumer.run((b) => void out.push(...b.records.map((r) => r.value!.toString())), { exitAtEnd: true });
    await consumer.close();
    const expected = Array.from({ length: RECORDS }, (_, i) => `out-r${i}`);
    expect(out.length).toBe(RECORDS);
    expect(out).toEqual(expected); // one partition, in order, each once
    for (const c of clusters) await c.close().catch(() => undefined);
    broker.kill('SIGTERM');
    await broker.exited;
  }, LONG ? 1_800_000 : 300_000);
});
