/**
 * The dispatch/connection machinery with test handlers: after-response callbacks (for buffers lent
 * by storage) run once the response is with the kernel, at once without a response, and when the
 * client leaves first; a handler that throws gets its API's error response and the connection lives on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../src/broker/handler.ts';
import { silentLogger } from '../../src/broker/logger.ts';
import { closeAll, RawClient, settlesWithin, startTestBroker, type TestBroker } from './helpers.ts';

const events: string[] = [];
let gate: Promise<void> = Promise.resolve();

/** ApiVersions (18) stand-in: registers an after-response callback, answers per clientSoftwareName. */
const probe: ApiHandler = {
  apiKey: 18,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const tag = req.clientSoftwareName as string;
    ctx.onResponseSent(() => events.push(`sent:${tag}`));
    if (tag === 'wait') await gate;
    if (tag === 'boom') throw new Error('handler bug');
    if (tag === 'none') return null;
    events.push(`answer:${tag}`);
    return { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 0 };
  },
  errorResponse: (_req, errorCode) => ({ errorCode, apiKeys: [], throttleTimeMs: 0 }),
};

let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker({ handlers: [probe], logger: silentLogger });
});
afterAll(closeAll);

const until = async (cond: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
};

describe('dispatch and connection', () => {
  it('runs after-response callbacks once the response was written', async () => {
    const c = await RawClient.connect(b.port);
    try {
      const r = await c.request(18, 3, { clientSoftwareName: 'a', clientSoftwareVersion: '1' });
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
      await c.request(18, 3, { clientSoftwareName: 'none', clientSoftwareVersion: '1' }, { noResponse: true });
      await c.request(18, 3, { clientSoftwareName: 'after', clientSoftwareVersion: '1' });
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
    void c.request(18, 3, { clientSoftwareName: 'wait', clientSoftwareVersion: '1' }).catch(() => {});
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
      const r = await c.request(18, 3, { clientSoftwareName: 'boom', clientSoftwareVersion: '1' });
      expect(r.errorCode).toBe(-1);
      await until(() => events.includes('sent:boom'));
      expect(events).toContain('sent:boom');
      const again = await c.request(18, 3, { clientSoftwareName: 'fine', clientSoftwareVersion: '1' });
      expect(again.errorCode).toBe(0);
      expect(await settlesWithin(c.closed, 50)).toBe(false);
    } finally {
      c.close();
    }
  });

  it('serves exactly its handler table: an API outside it closes the connection', async () => {
    const c = await RawClient.connect(b.port);
    const md = c.request(3, 1, { topics: [] });
    await expect(md).rejects.toThrow(/closed/);
  });
});
