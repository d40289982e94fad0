/** The broker's trimmed codec table must be exactly the generated index's entries for what it serves. */
import { describe, expect, it } from 'vitest';
import { SERVED_CODECS } from '../../src/broker/codecs.ts';
import { handlers } from '../../src/broker/handlers/index.ts';
import { apis } from '../../src/protocol/messages/index.ts';

describe('served codecs', () => {
  it('cover every handler with the generated functions and flexible-version boundary', () => {
    for (const h of handlers) {
      const served = SERVED_CODECS[h.apiKey];
      const api = apis[h.apiKey]!;
      expect(served, `codec for api key ${h.apiKey}`).toBeDefined();
      expect(served!.decodeRequest).toBe(api.decodeRequest);
      expect(served!.encodeResponse).toBe(api.encodeResponse);
      expect(served!.flexibleMinVersion).toBe(api.flexibleMinVersion);
      // Never advertise a version the codec cannot read or Kafka marks unstable.
      expect(h.minVersion).toBeGreaterThanOrEqual(api.minVersion);
      expect(h.maxVersion).toBeLessThanOrEqual(api.maxVersion);
    }
  });

  it('hold nothing the broker does not serve', () => {
    const served = new Set(handlers.map((h) => h.apiKey));
    expect(Object.keys(SERVED_CODECS).map(Number).filter((k) => !served.has(k))).toEqual([]);
  });
});
