import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { SampledRate } from '../../../src/broker/quotas/sampled-rate.ts';
import { ClientQuotaManager } from '../../../src/broker/quotas/client-quota-manager.ts';
import { ClientQuotaStore } from '../../../src/broker/quotas/client-quota-store.ts';
import { ClientQuotas, quotaSession } from '../../../src/broker/quotas/client-quotas.ts';
import { alterClientQuotas, describeClientQuotas, QuotaRequestError } from '../../../src/broker/quotas/client-quota-admin.ts';

const KAFKA = { samples: 11, windowMs: 1000 };

describe('SampledRate (Kafka Rate over WindowedSum)', () => {
  it('never measures over less than samples-1 whole windows', () => {
    const r = new SampledRate(KAFKA);
    r.record(1000, 0);
    // 1000 bytes at once right after start: over 10 s, not over 0 ms.
    expect(r.windowSize(0)).toBe(10_000);
    expect(r.measure(0)).toBe(100);
    expect(r.windowSize(2500)).toBe(10_500); // 2 whole windows + 0.5 + the 8 missing ones
    expect(r.measure(2500)).toBeCloseTo(1000 / 10.5);
  });

  it('drops samples older than samples × window', () => {
    const r = new SampledRate(KAFKA);
    r.record(5000, 0);
    r.record(100, 10_500);
    expect(r.measure(10_500)).toBeCloseTo(5100 / 10.5);
    // At 11 s the first sample has had no event for 11 windows: reset.
    expect(r.measure(11_000)).toBeCloseTo(100 / 10.5);
  });
});

describe('ClientQuotaManager', () => {
  const alice = { user: 'alice', clientId: 'app' };

  it('throttles by (observed - bound) / bound × window, as QuotaUtils.throttleTime', () => {
    const m = new ClientQuotaManager('producer_byte_rate', KAFKA);
    m.update('alice', undefined, 100);
    expect(m.recordAndGetThrottleTimeMs(alice, 1000, 0)).toBe(0); // 1000 / 10 s = 100/s: at the bound
    // 1500 / 10 s = 150/s: (150 - 100) / 100 × 10 000 ms
    expect(m.recordAndGetThrottleTimeMs(alice, 500, 0)).toBe(5000);
  });

  it('caps request-quota throttles at one window (ClientRequestQuotaManager)', () => {
    const m = new ClientQuotaManager('request_percentage', { ...KAFKA, maxThrottleMs: 1000 });
    m.update(null, undefined, 1);
    expect(m.recordAndGetThrottleTimeMs(alice, 500, 0)).toBe(1000);
  });

  it('applies the most specific quota in Kafka order', () => {
    const m = new ClientQuotaManager('producer_byte_rate', KAFKA);
    const levels: [string | null | undefined, string | null | undefined, number][] = [
      [undefined, null, 8], // /config/clients/<default>
      [undefined, 'app', 7], // /config/clients/app
      [null, undefined, 6], // /config/users/<default>
      [null, null, 5], // /config/users/<default>/clients/<default>
      [null, 'app', 4], // /config/users/<default>/clients/app
      ['alice', undefined, 3], // /config/users/alice
      ['alice', null, 2], // /config/users/alice/clients/<default>
      ['alice', 'app', 1], // /config/users/alice/clients/app
    ];
    const seen: (number | undefined)[] = [];
    for (const [u, c, bound] of levels) {
      m.update(u, c, bound);
      seen.push(m.quotaFor(alice));
    }
    expect(seen).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    // Removing the most specific falls back one level at a time.
    const back: (number | undefined)[] = [];
    for (const [u, c] of [...levels].reverse()) {
      m.update(u, c, null);
      back.push(m.quotaFor(alice));
    }
    expect(back).toEqual([2, 3, 4, 5, 6, 7, 8, undefined]);
    expect(m.quotaFor({ user: 'bob', clientId: 'other' })).toBeUndefined();
  });

  it('clients of a user with a user-level quota share one rate', () => {
    const m = new ClientQuotaManager('producer_byte_rate', KAFKA);
    m.update('alice', undefined, 100);
    expect(m.recordAndGetThrottleTimeMs({ user: 'alice', clientId: 'a' }, 900, 0)).toBe(0);
    expect(m.recordAndGetThrottleTimeMs({ user: 'alice', clientId: 'b' }, 200, 0)).toBeGreaterThan(0);
    // Another user has no quota at all.
    expect(m.recordAndGetThrottleTimeMs({ user: 'bob', clientId: 'a' }, 1e9, 0)).toBe(0);
  });

  it('unrecord takes bytes back; the largest fetch without a certain throttle is bound × 10 windows', () => {
    const m = new ClientQuotaManager('consumer_byte_rate', KAFKA);
    m.update(undefined, 'app', 100);
    expect(m.maxValueInQuotaWindow(alice)).toBe(1000);
    expect(m.recordAndGetThrottleTimeMs(alice, 2000, 0)).toBeGreaterThan(0);
    m.unrecord(alice, 2000, 0);
    expect(m.recordAndGetThrottleTimeMs(alice, 1000, 0)).toBe(0);
  });

  it('measures nothing until a quota of its kind was set', () => {
    const m = new ClientQuotaManager('producer_byte_rate', KAFKA);
    expect(m.enabled).toBe(false);
    expect(m.recordAndGetThrottleTimeMs(alice, 1e12, 0)).toBe(0);
    expect(m.maxValueInQuotaWindow(alice)).toBe(Infinity);
  });
});

describe('quota store and admin (Kafka controller validation)', () => {
  const entry = (entity: [string, string | null][], ops: [string, number | null][]) => ({
    entity: entity.map(([entityType, entityName]) => ({ entityType, entityName })),
    ops: ops.map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })),
  });

  it('sets, describes, removes; the managers follow at once', async () => {
    const store = ClientQuotaStore.inMemory();
    const quotas = new ClientQuotas(store, { samples: 11, windowSeconds: 1 });
    const r = await alterClientQuotas(store, {
      entries: [entry([['user', 'alice']], [['producer_byte_rate', 1024], ['request_percentage', 12.5]]), entry([['client-id', null]], [['consumer_byte_rate', 2048]])],
      validateOnly: false,
    });
    expect(r.map((e) => e.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(quotas.produce.quotaFor(quotaSession('User:alice', 'x'))).toBe(1024);
    expect(quotas.fetch.quotaFor(quotaSession('User:bob', 'x'))).toBe(2048);
    const all = describeClientQuotas(store, { components: [], strict: false });
    expect(all).toHaveLength(2);
    const users = describeClientQuotas(store, { components: [{ entityType: 'user', matchType: 2, match: null }], strict: false });
    expect(users).toEqual([{ entity: [{ entityType: 'user', entityName: 'alice' }], values: [{ key: 'producer_byte_rate', value: 1024 }, { key: 'request_percentage', value: 12.5 }] }]);
    const dflt = describeClientQuotas(store, { components: [{ entityType: 'client-id', matchType: 1, match: null }], strict: true });
    expect(dflt[0]!.entity).toEqual([{ entityType: 'client-id', entityName: null }]);
    await alterClientQuotas(store, { entries: [entry([['user', 'alice']], [['producer_byte_rate', null]])], validateOnly: false });
    expect(quotas.produce.quotaFor(quotaSession('User:alice', 'x'))).toBeUndefined();
  });

  it("answers bad entries with Kafka's INVALID_REQUEST messages and applies the good ones", async () => {
    const store = ClientQuotaStore.inMemory();
    const r = await alterClientQuotas(store, {
      entries: [
        entry([['user', 'a']], [['foo', 1]]),
        entry([['user', 'b']], [['producer_byte_rate', 0]]),
        entry([['user', 'c']], [['producer_byte_rate', 1.5]]),
        entry([['user', 'd']], [['producer_byte_rate', 1e20]]),
        entry([], [['producer_byte_rate', 1]]),
        entry([['group', 'x']], [['producer_byte_rate', 1]]),
        entry([['user', '']], [['producer_byte_rate', 1]]),
        entry([['ip', '10.0.0.1'], ['user', 'e']], [['connection_creation_rate', 1]]),
        entry([['ip', '10.0.0.1']], [['producer_byte_rate', 1]]),
        entry([['user', 'f']], [['producer_byte_rate', 1], ['producer_byte_rate', 2]]),
        entry([['user', 'ok']], [['consumer_byte_rate', 10]]),
      ],
      validateOnly: false,
    });
    expect(r.map((e) => e.errorMessage)).toEqual([
      'Invalid configuration key foo',
      'Quota producer_byte_rate must be greater than 0',
      'producer_byte_rate cannot be a fractional value.',
      'Proposed value for producer_byte_rate is too large for a LONG.',
      'Invalid empty client quota entity',
      'Unhandled client quota entity type: group',
      'Empty user not supported',
      'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId',
      'Invalid configuration key producer_byte_rate',
      'Ignoring duplicate entity ClientQuotaEntity(entries={user=f})',
      null,
    ]);
    expect(r.slice(0, -1).every((e) => e.errorCode === ErrorCode.INVALID_REQUEST)).toBe(true);
    expect(describeClientQuotas(store, { components: [], strict: false }).map((e) => e.entity[0]!.entityName)).toEqual(['ok']);
  });

  it('validate_only changes nothing', async () => {
    const store = ClientQuotaStore.inMemory();
    const r = await alterClientQuotas(store, { entries: [entry([['user', 'a']], [['producer_byte_rate', 5]])], validateOnly: true });
    expect(r[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(store.all()).toEqual([]);
  });

  it('refuses bad describe filters as Kafka does', () => {
    const store = ClientQuotaStore.inMemory();
    const bad = (components: { entityType: string; matchType: number; match: string | null }[]) => {
      try {
        describeClientQuotas(store, { components, strict: false });
        return null;
      } catch (err) {
        return [(err as QuotaRequestError).errorCode, (err as Error).message];
      }
    };
    expect(bad([{ entityType: 'topic', matchType: 0, match: 'x' }])).toEqual([ErrorCode.UNSUPPORTED_VERSION, 'Unsupported entity type topic']);
    expect(bad([{ entityType: 'user', matchType: 0, match: null }])).toEqual([ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.']);
    expect(bad([{ entityType: 'user', matchType: 1, match: 'x' }])![0]).toBe(ErrorCode.INVALID_REQUEST);
    expect(bad([{ entityType: 'user', matchType: 7, match: null }])).toEqual([ErrorCode.INVALID_REQUEST, 'Unknown match type 7']);
    expect(bad([{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }])![1]).toBe('Entity type user cannot appear more than once in the filter.');
    expect(bad([{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }])![0]).toBe(ErrorCode.INVALID_REQUEST);
    expect(bad([])).toBeNull();
  });
});
