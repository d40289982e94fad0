/**
 * A topic appears in Metadata only whole (issue 13.2). Storage lists a topic, or its new partition
 * count, before every partition log is open; while that lasts Metadata must answer the topic with
 * LEADER_NOT_AVAILABLE (clients retry it), never with offline partitions (KAFKA_STORAGE_ERROR, leader -1).
 *
 * Deterministic: the storage I/O is wrapped so that opening one chosen partition directory waits for
 * the test to release it; the clients look at the topic while it is held.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/broker/broker.ts';
import { BrokerConfig } from '../../src/broker/config.ts';
import { nodeIO, type StorageIO } from '../../src/storage/io.ts';
import { silentLogger } from '../../src/broker/logger.ts';
import { closeAll, hasKcat, RawClient, runKcat, tempDir } from '../helpers/index.ts';
import { MetadataFacts } from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

/** Holds io.mkdir of any path ending in one of `held` until release(name) is called. */
class GatedIO {
  private readonly gates = new Map<string, { reached: Promise<void>; arrive: () => void; release: () => void; released: Promise<void> }>();
  readonly io: StorageIO;
  constructor() {
    this.io = {
      ...nodeIO,
      mkdir: async (path, opts) => {
        for (const [suffix, g] of this.gates) {
          if (path.endsWith(`/${suffix}`)) {
            g.arrive();
            await g.released;
          }
        }
        return nodeIO.mkdir(path, opts);
      },
    };
  }
  /** Holds the directory `name` (e.g. 'topic-2'); resolves `reached` when storage tries to create it. */
  hold(name: string): { reached: Promise<void>; release: () => void } {
    let arrive!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((r) => (arrive = r));
    const released = new Promise<void>((r) => (release = r));
    const g = { reached, arrive, release, released };
    this.gates.set(name, g);
    return g;
  }
}

let broker: RunningBroker;
const gated = new GatedIO();

beforeAll(async () => {
  broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir: await tempDir(), config: new BrokerConfig(), logger: silentLogger, io: gated.io });
});
afterAll(async () => {
  await broker?.close();
  await closeAll();
});

interface MetaTopic { errorCode: number; name: string; partitions: { errorCode: number; partitionIndex: number; leaderId: number }[] }

async function metadataOf(topic: string, version: number): Promise<MetaTopic> {
  const c = await RawClient.connect(broker.address.port);
  try {
    // Only the fields each version has (the codec refuses the others).
    const res = await c.request(MetadataFacts, version, {
      topics: [version >= 10 ? { name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' } : { name: topic }],
      ...(version >= 4 ? { allowAutoTopicCreation: false } : {}),
      ...(version >= 8 && version <= 10 ? { includeClusterAuthorizedOperations: false } : {}),
      ...(version >= 8 ? { includeTopicAuthorizedOperations: false } : {}),
    });
    return res.topics[0];
  } finally {
    c.close();
  }
}

describe('Metadata shows a topic only whole', () => {
  it('while a topic is being created: LEADER_NOT_AVAILABLE, no offline partitions; whole once open', async () => {
    const gate = gated.hold('making-2');
    const creating = broker.context.logs.createTopic('making', { partitions: 4 });
    await gate.reached;
    try {
      // v4+ with allowAutoTopicCreation=false (below v4 a Metadata request auto-creates, which queues
      // behind this very creation). Storage publishes a topic only once every partition is open, so it is
      // either not there yet (UNKNOWN_TOPIC_OR_PARTITION) or LEADER_NOT_AVAILABLE — never partial.
      for (const v of [4, 9, 12]) {
        const t = await metadataOf('making', v);
        expect([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE]).toContain(t.errorCode);
        expect(t.partitions).toEqual([]);
      }
      if (hasKcat) {
        const l = await runKcat(['-b', `127.0.0.1:${broker.address.port}`, '-L', '-t', 'making'], { timeoutMs: 15_000 });
        expect(l.stdout).not.toMatch(/leader -1|Storage error|offline/i);
      }
    } finally {
      gate.release();
      await creating;
    }
    const t = await metadataOf('making', 12);
    expect(t.errorCode).toBe(0);
    expect(t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId])).toEqual([0, 1, 2, 3].map((p) => [p, 0, 1]));
  });

  it('while partitions are added: never offline partitions; all of them once open', async () => {
    await broker.context.logs.createTopic('growing', { partitions: 2 });
    const gate = gated.hold('growing-3');
    const growing = broker.context.logs.createPartitions('growing', 5);
    await gate.reached;
    try {
      // Either the old partition count, whole, or LEADER_NOT_AVAILABLE: never offline partitions.
      const t = await metadataOf('growing', 12);
      expect([ErrorCode.NONE, ErrorCode.LEADER_NOT_AVAILABLE]).toContain(t.errorCode);
      for (const p of t.partitions) expect(p.errorCode).not.toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      if (t.errorCode === 0) expect(t.partitions.map((p) => [p.partitionIndex, p.leaderId])).toEqual([[0, 1], [1, 1]]);
    } finally {
      gate.release();
      await growing;
    }
    const after = await metadataOf('growing', 12);
    expect(after.errorCode).toBe(0);
    expect(after.partitions.map((p) => [p.errorCode, p.leaderId])).toEqual(Array.from({ length: 5 }, () => [0, 1]));
  });
});
