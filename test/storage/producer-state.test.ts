import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager } from '../../src/storage/log-manager.ts';
import { ProducerSequenceError } from '../../src/storage/errors.ts';
import { makeTempDir } from '../helpers/index.ts';
import { makeBatch, memoryLogger } from './helpers.ts';
import { encodeEndTxnMarkerBatch } from '../../src/protocol/records/control-batch.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

let dir: string;
let cleanup: () => Promise<void>;
const clock = 1_700_000_000_000;
const managers: LogManager[] = [];

async function open() {
  const m = await LogManager.open({ dataDir: dir, now: () => clock, logger: memoryLogger(), config: { durability: { mode: 'never' } } });
  managers.push(m);
  return m;
}

/** An idempotent batch of `n` records from producer 7 starting at sequence `seq`. */
const idem = (seq: number, n = 2, epoch = 0, pid = 7n) =>
  makeBatch(Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}`.padEnd(120, '.'), timestamp: clock })), { producerId: pid, producerEpoch: epoch, baseSequence: seq });

beforeEach(async () => ({ dir, cleanup } = await makeTempDir('kstream-storage-')));
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => undefined);
  await cleanup();
});

describe('idempotent producer state in the append path', () => {
  it('answers a retried batch with its original offsets without writing; rejects gaps (45) and old epochs (47)', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    expect(await log.append(idem(0), { logAppendTime: false })).toMatchObject({ baseOffset: 0, lastOffset: 1, duplicate: false });
    expect(await log.append(idem(2), { logAppendTime: false })).toMatchObject({ baseOffset: 2, lastOffset: 3 });
    await log.append(makeBatch([{ value: 'plain', timestamp: clock }]), { logAppendTime: false });
    const dup = await log.append(idem(0), { logAppendTime: false });
    expect(dup).toMatchObject({ baseOffset: 0, lastOffset: 1, duplicate: true });
    expect(log.logEndOffset).toBe(5);
    const gap = await log.append(idem(9), { logAppendTime: false }).catch((e) => e);
    expect(gap).toBeInstanceOf(ProducerSequenceError);
    expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await log.append(idem(0, 1, 1), { logAppendTime: false })).toMatchObject({ baseOffset: 5, duplicate: false }); // new epoch starts at 0
    await expect(log.append(idem(4, 1, 0), { logAppendTime: false })).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(log.logEndOffset).toBe(6);
  });

  it('keeps deduplicating after a clean restart (snapshot) and after a crash (replay), across rolls', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '1200' } });
    let log = m.partition('t', 0)!;
    for (let s = 0; s < 20; s += 2) await log.append(idem(s), { logAppendTime: false });
    expect(log.segmentList.length).toBeGreaterThan(2);
    await m.close();
    expect((await readdir(join(dir, 't-0'))).filter((f) => f.endsWith('.snapshot')).length).toBeGreaterThan(0);
    const m2 = await open();
    log = m2.partition('t', 0)!;
    expect(await log.append(idem(18), { logAppendTime: false })).toMatchObject({ baseOffset: 18, duplicate: true });
    await expect(log.append(idem(30), { logAppendTime: false })).rejects.toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    await log.append(idem(20), { logAppendTime: false });
    managers.splice(0); // crash: no snapshot at the log end
    const m3 = await open();
    log = m3.partition('t', 0)!;
    expect(await log.append(idem(20), { logAppendTime: false })).toMatchObject({ baseOffset: 20, duplicate: true });
    expect(await log.append(idem(22), { logAppendTime: false })).toMatchObject({ baseOffset: 22, duplicate: false });
  });

  it('snapshots at every roll; a clean close of a log without producers leaves none (nothing to replay at start)', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '600' } });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 6; i++) await log.append(makeBatch([{ value: 'x'.repeat(200), timestamp: clock }]), { logAppendTime: false });
    await log.flush(); // waits for the background roll flushes
    const snaps = async () => (await readdir(join(dir, 't-0'))).filter((f) => f.endsWith('.snapshot'));
    expect((await snaps()).length).toBe(2); // newest two kept
    await m.close();
    expect(await snaps()).toEqual([]);
    const m2 = await open();
    expect(m2.partition('t', 0)!.producerState.producerCount).toBe(0);
  });

  it('checks each batch of a group-committed write against the ones before it in the same group', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    await log.append(idem(0), { logAppendTime: false });
    // Issued together: they are written in one group; sequences must chain inside it.
    const results = await Promise.allSettled([
      log.append(idem(2), { logAppendTime: false }),
      log.append(idem(4), { logAppendTime: false }),
      log.append(idem(4), { logAppendTime: false }), // retry of the previous one, same group
      log.append(idem(9), { logAppendTime: false }), // gap
      log.append(idem(6), { logAppendTime: false }),
    ]);
    const v = results.map((r) => (r.status === 'fulfilled' ? [r.value.baseOffset, r.value.duplicate] : (r.reason as { errorCode: number }).errorCode));
    expect(v).toEqual([[2, false], [4, false], [4, true], 45, [6, false]]);
    expect(log.logEndOffset).toBe(8);
  });
});

describe('end-transaction markers carry the coordinator epoch (Kafka appendEndTxnMarker)', () => {
  const txnData = (seq: number, epoch = 0) => encodeRecordBatch({ transactional: true, producerId: 7n, producerEpoch: epoch, baseSequence: seq, records: [{ key: 'k', value: `v${seq}`, timestamp: clock }] });
  const marker = (type: 'commit' | 'abort', coordinatorEpoch: number, producerEpoch = 0) =>
    encodeEndTxnMarkerBatch({ type, coordinatorEpoch, producerId: 7n, producerEpoch, timestamp: clock });
  const asCoordinator = { logAppendTime: false, origin: 'coordinator' as const };

  it('refuses a marker from an older coordinator epoch with TRANSACTION_COORDINATOR_FENCED, nothing written; after restart, crash and on a follower too', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    await m.createTopic('f', { partitions: 1 });
    let log = m.partition('t', 0)!;
    await log.append(txnData(0), { logAppendTime: false });
    // The coordinator at epoch 3 commits.
    expect((await log.append(marker('commit', 3), asCoordinator)).baseOffset).toBe(1);
    expect(log.producerState.coordinatorEpochOf(7n)).toBe(3);
    await log.append(txnData(1), { logAppendTime: false });
    // A deposed coordinator (epoch 2) still sending an abort for the next transaction: fenced.
    const fenced = await log.append(marker('abort', 2), asCoordinator).catch((e: unknown) => e);
    expect(fenced).toBeInstanceOf(ProducerSequenceError);
    expect((fenced as ProducerSequenceError).errorCode).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    expect(log.logEndOffset).toBe(3);
    expect(log.lastStableOffset).toBe(2); // the transaction is still open
    // An old producer epoch is still INVALID_PRODUCER_EPOCH first, whatever the coordinator epoch.
    await log.append(marker('abort', 5, 1), asCoordinator);
    await expect(log.append(marker('abort', 9, 0), asCoordinator)).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(log.producerState.coordinatorEpochOf(7n)).toBe(5);

    // A follower replicating these bytes learns the same epoch, so as a new leader it fences too.
    const follower = m.partition('f', 0)!;
    const r = await log.read(0, 1 << 20, { isolation: 'read_uncommitted', toLogEnd: true });
    await follower.appendAsFollower(Buffer.from(r.records));
    (r as { release?: () => void }).release?.();
    expect(follower.producerState.coordinatorEpochOf(7n)).toBe(5);
    await follower.append(txnData(0, 1), { logAppendTime: false });
    await expect(follower.append(marker('commit', 4, 1), asCoordinator)).rejects.toMatchObject({ errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED });

    // Clean restart (snapshot) and crash (replay of the log) keep it.
    await m.close();
    const m2 = await open();
    log = m2.partition('t', 0)!;
    expect(log.producerState.coordinatorEpochOf(7n)).toBe(5);
    await log.append(txnData(0, 1), { logAppendTime: false });
    await expect(log.append(marker('commit', 4, 1), asCoordinator)).rejects.toMatchObject({ errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED });
    managers.splice(0); // crash: no snapshot at the log end
    const m3 = await open();
    log = m3.partition('t', 0)!;
    expect(log.producerState.coordinatorEpochOf(7n)).toBe(5);
    await expect(log.append(marker('commit', 4, 1), asCoordinator)).rejects.toMatchObject({ errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED });
    expect((await log.append(marker('commit', 6, 1), asCoordinator)).duplicate).toBe(false);
    expect(log.producerState.view()).toMatchObject([{ producerId: 7n, coordinatorEpoch: 6, currentTxnStartOffset: -1 }]);
  });
});

