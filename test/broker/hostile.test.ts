/**
 * Bad input closes the offending connection (with a logged reason) and nothing else: after each case
 * a second client must still be served. ApiVersions above our maximum is the one exception that gets
 * an answer (KIP-511, v0 format).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/broker/logger.ts';
import { closeAll, RawClient, seededRandom, settlesWithin, startTestBroker, type TestBroker } from '../helpers/index.ts';
import { ApiVersionsFacts, FetchFacts, LeaderAndIsrFacts, MetadataFacts } from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

let b: TestBroker;
const lines: string[] = [];
const logger: Logger = {
  debug: () => {},
  info: (m) => lines.push(m),
  warn: (m) => lines.push(m),
  error: (m) => lines.push(m),
};

beforeAll(async () => {
  b = await startTestBroker({ logger, config: { 'socket.request.max.bytes': '1048576' } });
});
afterAll(closeAll);

/** A request frame with a hand-written header and body. */
function frame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer = Buffer.alloc(0), clientId = 'hostile'): Buffer {
  const id = Buffer.from(clientId);
  const header = Buffer.alloc(10 + id.length);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(id.length, 8);
  id.copy(header, 10);
  const len = Buffer.alloc(4);
  len.writeInt32BE(header.length + body.length);
  return Buffer.concat([len, header, body]);
}

async function expectClosedWithReason(bytes: Buffer, reason: RegExp): Promise<void> {
  const before = lines.length;
  const c = await RawClient.connect(b.port);
  c.writeRaw(bytes);
  expect(await settlesWithin(c.closed, 5000)).toBe(true);
  expect(c.frames).toEqual([]);
  const logged = lines.slice(before).join('\n');
  expect(logged).toMatch(reason);
  expect(logged).toMatch(/127\.0\.0\.1:\d+/); // names the peer
  await expectStillServing();
}

async function expectStillServing(): Promise<void> {
  const other = await RawClient.connect(b.port);
  try {
    const r = await other.request(MetadataFacts, 1, { topics: [] });
    expect(r.brokers[0].nodeId).toBe(1);
  } finally {
    other.close();
  }
}

describe('hostile input', () => {
  it('garbage bytes: the length prefix is huge → connection closed, broker keeps serving', async () => {
    await expectClosedWithReason(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /exceeds the maximum.*looks like an HTTP request/);
  });

  it('a TLS ClientHello is named as such', async () => {
    const hello = Buffer.from('160301020001000200030300000000000000', 'hex');
    await expectClosedWithReason(hello, /looks like a TLS handshake: listener PLAINTEXT does not use TLS/);
  });

  it('a frame too short for a request header', async () => {
    await expectClosedWithReason(Buffer.from([0, 0, 0, 3, 1, 2, 3]), /shorter than|cannot read/);
  });

  it('a negative length prefix', async () => {
    await expectClosedWithReason(Buffer.from([0xff, 0xff, 0xff, 0xfe, 0, 0]), /negative/);
  });

  it('an oversized frame (above socket.request.max.bytes)', async () => {
    const big = Buffer.alloc(8);
    big.writeInt32BE(2 * 1024 * 1024, 0);
    await expectClosedWithReason(big, /2097152 bytes exceeds the maximum of 1048576/);
  });

  it('an unknown api key', async () => {
    await expectClosedWithReason(frame(999, 0, 7), /unsupported api key 999/); // number on purpose: no API has key 999
  });

  it('an api the broker does not serve (LeaderAndIsr)', async () => {
    await expectClosedWithReason(frame(LeaderAndIsrFacts.key, 0, 7), new RegExp(`unsupported api key ${LeaderAndIsrFacts.key}\\b`));
  });

  it('an unsupported version of a served api (Fetch v18, above the maximum)', async () => {
    await expectClosedWithReason(frame(FetchFacts.key, 18, 7), new RegExp(`unsupported version 18 of api key ${FetchFacts.key}\\b`));
  });

  it('a malformed body (Metadata v1 with a truncated topic array)', async () => {
    await expectClosedWithReason(frame(MetadataFacts.key, 1, 7, Buffer.from([0, 0, 0, 5, 0])), /malformed request/);
  });

  it('ApiVersions v99 gets a v0-format UNSUPPORTED_VERSION reply with (18, 0, 4)', async () => {
    const c = await RawClient.connect(b.port);
    try {
      c.writeRaw(frame(ApiVersionsFacts.key, 99, 4242));
      const deadline = Date.now() + 5000;
      while (c.frames.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const f = c.frames[0]!;
      expect(f.length).toBe(16);
      expect(f.readInt32BE(0)).toBe(4242); // correlation id, header v0
      expect(f.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
      expect(f.readInt32BE(6)).toBe(1); // int32 array count (v0 format)
      expect([f.readInt16BE(10), f.readInt16BE(12), f.readInt16BE(14)]).toEqual([ApiVersionsFacts.key, 0, 4]);
      // The connection stays usable: the client retries at a version we serve.
      const r = await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'retry', clientSoftwareVersion: '1' });
      expect(r.errorCode).toBe(0);
    } finally {
      c.close();
    }
  });

  it('a request split into one-byte writes is still understood', async () => {
    const c = await RawClient.connect(b.port);
    try {
      const bytes = frame(ApiVersionsFacts.key, 0, 77);
      for (const byte of bytes) {
        c.writeRaw(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
      const deadline = Date.now() + 5000;
      while (c.frames.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(c.frames[0]!.readInt32BE(0)).toBe(77);
      expect(c.frames[0]!.readInt16BE(4)).toBe(0);
    } finally {
      c.close();
    }
  });

  it('a client that disconnects mid-request does not disturb the broker', async () => {
    const c = await RawClient.connect(b.port);
    const bytes = frame(MetadataFacts.key, 1, 1, Buffer.from([0, 0, 0, 0]));
    c.writeRaw(bytes.subarray(0, 9));
    c.close();
    await expectStillServing();
  });
});

describe('random bodies for every served API and version', () => {
  it('each gets an answer or a "malformed request" close, never an internal error', async () => {
    const errors: string[] = [];
    const watch: Logger = { debug: () => {}, info: () => {}, warn: (m) => lines.push(m), error: (m) => errors.push(m) };
    const fuzzed = await startTestBroker({ logger: watch, config: { 'auto.create.topics.enable': 'false' } });
    // Deterministic, so a failure reproduces.
    const rand = seededRandom(0x5eed);
    try {
      for (const h of fuzzed.broker.context.handlers) {
        for (let v = h.minVersion; v <= h.maxVersion; v++) {
          // Bodies mostly of small numbers: counts and lengths stay plausible, so decoding gets deep.
          const bodies = Array.from({ length: 12 }, () => Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => (rand() < 0.7 ? Math.floor(rand() * 3) : Math.floor(rand() * 256)))));
          const c = await RawClient.connect(fuzzed.port);
          try {
            for (const body of bodies) c.writeRaw(frame(h.api.key, v, 1, body));
            await Promise.race([c.closed, new Promise((r) => setTimeout(r, 300))]);
          } finally {
            c.close();
          }
        }
      }
      expect(errors).toEqual([]);
    } finally {
      await fuzzed.close();
    }
  }, 120_000);
});
