import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../src/protocol/headers.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { decodeRequestHeader, decodeResponseHeader, requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/headers.ts';
import { decodeApiVersionsResponse } from '../../src/protocol/messages/api-versions.ts';
import { apis, apisByName, lookupApi, type ApiTypes } from '../../src/protocol/messages/index.ts';
import { Reader } from '../../src/protocol/primitives/reader.ts';
import { fixturesDir } from './schema-samples.ts';
import { ApiVersionsFacts, InitProducerIdFacts, MetadataFacts, ProduceFacts } from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

/**
 * Frames captured from real clients (kcat/librdkafka, kafkajs, kafka-python, confluent-kafka, Sarama)
 * and the librdkafka mock broker: every one decodes with our codecs and re-encodes to the same bytes.
 */
interface Frame {
  n: number;
  direction: 'request' | 'response';
  apiKey: number;
  apiName: string;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  bytes: number;
  file: string;
  forwardedWithPortRewrite?: { offset: number; from: number; to: number }[];
}

const sessions = fs
  .readdirSync(fixturesDir)
  .filter((d) => fs.existsSync(path.join(fixturesDir, d, 'session.json')))
  .sort()
  .map((d) => ({ dir: d, frames: (JSON.parse(fs.readFileSync(path.join(fixturesDir, d, 'session.json'), 'utf8')) as { frames: Frame[] }).frames }));

/** librdkafka's mock answers ApiVersions v3 with a body that is neither v3 nor v0 format (fixtures README). */
const isMalformedApiVersionsReply = (f: Frame): boolean => f.direction === 'response' && f.apiKey === ApiVersionsFacts.key && f.apiVersion === 3;

let requests = 0;
let responses = 0;
let malformed = 0;

describe('golden wire fixtures', () => {
  it('has the 17 sessions and 266 frames the README lists', () => {
    expect(sessions.length).toBe(17);
    expect(sessions.reduce((n, s) => n + s.frames.length, 0)).toBe(266);
  });

  for (const { dir, frames } of sessions) {
    it(`${dir}: every frame decodes and re-encodes byte for byte`, () => {
      for (const f of frames) {
        const buf = fs.readFileSync(path.join(fixturesDir, dir, f.file));
        expect(buf.length).toBe(f.bytes);
        const what = `${dir}/${f.file}`;
        if (f.direction === 'request') {
          const { header, body } = decodeRequestFrame(buf, lookupApi);
          expect(header, what).toEqual({ apiKey: f.apiKey, apiVersion: f.apiVersion, correlationId: f.correlationId, clientId: f.clientId });
          // The header alone, version derived from key/version, ends where the body starts.
          const r = new Reader(buf);
          expect(decodeRequestHeader(r, requestHeaderVersion(apis[f.apiKey]!, f.apiVersion))).toEqual(header);
          const again = encodeRequestFrame(apis[f.apiKey]!, f.apiVersion, header.correlationId, header.clientId, body);
          expect(again.readInt32BE(0)).toBe(buf.length);
          expect(again.subarray(4).equals(buf), what).toBe(true);
          requests++;
        } else if (isMalformedApiVersionsReply(f)) {
          expect(() => decodeResponseFrame(apisByName.ApiVersions, 3, buf), what).toThrow(ProtocolError);
          // Lenient reading as the guide suggests: header v0, then the error code comes first in every version.
          const r = new Reader(buf);
          expect(decodeResponseHeader(r, responseHeaderVersion(apisByName.ApiVersions, 3)).correlationId).toBe(f.correlationId);
          expect(r.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
          malformed++;
        } else {
          const { correlationId, body } = decodeResponseFrame(apis[f.apiKey]!, f.apiVersion, buf);
          expect(correlationId, what).toBe(f.correlationId);
          const again = encodeResponseFrame(apis[f.apiKey]!, f.apiVersion, correlationId, body);
          expect(again.subarray(4).equals(buf), what).toBe(true);
          responses++;
        }
      }
    });
  }

  it('covered all requests and responses', () => {
    expect(requests).toBe(135);
    expect(responses + malformed).toBe(131);
    expect(malformed).toBe(12);
  });
});

describe('golden fixtures: decoded values', () => {
  const read = (dir: string, file: string) => fs.readFileSync(path.join(fixturesDir, dir, file));
  const frame = (dir: string, pred: (f: Frame) => boolean) => sessions.find((s) => s.dir === dir)!.frames.find(pred)!;

  it('kcat ApiVersions v3 request carries the software name and version', () => {
    const f = frame('kcat-metadata', (x) => x.direction === 'request' && x.apiKey === ApiVersionsFacts.key && x.apiVersion === 3);
    const body = decodeRequestFrame(read('kcat-metadata', f.file), lookupApi).body as ApiTypes['ApiVersions']['request'];
    expect(body.clientSoftwareName).toBe('librdkafka');
    expect(body.clientSoftwareVersion).toBe('2.0.2');
  });

  it('ApiVersions v0 reply lists the mock broker APIs', () => {
    const f = frame('kcat-metadata', (x) => x.direction === 'response' && x.apiKey === ApiVersionsFacts.key && x.apiVersion === 0);
    const { body } = decodeResponseFrame(apisByName.ApiVersions, 0, read('kcat-metadata', f.file));
    expect(body.errorCode).toBe(0);
    const metadata = body.apiKeys.find((k) => k.apiKey === MetadataFacts.key);
    expect(metadata).toMatchObject({ minVersion: 0, maxVersion: 2 });
    for (const k of body.apiKeys) expect(apis[k.apiKey], `api key ${k.apiKey}`).toBeDefined();
  });

  it('the malformed v3 reply parses as the raw-count layout the README describes', () => {
    const f = frame('kcat-metadata', isMalformedApiVersionsReply);
    const buf = read('kcat-metadata', f.file);
    const r = new Reader(buf, 4);
    expect(r.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(r.int8()).toBe(1); // a raw count, not compact N+1
    expect([r.int16(), r.int16(), r.int16()]).toEqual([18, 0, 2]);
    expect(r.int32()).toBe(0);
    expect(r.remaining()).toBe(0);
    // Read as v0 it fails too: the array count is not int32 1.
    expect(() => decodeApiVersionsResponse(new Reader(buf, 4), 0)).toThrow(ProtocolError);
  });

  it('Metadata response port is the mock port named by forwardedWithPortRewrite', () => {
    const f = frame('kcat-metadata', (x) => x.direction === 'response' && x.apiKey === MetadataFacts.key);
    const { body } = decodeResponseFrame(apisByName.Metadata, f.apiVersion, read('kcat-metadata', f.file));
    expect(body.brokers[0]!.port).toBe(f.forwardedWithPortRewrite![0]!.from);
    expect(body.brokers[0]!.host).toBe('127.0.0.1');
    expect(body.controllerId).toBe(1);
  });

  it('Produce v7 request holds one magic-2 batch as raw bytes', () => {
    const f = frame('kcat-produce-none', (x) => x.direction === 'request' && x.apiKey === ProduceFacts.key);
    const body = decodeRequestFrame(read('kcat-produce-none', f.file), lookupApi).body as ApiTypes['Produce']['request'];
    const records = body.topicData[0]!.partitionData[0]!.records!;
    expect(Buffer.isBuffer(records)).toBe(true);
    expect(records.readInt32BE(8)).toBe(records.length - 12); // batchLength
    expect(records[16]).toBe(2); // magic
    expect(records.readInt32BE(57)).toBe(5); // record count
  });

  it('InitProducerId v4 (flexible) request and response with header v2/v1', () => {
    const req = frame('confluent-idempotent-produce', (x) => x.direction === 'request' && x.apiKey === InitProducerIdFacts.key);
    const { header, body: decodedBody } = decodeRequestFrame(read('confluent-idempotent-produce', req.file), lookupApi);
    const body = decodedBody as ApiTypes['InitProducerId']['request'];
    expect(header.apiVersion).toBe(4);
    expect(body.transactionalId).toBeNull();
    const res = frame('confluent-idempotent-produce', (x) => x.direction === 'response' && x.apiKey === InitProducerIdFacts.key);
    expect(responseHeaderVersion(apisByName.InitProducerId, 4)).toBe(1);
    const decoded = decodeResponseFrame(apisByName.InitProducerId, 4, read('confluent-idempotent-produce', res.file));
    expect(decoded.body.errorCode).toBe(0);
    expect(decoded.body.producerId).toBeGreaterThanOrEqual(0n);
  });
});
