/**
 * The dispatch/connection machinery with test handlers: after-response callbacks (for buffers lent
 * by storage) run once the response is with the kernel, at once without a response, and when the
 * client leaves first; a handler that throws gets its API's error response and the connection lives on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../src/broker/handler.ts';
import { ApiVersionsApi } from '../../src/protocol/messages/api-versions.ts';
import { silentLogger } from '../../src/broker/logger.ts';
import { closeAll, eventually, RawClient, settlesWithin, startTestBroker, type TestBroker } from '../helpers/index.ts';
import { ApiVersionsFacts, MetadataFacts } from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const events: string[] = [];
let gate: Promise<void> = Promise.resolve();

/** ApiVersions (18) stand-in: registers an after-response callback, answers per clientSoftwareName. */
const probe: ApiHandler<typeof ApiVersionsApi> = {
  api: ApiVersionsApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const tag = req.clientSoftwareName;
    ctx.onResponseSent(() => events.push(`sent:${tag}`));
    if (tag === 'wait') await gate;
    if (tag === 'boom') throw new Error('handler bug');
    if (tag === 'none') return null;
    events.push(`answer:${tag}`);
    return { errorCode: 0, apiKeys: [{ apiKey: ApiVersionsFacts.key, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 0 };
  },
  errorResponse: (_req, errorCode) => ({ errorCode, apiKeys: [], throttleTimeMs: 0 }),
};

let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker({ handlers: [probe as ApiHandler], logger: silentLogger });
});
afterAll(closeAll);

/** Polls `cond` for up to 5 s; the assertions that follow say what was expected. */
const until = (cond: () => boolean) => eventually(cond, 5000, 5);

describe('dispatch and connection', () => {
  it('runs after-response callbacks once the response was written', async () => {
    const c = await RawClient.connect(b.port);
    try {
      const r = await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'a', clientSoftwareVersion: '1' });
      expect(r.errorCode).toBe(0);
      await until(() => events.includes('sent:a'));
      expect(events.filter((e) => e.endsWith(':a'))).toEqual(['answer:a', 'sent:a']);
    } finally {
      c.close();
    }
  });

  it('runs them at once when there is no response', async () => {
    const c = await RawClient.connect(b.port);
    try {
      await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'none', clientSoftwareVersion: '1' }, { noResponse: true });
      await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'after', clientSoftwareVersion: '1' });
      expect(events).toContain('sent:none');
      expect(c.frames.length).toBe(1);
    } finally {
      c.close();
    }
  });

  it('runs them when the client leaves before its response is ready', async () => {
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    const c = await RawClient.connect(b.port);
    void c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'wait', clientSoftwareVersion: '1' }).catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    c.close();
    await new Promise((r) => setTimeout(r, 50));
    open();
    await until(() => events.includes('sent:wait'));
    expect(events).toContain('sent:wait');
  });

  it('a throwing handler gets its error response (UNKNOWN_SERVER_ERROR) and the connection stays open', async () => {
    const c = await RawClient.connect(b.port);
    try {
      const r = await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'boom', clientSoftwareVersion: '1' });
      expect(r.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
      await until(() => events.includes('sent:boom'));
      expect(events).toContain('sent:boom');
      const again = await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'fine', clientSoftwareVersion: '1' });
      expect(again.errorCode).toBe(0);
      expect(await settlesWithin(c.closed, 50)).toBe(false);
    } finally {
      c.close();
    }
  });

  it('serves exactly its handler table: an API outside it closes the connection', async () => {
    const c = await RawClient.connect(b.port);
    const md = c.request(MetadataFacts, 1, { topics: [] });
    await expect(md).rejects.toThrow(/closed/);
  });
});

describe('error responses of the real handlers', () => {
  it('encode at their lowest and highest versions when the handler throws', async () => {
    const { handlers: table } = await import('../../src/broker/handlers/index.ts');
    const { loadHandlers } = await import('../../src/broker/handler-table.ts');
    const handlers = await loadHandlers(table);
    const failing = handlers.map((h) => ({ ...h, handle: () => { throw new Error(`injected failure in api key ${h.api.key}`); } }));
    const broken = await startTestBroker({ handlers: failing, logger: silentLogger });
    const samples: Record<number, unknown> = {
      0: { acks: -1, timeoutMs: 100, topicData: [{ name: 't', partitionData: [{ index: 0, records: null }] }] },
      1: { maxWaitMs: 0, minBytes: 0, maxBytes: 100, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 100 }] }] },
      2: { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] },
      3: { topics: [{ name: 't' }] },
      18: { clientSoftwareName: 'x', clientSoftwareVersion: '1' },
      19: { topics: [{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }] },
      20: { topicNames: ['t'], timeoutMs: 100 },
      [-20]: { topics: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 100 }, // DeleteTopics v6 names topics differently
      21: { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 100 },
      32: { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }] },
      33: { resources: [{ resourceType: 2, resourceName: 't', configs: [] }], validateOnly: false },
      37: { topics: [{ name: 't', count: 2, assignments: null }], timeoutMs: 100, validateOnly: false },
      44: { resources: [{ resourceType: 2, resourceName: 't', configs: [] }], validateOnly: false },
      60: { includeClusterAuthorizedOperations: false },
    };
    try {
      for (const [key, sample] of Object.entries(samples)) {
        if (Number(key) < 0) continue;
        const h = handlers.find((x) => x.api.key === Number(key))!;
        for (const v of [h.minVersion, h.maxVersion]) {
          const body = Number(key) === 20 && v >= 6 ? samples[-20] : sample;
          const c = await RawClient.connect(broken.port);
          try {
            const r = await c.request(Number(key), v, body);
            expect(JSON.stringify(r, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)), `api key ${key} v${v}`).toMatch(/"errorCode":-1/);
          } finally {
            c.close();
          }
        }
      }
    } finally {
      await broken.close();
    }
  });
});
