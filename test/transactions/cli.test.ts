import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { RawClient, closeAll, nodeBin, repoRoot, run, startTestBroker, type RunResult, type TestBroker } from '../helpers/index.ts';
import { InitProducerIdFacts, ProduceFacts } from '../../src/protocol/messages/api-facts.ts';

/**
 * The CLI side of transactions: `produce --transactional-id [--transaction-size]`, Ctrl-C aborting the
 * open transaction, `consume --isolation-level`, and `transactions list|describe|describe-producers`.
 */

vi.setConfig({ testTimeout: 240_000 });
const bin = join(repoRoot, 'bin/dev');
let broker: TestBroker;

function kstream(args: string[], opts: { input?: string } = {}): Promise<RunResult> {
  return run(nodeBin, [bin, ...args, '-b', broker.bootstrap], { ...opts, timeoutMs: 60_000, env: { ...process.env, NO_COLOR: '1', KSTREAM_BOOTSTRAP_SERVER: '' } });
}

beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(closeAll);

describe('kstream transactional produce / isolation-level consume / transactions', () => {
  it('--transaction-size commits every N records; list, describe and describe-producers show them', async () => {
    await broker.broker.context.logs.createTopic('cli-txn', { partitions: 1 });
    const p = await kstream(['produce', 'cli-txn', '--transactional-id', 'cli-1', '--transaction-size', '2'], { input: 'a\nb\nc\nd\ne\n' });
    expect(p.code, p.stderr).toBe(0);
    await broker.broker.context.transactions!.idle();
    const log = broker.broker.context.logs.partition('cli-txn', 0)!;
    // Three transactions (2 + 2 + 1 records), each followed by its COMMIT marker.
    expect(log.logEndOffset).toBe(8);
    const c = await kstream(['consume', 'cli-txn', '--from-beginning', '-e']);
    expect(c.stdout.trim().split('\n')).toEqual(['a', 'b', 'c', 'd', 'e']);

    const list = await kstream(['transactions', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([{ transactionalId: 'cli-1', producerId: expect.any(Number), state: 'CompleteCommit' }]);
    const d = await kstream(['transactions', 'describe', 'cli-1', '--json']);
    expect(JSON.parse(d.stdout)).toMatchObject({ transactionalId: 'cli-1', state: 'CompleteCommit', partitions: [] });
    const unknown = await kstream(['transactions', 'describe', 'nope']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/TRANSACTIONAL_ID_NOT_FOUND/);
    const dp = await kstream(['transactions', 'describe-producers', 'cli-txn', '--json']);
    expect(JSON.parse(dp.stdout)).toEqual([expect.objectContaining({ partition: 0, producerEpoch: 0, currentTxnStartOffset: -1 })]);
  });

  it('Ctrl-C aborts the open transaction and says so; read_committed hides it, read_uncommitted shows it', async () => {
    await broker.broker.context.logs.createTopic('cli-abort', { partitions: 1 });
    const child = spawn(nodeBin, [bin, 'produce', 'cli-abort', '--transactional-id', 'cli-2', '-b', broker.bootstrap], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', KSTREAM_BOOTSTRAP_SERVER: '' },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | string>((r) => child.once('exit', (code, sig) => r(code ?? sig ?? -1)));
    child.stdin!.write('x1\nx2\n');
    const log = broker.broker.context.logs.partition('cli-abort', 0)!;
    // The records are sent once the producer lingers; wait until they are in the log (uncommitted).
    const deadline = Date.now() + 60_000;
    while (log.highWatermark < 2) {
      if (Date.now() > deadline) throw new Error(`records never arrived; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(log.lastStableOffset).toBe(0);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/aborted the open transaction of cli-2 \(2 records not committed\)/);
    await broker.broker.context.transactions!.idle();
    expect(log.lastStableOffset).toBe(3);
    const committed = await kstream(['consume', 'cli-abort', '--from-beginning', '-e']);
    expect(committed.stdout).toBe('');
    const all = await kstream(['consume', 'cli-abort', '--from-beginning', '-e', '--isolation-level', 'read_uncommitted']);
    expect(all.stdout.trim().split('\n')).toEqual(['x1', 'x2']);
  });

  it('transactions abort ends a hanging transaction (data the coordinator never heard of) so the LSO moves', async () => {
    await broker.broker.context.logs.createTopic('hanging', { partitions: 1 });
    const raw = await RawClient.connect(broker.port);
    const init = await raw.request(InitProducerIdFacts, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const records = encodeRecordBatch({ transactional: true, producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0, records: [{ value: Buffer.from('h1') }, { value: Buffer.from('h2') }] });
    // Kafka refuses transactional records without a transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // an id the coordinator never heard of gets through, as with Kafka before KIP-890's verification.
    const res = await raw.request(ProduceFacts, 7, { transactionalId: 'never-registered', acks: -1, timeoutMs: 5000, topicData: [{ name: 'hanging', partitionData: [{ index: 0, records }] }] });
    raw.close();
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(0);
    const log = broker.broker.context.logs.partition('hanging', 0)!;
    expect([log.highWatermark, log.lastStableOffset]).toEqual([2, 0]);
    const dp = await kstream(['transactions', 'describe-producers', 'hanging']);
    expect(dp.stdout).toMatch(/TXN START OFFSET/);
    const wrong = await kstream(['transactions', 'abort', '--topic', 'hanging', '--partition', '0', '--start-offset', '1']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/no open transaction starts at offset 1.*open ones start at 0/);
    const ok = await kstream(['transactions', 'abort', '--topic', 'hanging', '--partition', '0', '--start-offset', '0']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/aborted the transaction of producer/);
    expect([log.highWatermark, log.lastStableOffset]).toEqual([3, 3]);
    expect(log.txnIndex.entries).toEqual([{ producerId: init.producerId, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 }]);
    expect((await kstream(['consume', 'hanging', '--from-beginning', '-e'])).stdout).toBe('');
  });

  it('--transaction-size without --transactional-id is a usage error', async () => {
    const r = await kstream(['produce', 'cli-txn', '--transaction-size', '2'], { input: 'a\n' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/transactional-id/);
  });
});

