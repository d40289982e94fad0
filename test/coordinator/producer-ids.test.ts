import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanupStack } from '../helpers/index.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { ProducerIdError, ProducerIdManager } from '../../src/coordinator/producer-ids.ts';
import { createLocalMetadataStore } from '../../src/cluster/stores.ts';
import { clusterProducerIdSource } from '../../src/broker/cluster-producer-ids.ts';
import { silentLogger as quiet } from '../../src/broker/logger.ts';

const stack = useCleanupStack();
/** A metadata dir (not yet created) inside a fresh temp dir removed after the test. */
const tempDir = async () => join(await stack.tempDir('kstream-pids-'), '__kstream_meta');

describe('ProducerIdManager', () => {
  it('never hands out an id twice, across block boundaries and reopens', async () => {
    const dir = await tempDir();
    const seen = new Set<bigint>();
    for (let round = 0; round < 3; round++) {
      const m = await ProducerIdManager.open(dir, { blockSize: 4 });
      for (let i = 0; i < 6; i++) {
        const id = await m.allocate();
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    expect(seen.size).toBe(18);
    const persisted = JSON.parse(await readFile(join(dir, 'producer-ids'), 'utf8'));
    expect(BigInt(persisted.nextBlockStart)).toBeGreaterThan([...seen].reduce((a, b) => (a > b ? a : b)));
  });

  it('concurrent allocations during a block reservation get distinct ids', async () => {
    const m = await ProducerIdManager.open(await tempDir(), { blockSize: 3 });
    const ids = await Promise.all(Array.from({ length: 10 }, () => m.allocate()));
    expect(new Set(ids).size).toBe(10);
  });

  it('InitProducerId: fresh id with epoch 0, KIP-360 epoch bump, refusals', async () => {
    const m = await ProducerIdManager.open(await tempDir());
    const a = await m.initProducerId({ transactionalId: null, producerId: -1n, producerEpoch: -1 });
    expect(a).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    const b = await m.initProducerId({ transactionalId: null, producerId: -1n, producerEpoch: -1 });
    expect(b.producerId).not.toBe(a.producerId);
    const bumped = await m.initProducerId({ transactionalId: null, producerId: a.producerId, producerEpoch: 0 });
    expect(bumped).toEqual({ errorCode: 0, producerId: a.producerId, producerEpoch: 1 });
    const exhausted = await m.initProducerId({ transactionalId: null, producerId: a.producerId, producerEpoch: 32766 });
    expect(exhausted.producerEpoch).toBe(0);
    expect(exhausted.producerId).not.toBe(a.producerId);
    expect((await m.initProducerId({ transactionalId: null, producerId: 10n ** 12n, producerEpoch: 0 })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // Transactional ids belong to the TransactionCoordinator; the handler never routes them here.
    await expect(m.initProducerId({ transactionalId: 'tx-1', producerId: -1n, producerEpoch: -1 })).rejects.toThrow(/transaction coordinator/);
  });

  it('refuses a corrupt id file rather than restarting from 0', async () => {
    const dir = await tempDir();
    const m = await ProducerIdManager.open(dir);
    await m.allocate();
    await writeFile(join(dir, 'producer-ids'), 'garbage');
    await expect(ProducerIdManager.open(dir)).rejects.toThrow(ProducerIdError);
  });

  it('cluster mode: two brokers drawing blocks from one metadata store never hand out the same id', async () => {
    const { store } = createLocalMetadataStore();
    try {
      const b1 = ProducerIdManager.fromBlocks(clusterProducerIdSource(store, 1, quiet), { blockSize: 5 });
      const b2 = ProducerIdManager.fromBlocks(clusterProducerIdSource(store, 2, quiet), { blockSize: 5 });
      // Interleaved and concurrent, across several block boundaries.
      const ids = (await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? b2 : b1).allocate()))).map(String);
      expect(new Set(ids).size).toBe(40);
      // A broker restarted (a fresh manager) continues after every block handed out, not at 0.
      const again = ProducerIdManager.fromBlocks(clusterProducerIdSource(store, 1, quiet), { blockSize: 5 });
      const next = await again.allocate();
      expect(ids).not.toContain(String(next));
      expect(next).toBeGreaterThan(BigInt(Math.max(...ids.map(Number))));
      // KIP-360 epoch bump: an id another broker issued is known; one never issued is refused.
      const bumped = await again.initProducerId({ transactionalId: null, producerId: BigInt(ids[0]!), producerEpoch: 0 });
      expect(bumped).toEqual({ errorCode: 0, producerId: BigInt(ids[0]!), producerEpoch: 1 });
      const unknown = await again.initProducerId({ transactionalId: null, producerId: 1_000_000n, producerEpoch: 0 });
      expect(unknown.errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    } finally {
      await store.close();
    }
  });

  it('cluster mode: a metadata store that cannot be reached gives the retriable COORDINATOR_LOAD_IN_PROGRESS, not a made-up id', async () => {
    const { store } = createLocalMetadataStore();
    const m = ProducerIdManager.fromBlocks(clusterProducerIdSource(store, 1, quiet), { blockSize: 5 });
    await store.close();
    expect(await m.initProducerId({ transactionalId: null, producerId: -1n, producerEpoch: -1 })).toEqual({ errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, producerId: -1n, producerEpoch: -1 });
    expect((await m.initProducerId({ transactionalId: null, producerId: 3n, producerEpoch: 0 })).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  });
});
