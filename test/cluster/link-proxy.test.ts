/**
 * The chaos tests' TCP proxy on its own: it forwards, a cut link swallows bytes (the target never sees
 * them) and holds new connections, healing resets what was held, and sources are told apart by the
 * Kafka client id of the first request.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequestFrame } from '../../src/protocol/headers.ts';
import { ApiVersionsApi } from '../../src/protocol/messages/api-versions.ts';
import { kafkaClientSource, LinkProxy } from './link-proxy.ts';

let server: Server;
let port = 0;
/** Everything the target received, per connection. */
const received: string[] = [];

beforeAll(async () => {
  server = createServer((s) => {
    const i = received.push('') - 1;
    s.on('data', (d: Buffer) => {
      received[i] += d.toString('latin1');
      s.write(d); // echo
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

function connect(p: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port: p }, () => resolve(s));
    s.once('error', reject);
  });
}

const nextData = (s: Socket): Promise<string> => new Promise((r) => s.once('data', (d: Buffer) => r(d.toString('latin1'))));
const closed = (s: Socket): Promise<void> => new Promise((r) => (s.closed ? r() : s.once('close', () => r())));

describe('LinkProxy', () => {
  it('forwards; a cut swallows bytes; healing resets the held connection and lets new ones through', async () => {
    const proxy = await LinkProxy.start('to-echo', port, 'broker-1');
    try {
      const a = await connect(proxy.port);
      a.on('error', () => {});
      a.write('hello');
      expect(await nextData(a)).toBe('hello');
      proxy.cutFrom('broker-2'); // another source: no effect on this link
      a.write('still');
      expect(await nextData(a)).toBe('still');
      proxy.cutFrom('broker-1');
      a.write('#swallowed#');
      const b = await connect(proxy.port); // accepted, held silent
      b.on('error', () => {});
      b.write('#held#');
      proxy.healFrom('broker-1');
      await Promise.all([closed(a), closed(b)]);
      expect(received.join('|')).not.toContain('#swallowed#');
      expect(received.join('|')).not.toContain('#held#');
      const c = await connect(proxy.port);
      c.write('again');
      expect(await nextData(c)).toBe('again');
      c.destroy();
      expect(proxy.forwarded.get('broker-1')).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('tells brokers apart by the client id of the first request', () => {
    const frame = (clientId: string | null) => encodeRequestFrame(ApiVersionsApi, 3, 1, clientId, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    expect(kafkaClientSource(frame('broker-3-fetcher-0'))).toBe('broker-3');
    expect(kafkaClientSource(frame('broker-12-txn-markers'))).toBe('broker-12');
    expect(kafkaClientSource(frame('rdkafka'))).toBe('client');
    expect(kafkaClientSource(frame(null))).toBe('client');
    expect(kafkaClientSource(frame('broker-3-fetcher-0').subarray(0, 16))).toBeUndefined();
  });
});
