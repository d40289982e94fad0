/**
 * Commit/abort marker batches: byte layout checked field by field against Kafka's EndTransactionMarker /
 * ControlRecordType / MemoryRecords.writeEndTransactionalMarker (CRC computed here with a plain bitwise
 * CRC-32C, independent of the library's), decoded back, and read by librdkafka (kcat) from a partition.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  ControlRecordType,
  controlRecordTypeId,
  decodeEndTxnMarker,
  encodeControlRecordKey,
  encodeEndTxnMarkerBatch,
  readEndTxnMarker,
} from '../../../src/protocol/records/control-batch.ts';
import { RecordValidationError } from '../../../src/protocol/records/errors.ts';
import { decodeRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { closeAll, hasKcat, runKcat, startTestBroker } from '../../helpers/index.ts';

afterAll(async () => {
  await closeAll();
});

function crc32cBitwise(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('end-transaction marker batch', () => {
  const ts = 1_700_000_123_456;
  const batch = encodeEndTxnMarkerBatch({ type: 'commit', coordinatorEpoch: 7, producerId: 4242n, producerEpoch: 3, timestamp: ts });

  it('has Kafka’s exact layout: 61-byte header + one 17-byte control record (78 bytes)', () => {
    const expected = Buffer.alloc(78);
    let p = 0;
    p = expected.writeBigInt64BE(0n, p); // baseOffset
    p = expected.writeInt32BE(78 - 12, p); // batchLength
    p = expected.writeInt32BE(-1, p); // partitionLeaderEpoch
    p = expected.writeInt8(2, p); // magic
    const crcAt = p;
    p += 4;
    p = expected.writeInt16BE(0x30, p); // attributes: transactional | control, no compression, CreateTime
    p = expected.writeInt32BE(0, p); // lastOffsetDelta
    p = expected.writeBigInt64BE(BigInt(ts), p); // baseTimestamp
    p = expected.writeBigInt64BE(BigInt(ts), p); // maxTimestamp
    p = expected.writeBigInt64BE(4242n, p); // producerId
    p = expected.writeInt16BE(3, p); // producerEpoch
    p = expected.writeInt32BE(-1, p); // baseSequence
    p = expected.writeInt32BE(1, p); // record count
    // Record: length 16 (zigzag 0x20), attributes 0, timestampDelta 0, offsetDelta 0,
    // key length 4: [version 0, type COMMIT=1], value length 6: [version 0, coordinator epoch 7], 0 headers.
    Buffer.from([0x20, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 1, 0x0c, 0, 0, 0, 0, 0, 7, 0x00]).copy(expected, p);
    expected.writeUInt32BE(crc32cBitwise(expected.subarray(crcAt + 4)), crcAt);
    expect(batch.toString('hex')).toBe(expected.toString('hex'));
  });

  it('decodes back to the marker, with the producer of the batch', () => {
    const d = decodeRecordBatch(batch);
    expect(d.isControl && d.isTransactional).toBe(true);
    expect(readEndTxnMarker(d)).toEqual({ type: 'commit', coordinatorEpoch: 7, producerId: 4242n, producerEpoch: 3 });
    const abort = decodeRecordBatch(encodeEndTxnMarkerBatch({ type: 'abort', coordinatorEpoch: 0, producerId: 1n, producerEpoch: 0, timestamp: ts }));
    expect(abort.records[0]!.key).toEqual(Buffer.from([0, 0, 0, ControlRecordType.ABORT]));
    expect(readEndTxnMarker(abort)).toEqual({ type: 'abort', coordinatorEpoch: 0, producerId: 1n, producerEpoch: 0 });
  });

  it('is not a marker: data batches and other control types (KRaft) give null', () => {
    expect(readEndTxnMarker(decodeRecordBatch(encodeRecordBatch({ transactional: true, producerId: 1n, producerEpoch: 0, baseSequence: 0, records: [{ value: 'x' }] })))).toBeNull();
    const leaderChange = encodeRecordBatch({ control: true, records: [{ key: encodeControlRecordKey(ControlRecordType.LEADER_CHANGE), value: Buffer.alloc(4) }] });
    expect(readEndTxnMarker(decodeRecordBatch(leaderChange))).toBeNull();
  });

  it('rejects malformed control records as Kafka does (INVALID_RECORD)', () => {
    expect(() => controlRecordTypeId(Buffer.from([0, 0, 0]))).toThrow(RecordValidationError);
    expect(() => controlRecordTypeId(Buffer.from([0xff, 0xff, 0, 1]))).toThrow(/version -1/);
    expect(controlRecordTypeId(Buffer.from([0, 5, 0, 1]))).toBe(1); // newer key versions parse as v0
    expect(() => decodeEndTxnMarker(Buffer.from([0, 0, 0, 1]), Buffer.from([0, 0, 0]))).toThrow(/at least 6 bytes/);
    expect(() => decodeEndTxnMarker(Buffer.from([0, 0, 0, 2]), Buffer.from([0, 0, 0, 0, 0, 0]))).toThrow(/not an end-transaction marker/);
    expect(() => decodeEndTxnMarker(Buffer.from([0, 0, 0, 0]), Buffer.from([0x80, 0, 0, 0, 0, 0]))).toThrow(/version/);
    expect(() => encodeEndTxnMarkerBatch({ type: 'commit', coordinatorEpoch: 0, producerId: -1n, producerEpoch: 0, timestamp: ts })).toThrow(/producer id/);
  });
});

describe.skipIf(!hasKcat)('librdkafka (kcat) reads a partition holding a marker', () => {
  it('returns the data records around a commit marker and skips the control batch', async () => {
    const b = await startTestBroker();
    const topic = 'txn-marker-interop';
    await b.broker.context.logs.createTopic(topic, { partitions: 1 });
    const log = b.broker.context.logs.partition(topic, 0)!;
    const pid = 77n;
    await log.append(
      encodeRecordBatch({ transactional: true, producerId: pid, producerEpoch: 0, baseSequence: 0, records: [{ key: 'k0', value: 'in-txn-0' }, { key: 'k1', value: 'in-txn-1' }] }),
      { logAppendTime: false },
    );
    // The marker of the same producer ends its transaction (control batches skip the sequence check and
    // keep the epoch check, Kafka's AppendOrigin.COORDINATOR), so the last stable offset moves past it and
    // read_committed sees the committed records; both isolation levels skip the control batch itself.
    await log.append(encodeEndTxnMarkerBatch({ type: 'commit', coordinatorEpoch: 0, producerId: pid, producerEpoch: 0, timestamp: Date.now() }), { logAppendTime: false });
    await log.append(encodeRecordBatch({ records: [{ key: 'k3', value: 'after' }] }), { logAppendTime: false });
    for (const isolation of ['read_committed', 'read_uncommitted']) {
      const out = await runKcat(['-b', b.bootstrap, '-C', '-t', topic, '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%o|%k|%s\n'], { timeoutMs: 20_000 });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout.trimEnd().split('\n')).toEqual(['0|k0|in-txn-0', '1|k1|in-txn-1', '3|k3|after']);
    }
  });
});
