/**
 * Every handler serves a generated descriptor, within the versions its codec knows, and the table has
 * one handler per API. (The descriptors themselves are generated; test/protocol checks them.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../src/broker/handler.ts';
import { loadHandlers } from '../../src/broker/handler-table.ts';
import { handlers as table } from '../../src/broker/handlers/index.ts';
import { apis } from '../../src/protocol/messages/index.ts';

let handlers: ApiHandler[];
beforeAll(async () => {
  handlers = await loadHandlers(table);
});

describe('handler table', () => {
  it('serves the generated descriptors, within their valid versions', () => {
    for (const h of handlers) {
      // The very object the generated module exports, not a copy with facts of its own.
      expect(apis[h.api.key], h.api.name).toBe(h.api);
      // Never advertise a version the codec cannot read or Kafka marks unstable.
      expect(h.minVersion, h.api.name).toBeGreaterThanOrEqual(h.api.validVersions.min);
      expect(h.maxVersion, h.api.name).toBeLessThanOrEqual(h.api.validVersions.max);
      expect(h.minVersion, h.api.name).toBeLessThanOrEqual(h.maxVersion);
    }
  });

  it('has one handler per API', () => {
    const keys = handlers.map((h) => h.api.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('sends only Fetch responses zero-copy', () => {
    expect(handlers.filter((h) => h.zeroCopyResponse).map((h) => h.api.name)).toEqual(['Fetch']);
  });
});
