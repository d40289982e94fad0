/**
 * Kafka's connection limits (issue 20.5): max.connections (extra connections wait for a slot),
 * max.connections.per.ip (+ overrides: extra connections are closed), connections.max.idle.ms.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parsePerIpOverrides } from '../../src/broker/connection-limits.ts';
import { closeAll, hasKcat, RawClient, runKcat, settlesWithin, startTestBroker } from '../helpers/index.ts';
import { ApiVersionsFacts, FetchFacts } from '../../src/protocol/messages/api-facts.ts';

afterAll(closeAll);

const apiVersions = (c: RawClient) => c.request(ApiVersionsFacts, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });

describe('max.connections', () => {
  it('a connection beyond the limit waits, unanswered, and is served once a slot frees', async () => {
    const b = await startTestBroker({ config: { 'max.connections': '2' } });
    const c1 = await RawClient.connect(b.port);
    const c2 = await RawClient.connect(b.port);
    expect((await apiVersions(c1)).errorCode).toBe(0);
    expect((await apiVersions(c2)).errorCode).toBe(0);
    const c3 = await RawClient.connect(b.port); // TCP connects (kernel backlog in Kafka), nothing is read
    const answer = apiVersions(c3);
    expect(await settlesWithin(answer, 500)).toBe(false);
    c1.close();
    expect((await answer).errorCode).toBe(0);
    c2.close();
    c3.close();
    await b.close();
  });
});

describe('max.connections.per.ip', () => {
  it('closes a connection from an address already at its limit; others are served', async () => {
    const b = await startTestBroker({ config: { 'max.connections.per.ip': '2' } });
    const c1 = await RawClient.connect(b.port);
    const c2 = await RawClient.connect(b.port);
    expect((await apiVersions(c2)).errorCode).toBe(0);
    const c3 = await RawClient.connect(b.port);
    await c3.closed; // the broker drops it
    await expect(apiVersions(c3)).rejects.toThrow(/closed/);
    // Still serving the ones it kept, and a new one once a slot is free.
    expect((await apiVersions(c1)).errorCode).toBe(0);
    c1.close();
    await c1.closed;
    let c4: RawClient | null = null;
    // The broker sees c1's close a moment after the client does: retry until it has.
    for (let i = 0; i < 100 && c4 === null; i++) {
      const c = await RawClient.connect(b.port);
      try {
        await apiVersions(c);
        c4 = c;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(c4).not.toBeNull();
    c2.close();
    c4!.close();
    await b.close();
  });

  it('max.connections.per.ip.overrides raises the limit for one address', async () => {
    const b = await startTestBroker({ config: { 'max.connections.per.ip': '1', 'max.connections.per.ip.overrides': '127.0.0.1:3' } });
    const clients = [await RawClient.connect(b.port), await RawClient.connect(b.port), await RawClient.connect(b.port)];
    for (const c of clients) expect((await apiVersions(c)).errorCode).toBe(0);
    const extra = await RawClient.connect(b.port);
    await extra.closed;
    for (const c of clients) c.close();
    await b.close();
  });

  it.skipIf(!hasKcat)('kcat (two connections: bootstrap and broker) works at a per-ip limit of 2 and its metadata call fails at 0', async () => {
    const ok = await startTestBroker({ config: { 'max.connections.per.ip': '2' } });
    const r = await runKcat(['-b', ok.bootstrap, '-L'], { timeoutMs: 15_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('broker 1 at');
    const none = await startTestBroker({ config: { 'max.connections.per.ip': '0' } });
    const refused = await runKcat(['-b', none.bootstrap, '-L', '-m', '2'], { timeoutMs: 15_000 });
    expect(refused.code).not.toBe(0);
    await ok.close();
    await none.close();
  });

  it('overrides are ip:count; a bad entry names itself', () => {
    expect([...parsePerIpOverrides('127.0.0.1:5, ::1:7,[fe80::1]:0')]).toEqual([['127.0.0.1', 5], ['::1', 7], ['fe80::1', 0]]);
    expect(() => parsePerIpOverrides('localhost:5')).toThrow(/max.connections.per.ip.overrides: expected ip:count, got "localhost:5"/);
    expect(() => parsePerIpOverrides('10.0.0.1:x')).toThrow(/"10.0.0.1:x"/);
  });
});

describe('connections.max.idle.ms', () => {
  it('closes a connection idle that long; the broker keeps serving new ones', async () => {
    const b = await startTestBroker({ config: { 'connections.max.idle.ms': '200' } });
    const c = await RawClient.connect(b.port);
    expect((await apiVersions(c)).errorCode).toBe(0);
    expect(await settlesWithin(c.closed, 20_000)).toBe(true);
    const again = await RawClient.connect(b.port);
    expect((await apiVersions(again)).errorCode).toBe(0);
    again.close();
    await b.close();
  });

  it('does not close a connection whose long-polling Fetch outlasts the idle time', async () => {
    const b = await startTestBroker({ config: { 'connections.max.idle.ms': '100' } });
    await b.broker.context.logs.createTopic('idle-poll', { partitions: 1 });
    const c = await RawClient.connect(b.port);
    const res = await c.request(FetchFacts, 4, {
      replicaId: -1, maxWaitMs: 1500, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
      topics: [{ topic: 'idle-poll', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    expect(res.responses[0].partitions[0].errorCode).toBe(0);
    c.close();
    await b.close();
  });
});
