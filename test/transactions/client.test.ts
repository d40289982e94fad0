import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer, type FetchedBatch } from '../../src/client/consumer.ts';
import { ProducerFencedError, TransactionalProducer, TransactionStateError } from '../../src/client/transactional-producer.ts';
import { closeAll, nodeBin, repoRoot, startChildBroker, startTestBroker, waitForLine, type TestBroker } from '../helpers/index.ts';

/**
 * kstream's own transactional producer and read_committed consumer against a real broker, a producer
 * SIGKILLed mid-transaction (aborted by the coordinator's timeout), and broker restarts with an open
 * or just-committed transaction.
 */

const clusters: Cluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.close().catch(() => undefined);
});
afterAll(closeAll);

function cluster(port: number): Cluster {
  const c = new Cluster({ bootstrap: [{ host: '127.0.0.1', port }], clientId: 'txn-client-test' });
  clusters.push(c);
  return c;
}

async function values(port: number, topic: string, isolationLevel: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const c = new Consumer(cluster(port), { start: { type: 'earliest' }, isolationLevel, maxWaitMs: 100 });
  c.assign([{ topic }]);
  const out: string[] = [];
  await c.run((b: FetchedBatch) => void out.push(...b.records.map((r) => r.value!.toString())), { exitAtEnd: true });
  await c.close();
  return out;
}

describe('TransactionalProducer and isolationLevel', () => {
  let b: TestBroker;

  it('commit, abort and sendOffsetsToTransaction; read_committed skips aborted records; fencing is a typed error', async () => {
    b = await startTestBroker();
    await b.broker.context.logs.createTopic('ours', { partitions: 2 });
    const p = new TransactionalProducer(cluster(b.port), { transactionalId: 'ours-1' });
    expect(() => p.beginTransaction()).toThrow(TransactionStateError);
    await p.initTransactions();
    await p.prepareTopic('ours');
    expect(() => p.send({ topic: 'ours', value: Buffer.from('x') })).toThrow(TransactionStateError);

    p.beginTransaction();
    for (const v of ['c1', 'c2']) p.send({ topic: 'ours', partition: 0, value: Buffer.from(v) });
    p.send({ topic: 'ours', partition: 1, value: Buffer.from('c3') });
    await p.sendOffsetsToTransaction([{ topic: 'ours', partition: 1, offset: 42n }], { groupId: 'eos-group' });
    await p.commitTransaction();

    p.beginTransaction();
    p.send({ topic: 'ours', partition: 0, value: Buffer.from('a1') });
    await p.sendOffsetsToTransaction([{ topic: 'ours', partition: 1, offset: 99n }], { groupId: 'eos-group' });
    await p.abortTransaction();

    p.beginTransaction();
    p.send({ topic: 'ours', partition: 0, value: Buffer.from('c4') });
    await p.commitTransaction();
    await b.broker.context.transactions!.idle();

    expect((await values(b.port, 'ours', 'read_committed')).sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect((await values(b.port, 'ours', 'read_uncommitted')).sort()).toEqual(['a1', 'c1', 'c2', 'c3', 'c4']);
    const admin = new Admin(cluster(b.port));
    const described = await admin.describeGroup('eos-group');
    expect(described.partitions.find((o) => o.topic === "ours" && o.partition === 1)?.committed).toBe(42);

    // A second instance fences the first: its next call fails with ProducerFencedError.
    const p2 = new TransactionalProducer(cluster(b.port), { transactionalId: 'ours-1' });
    await p2.initTransactions();
    expect(p2.producerId).toBe(p.producerId);
    expect(p2.producerEpoch).toBe(p.producerEpoch + 1);
    p.beginTransaction();
    p.send({ topic: 'ours', partition: 0, value: Buffer.from('zombie') });
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError);
    await p.close();
    await p2.close();
  }, 60_000);

  it('a producer SIGKILLed mid-transaction: the coordinator aborts it at its timeout, read_committed never sees it, the LSO moves on', async () => {
    b = await startTestBroker({ config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '100' } });
    const logs = b.broker.context.logs;
    await logs.createTopic('killed', { partitions: 1 });
    const log = logs.partition('killed', 0)!;

    const child = spawn(nodeBin, [join(repoRoot, 'test/transactions/fixtures/hanging-producer.ts'), b.bootstrap, 'killed', 'doomed', '1000', '5'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await waitForLine(child.stdout!, /^SENT$/, 30_000, exited);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(log.highWatermark).toBe(5);
    // Pinned by the open transaction until the coordinator notices the timeout.
    const states = b.broker.context.transactions!.listTransactions().transactionStates;
    expect(states.map((s) => s.transactionalId)).toEqual(['doomed']);

    await b.broker.context.transactions!.idle();
    const deadline = Date.now() + 30_000;
    while (log.lastStableOffset < log.highWatermark || log.highWatermark < 6) {
      if (Date.now() > deadline) throw new Error(`not aborted: LSO ${log.lastStableOffset}, HW ${log.highWatermark}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(log.txnIndex.entries).toEqual([{ producerId: expect.any(BigInt), firstOffset: 0, lastOffset: 5, lastStableOffset: 6 }]);
    expect(b.broker.context.transactions!.describeTransactions(['doomed'])[0]!.transactionState).toMatch(/^(PrepareAbort|CompleteAbort)$/);

    const p = new TransactionalProducer(cluster(b.port), { transactionalId: 'survivor' });
    await p.initTransactions();
    await p.prepareTopic('killed');
    p.beginTransaction();
    p.send({ topic: 'killed', partition: 0, value: Buffer.from('committed') });
    await p.commitTransaction();
    await b.broker.context.transactions!.idle();
    expect(await values(b.port, 'killed', 'read_committed')).toEqual(['committed']);
    expect(await values(b.port, 'killed', 'read_uncommitted')).toHaveLength(6);
    await p.close();
  }, 90_000);

  it('a broker restart keeps an open transaction open (LSO from the producer snapshot) and the producer then commits it', async () => {
    b = await startTestBroker();
    const port = b.port;
    const dataDir = b.dataDir;
    await b.broker.context.logs.createTopic('restart', { partitions: 1 });
    const p = new TransactionalProducer(cluster(port), { transactionalId: 'across-restart', retryBackoffMs: 50 });
    await p.initTransactions();
    await p.prepareTopic('restart');
    p.beginTransaction();
    p.send({ topic: 'restart', partition: 0, value: Buffer.from('r1') });
    await p.flush();
    await b.close();

    b = await startTestBroker({ dataDir, port });
    const log = b.broker.context.logs.partition('restart', 0)!;
    expect(log.highWatermark).toBe(1);
    expect(log.lastStableOffset).toBe(0);
    expect(b.broker.context.transactions!.describeTransactions(['across-restart'])[0]!.transactionState).toBe('Ongoing');
    p.send({ topic: 'restart', partition: 0, value: Buffer.from('r2') });
    await p.commitTransaction();
    await b.broker.context.transactions!.idle();
    expect(log.lastStableOffset).toBe(3);
    expect(await values(port, 'restart', 'read_committed')).toEqual(['r1', 'r2']);
    await p.close();
  }, 60_000);

  it('a broker SIGKILLed right after EndTxn(commit) completes the commit when it starts again', async () => {
    const first = await startChildBroker();
    const dataDir = first.dataDir;
    const c = cluster(first.port);
    const p = new TransactionalProducer(c, { transactionalId: 'crash-commit' });
    await p.initTransactions();
    await p.prepareTopic('crashy');
    p.beginTransaction();
    for (let i = 0; i < 3; i++) p.send({ topic: 'crashy', partition: 0, value: Buffer.from(`v${i}`) });
    await p.commitTransaction(); // PrepareCommit is durable once this returns
    first.kill('SIGKILL');
    await first.exited;
    await p.close();

    const second = await startChildBroker({ dataDir });
    expect(await values(second.port, 'crashy', 'read_committed')).toEqual(['v0', 'v1', 'v2']);
    second.kill('SIGTERM');
    await second.exited;
  }, 90_000);
});
