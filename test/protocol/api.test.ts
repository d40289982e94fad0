import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import {
  decodeRequest,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  peekCorrelationId,
} from '../../src/protocol/headers.ts';
import { ProtocolError, UnknownApiKeyError, UnsupportedVersionError } from '../../src/protocol/errors.ts';
import { FrameSplitter } from '../../src/protocol/framing.ts';
import { decodeRequestHeader, decodeResponseHeader, encodeRequestHeader, encodeResponseHeader, requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/headers.ts';
import { encodeApiVersionsResponse, type ApiVersionsResponseInput } from '../../src/protocol/messages/api-versions.ts';
import { ApiKeys, apis, apisByName, lookupApi, type ApiName, type ApiTypes } from '../../src/protocol/messages/index.ts';
import { Reader } from '../../src/protocol/primitives/reader.ts';
import { Writer } from '../../src/protocol/primitives/writer.ts';
import { loadSchemas, repoRoot } from './schema-samples.ts';
import { ApiVersionsFacts, ControlledShutdownFacts, MetadataFacts } from '../../src/protocol/messages/api-facts.ts';

describe('messages/index.ts', () => {
  const requests = loadSchemas().filter((s) => s.type === 'request');

  it('lists every API of the schemas with its version ranges', () => {
    expect(Object.keys(apis).length).toBe(requests.length);
    for (const s of requests) {
      const api = apis[s.apiKey!]!;
      const [lo, hi] = s.validVersions.split('-').map(Number);
      expect(api.name + 'Request').toBe(s.name);
      expect(api.key).toBe(s.apiKey);
      expect(api.validVersions.min).toBe(lo);
      expect(api.maxCodecVersion).toBe(hi ?? lo);
      expect(api.validVersions.max).toBe((hi ?? lo!) - (s.latestVersionUnstable === true ? 1 : 0));
      expect(api.firstFlexibleVersion).toBe(s.flexibleVersions === 'none' ? null : Number(s.flexibleVersions.replace('+', '')));
      // The same object by name, by key, and as exported by the API's own module.
      expect(apisByName[api.name as ApiName]).toBe(api);
    }
  });

  it('exports each descriptor from the API module itself, so callers load only what they use', async () => {
    const { ProduceApi } = await import('../../src/protocol/messages/produce.ts');
    const { encodeProduceRequest, decodeProduceResponse } = await import('../../src/protocol/messages/produce.ts');
    expect(ProduceApi).toBe(apisByName.Produce);
    expect(ProduceApi.encodeRequest).toBe(encodeProduceRequest);
    expect(ProduceApi.decodeResponse).toBe(decodeProduceResponse);
  });

  it('names API keys', () => {
    expect(ApiKeys).toMatchObject({ Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18, InitProducerId: 22, JoinGroup: 11 });
  });

  it('picks header versions as guide §2 says', () => {
    expect(requestHeaderVersion(apisByName.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(apisByName.ControlledShutdown, 1)).toBe(1);
    expect(requestHeaderVersion(apisByName.Metadata, 8)).toBe(1);
    expect(requestHeaderVersion(apisByName.Metadata, 9)).toBe(2);
    expect(requestHeaderVersion(apisByName.ApiVersions, 3)).toBe(2);
    expect(responseHeaderVersion(apisByName.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(apisByName.ApiVersions, 4)).toBe(0);
    expect(responseHeaderVersion(apisByName.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(apisByName.Produce, 8)).toBe(0);
    expect(lookupApi(999)).toBeUndefined();
  });
});

describe('headers', () => {
  it('request header v2 keeps the int16 client id and adds a tagged-field byte', () => {
    const w = new Writer();
    encodeRequestHeader(w, { apiKey: ApiVersionsFacts.key, apiVersion: 3, correlationId: 7, clientId: 'ab' }, 2);
    expect(w.finish()).toEqual(Buffer.from([0, 18, 0, 3, 0, 0, 0, 7, 0, 2, 0x61, 0x62, 0]));
  });

  it('request header v0 has no client id; null client id is -1', () => {
    const w = new Writer();
    encodeRequestHeader(w, { apiKey: ControlledShutdownFacts.key, apiVersion: 0, correlationId: 1, clientId: 'x' }, 0);
    encodeRequestHeader(w, { apiKey: MetadataFacts.key, apiVersion: 1, correlationId: 2, clientId: null }, 1);
    const buf = w.finish();
    expect(buf).toEqual(Buffer.from([0, 7, 0, 0, 0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 2, 0xff, 0xff]));
    const r = new Reader(buf);
    expect(decodeRequestHeader(r, 0)).toEqual({ apiKey: ControlledShutdownFacts.key, apiVersion: 0, correlationId: 1, clientId: null });
    expect(decodeRequestHeader(r, 1)).toEqual({ apiKey: MetadataFacts.key, apiVersion: 1, correlationId: 2, clientId: null });
  });

  it('skips tagged fields in headers', () => {
    const buf = Buffer.from([0, 0, 0, 9, 2, 0, 1, 0xaa, 5, 0, 0x42]);
    const r = new Reader(buf);
    expect(decodeResponseHeader(r, 1)).toEqual({ correlationId: 9 });
    expect(r.int8()).toBe(0x42);
    const w = new Writer();
    encodeResponseHeader(w, { correlationId: 9 }, 1);
    expect(w.finish()).toEqual(Buffer.from([0, 0, 0, 9, 0]));
  });
});

describe('frame helpers', () => {
  it('encodeRequestFrame → FrameSplitter → decodeRequestFrame, flexible and not', () => {
    const s = new FrameSplitter();
    const a = encodeRequestFrame(apisByName.Metadata, 12, 41, 'cli', { topics: [{ name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true });
    const b = encodeRequestFrame(apisByName.Metadata, 1, 42, null, { topics: null });
    const frames = s.push(Buffer.concat([a, b]));
    expect(frames.length).toBe(2);
    const da = decodeRequestFrame(frames[0]!, lookupApi);
    expect(da.header).toEqual({ apiKey: MetadataFacts.key, apiVersion: 12, correlationId: 41, clientId: 'cli' });
    const metadataA = da.body as ApiTypes['Metadata']['request'];
    expect(metadataA.topics![0]!.name).toBe('orders');
    expect(metadataA.includeTopicAuthorizedOperations).toBe(false);
    const db = decodeRequestFrame(frames[1]!, lookupApi);
    expect(db.header.clientId).toBeNull();
    expect((db.body as ApiTypes['Metadata']['request']).topics).toBeNull();
  });

  it('handler-style partial objects encode (ApiVersions response written as a broker would)', () => {
    const body: ApiVersionsResponseInput = { errorCode: 0, apiKeys: [{ apiKey: ApiVersionsFacts.key, minVersion: 0, maxVersion: 4 }] };
    for (let v = 0; v <= 4; v++) {
      const f = encodeResponseFrame(apisByName.ApiVersions, v, 5, body);
      const decoded = decodeResponseFrame(apisByName.ApiVersions, v, f.subarray(4));
      expect(decoded.correlationId).toBe(5);
      expect(decoded.body).toMatchObject({ errorCode: 0, throttleTimeMs: 0, apiKeys: [{ apiKey: ApiVersionsFacts.key, minVersion: 0, maxVersion: 4 }] });
      expect(peekCorrelationId(f.subarray(4))).toBe(5);
    }
    // v3 with header v0: correlation id, then error code, compact array (N+1) of entries each with
    // an empty tag section, throttle time, the body's empty tag section.
    expect(encodeResponseFrame(apisByName.ApiVersions, 3, 5, body)).toEqual(Buffer.from([0, 0, 0, 19, 0, 0, 0, 5, 0, 0, 2, 0, 18, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0]));
  });

  it('unknown keys and versions are typed errors carrying the correlation id', () => {
    const unknownKey = Buffer.from([0x03, 0xe7, 0, 0, 0, 0, 0, 77, 0xff, 0xff]);
    try {
      decodeRequestFrame(unknownKey, lookupApi);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownApiKeyError);
      expect((e as UnknownApiKeyError).apiKey).toBe(999); // number on purpose: no API has key 999 (0x03e7 above)
      expect((e as UnknownApiKeyError).correlationId).toBe(77);
    }
    const badVersion = Buffer.from([0, 18, 0, 99, 0, 0, 0, 78, 0xff, 0xff, 0]);
    try {
      decodeRequestFrame(badVersion, lookupApi);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsupportedVersionError);
      expect(e).toMatchObject({ apiKey: ApiVersionsFacts.key, apiVersion: 99, correlationId: 78 });
    }
    expect(() => encodeRequestFrame(apisByName.Metadata, 13, 1, null, { topics: null })).toThrow(UnsupportedVersionError);
    expect(() => decodeRequest(apisByName.Metadata, Buffer.from([0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]))).toThrow(/decoded as Metadata/);
    expect(() => decodeRequestFrame(Buffer.from([0, 18, 0]), lookupApi)).toThrow(ProtocolError);
  });

  it('decodeResponseFrame rejects bytes after the body; decodeRequestFrame ignores them like Kafka', () => {
    const res = encodeResponseFrame(apisByName.Heartbeat, 0, 3, { errorCode: 0 }).subarray(4);
    expect(() => decodeResponseFrame(apisByName.Heartbeat, 0, Buffer.concat([res, Buffer.from([0])]))).toThrow(/after its body/);
    const req = encodeRequestFrame(apisByName.Heartbeat, 0, 3, 'c', { groupId: 'g', generationId: 1, memberId: 'm' }).subarray(4);
    expect(decodeRequestFrame(Buffer.concat([req, Buffer.from([1, 2])]), lookupApi).body).toMatchObject({ groupId: 'g', memberId: 'm' });
  });

  it('encoders reject values the target version cannot carry (non-ignorable), but drop ignorable ones', () => {
    // JoinGroupRequest.GroupInstanceId (v5+) is not ignorable.
    expect(() =>
      encodeRequestFrame(apisByName.JoinGroup, 4, 1, null, { groupId: 'g', sessionTimeoutMs: 1, memberId: '', groupInstanceId: 'static', protocolType: 'consumer', protocols: [] }),
    ).toThrow(/groupInstanceId cannot be sent in version 4/);
    // ApiVersionsResponse.ThrottleTimeMs (v1+) is ignorable.
    expect(encodeResponseFrame(apisByName.ApiVersions, 0, 1, { errorCode: 0, apiKeys: [], throttleTimeMs: 100 }).length).toBe(4 + 4 + 2 + 4);
    // A nullable struct/array given null where the version does not allow it.
    expect(() => encodeRequestFrame(apisByName.Metadata, 0, 1, null, { topics: null })).toThrow(/topics is null but not nullable in version 0/);
  });

  it('preserves unknown tagged fields interleaved with known ones, in tag order', () => {
    const w = new Writer();
    const body = {
      errorCode: 0,
      apiKeys: [],
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: 5n,
      zkMigrationReady: true,
      _unknownTaggedFields: [
        { tag: 2, data: Buffer.from([1]) }, // would collide with FinalizedFeatures, which is left empty
        { tag: 7, data: Buffer.from([9, 9]) },
      ],
    };
    encodeApiVersionsResponse(w, body, 3);
    const buf = w.finish();
    // tags: 1 (epoch), 2 (raw), 3 (zk), 7 (raw)
    const tail = buf.subarray(2 + 1 + 4);
    expect(tail[0]).toBe(4);
    const r = new Reader(tail, 1);
    const tags: number[] = [];
    for (let i = 0; i < 4; i++) {
      tags.push(r.unsignedVarint());
      r.raw(r.unsignedVarint());
    }
    expect(tags).toEqual([1, 2, 3, 7]);
    const decoded = decodeResponseFrame(apisByName.ApiVersions, 3, Buffer.concat([Buffer.from([0, 0, 0, 1]), buf])).body;
    expect(decoded.finalizedFeaturesEpoch).toBe(5n);
    expect(decoded.zkMigrationReady).toBe(true);
    // Tag 2 is known at v3, so it is parsed as FinalizedFeatures (compact array: 1 = empty);
    // only tag 7 stays unknown.
    expect(decoded.finalizedFeatures).toEqual([]);
    expect(decoded._unknownTaggedFields).toEqual([{ tag: 7, data: Buffer.from([9, 9]) }]);
  });

  it('a tagged field whose size does not match its content is malformed', () => {
    // ApiVersionsResponse v3, body: error 0, no api keys, throttle 0, one tag (1 = epoch) claiming 9 bytes of an int64.
    const body = Buffer.from([0, 0, 1, 0, 0, 0, 0, 1, 1, 9, 0, 0, 0, 0, 0, 0, 0, 5, 0]);
    expect(() => decodeResponseFrame(apisByName.ApiVersions, 3, Buffer.concat([Buffer.from([0, 0, 0, 1]), body]))).toThrow(ProtocolError);
  });
});

describe('start-up cost', () => {
  it('nothing under src/ imports the whole generated index: each module imports the APIs it uses', () => {
    const src = path.join(repoRoot, 'src');
    const offenders: string[] = [];
    for (const f of fs.readdirSync(src, { recursive: true }).map(String)) {
      if (!f.endsWith('.ts') || f.startsWith(path.join('protocol', 'messages'))) continue;
      const text = fs.readFileSync(path.join(src, f), 'utf8');
      if (/from '[^']*messages\/index\.ts'|import\('[^']*messages\/index\.ts'\)/.test(text)) offenders.push(f);
    }
    expect(offenders).toEqual([]);
  });
});
