import { SampledRate, type RateConfig } from './sampled-rate.ts';

/**
 * One kind of client quota (produce bytes, fetch bytes, request time, controller mutations), as Kafka's
 * ClientQuotaManager keeps it: quota bounds per (user, client-id) entity, one rate sensor per group of
 * clients sharing a quota, and the throttle time a client that went over gets.
 *
 * Which quota applies to a connection (user U from its principal, client-id C from the request header)
 * is the first one set, in Kafka's order:
 *   /config/users/U/clients/C, /config/users/U/clients/<default>, /config/users/U,
 *   /config/users/<default>/clients/C, /config/users/<default>/clients/<default>, /config/users/<default>,
 *   /config/clients/C, /config/clients/<default>
 * and clients sharing the entity the quota is set on share its rate (all clients of a user with a
 * user-level quota count together) — Kafka's "metric tags".
 */

/** Who sent a request: the principal's name (`alice` of `User:alice`) and the header's client id. */
export interface QuotaSession {
  readonly user: string;
  readonly clientId: string;
}

/** An entity part: undefined = not part of the entity, null = the default, else a name. */
type Part = string | null | undefined;

// Kafka's QuotaTypes: which levels have ever had a quota (metric tags are chosen from them).
const CLIENT_ID_QUOTA_ENABLED = 1;
const USER_QUOTA_ENABLED = 2;
const USER_CLIENT_ID_QUOTA_ENABLED = 4;

/** Sensors unused this long are dropped (Kafka: InactiveSensorExpirationTimeSeconds = 3600). */
const SENSOR_EXPIRY_MS = 3_600_000;

interface Sensor {
  readonly rate: SampledRate;
  readonly user: string;
  readonly clientId: string;
  lastRecordMs: number;
}

export interface QuotaManagerConfig extends RateConfig {
  /** Cap on a throttle time (request quotas: one window, Kafka's ClientRequestQuotaManager). */
  readonly maxThrottleMs?: number;
}

export class ClientQuotaManager {
  /** producer_byte_rate, consumer_byte_rate, … — for log lines. */
  readonly key: string;
  private readonly config: QuotaManagerConfig;
  private enabledTypes = 0;
  private readonly bounds = new Map<string, number>();
  private readonly sensors = new Map<string, Sensor>();
  private nextSweepMs = 0;

  constructor(key: string, config: QuotaManagerConfig) {
    this.key = key;
    this.config = config;
  }

  /**
   * True once any quota of this kind was set since start (then every request is measured). As in Kafka
   * it stays true after the quotas are removed, until a restart.
   */
  get enabled(): boolean {
    return this.enabledTypes !== 0;
  }

  /** Sets (bound) or removes (null) the quota of an entity; applies to the next request. */
  update(user: Part, clientId: Part, bound: number | null): void {
    if (user !== undefined) this.enabledTypes |= clientId !== undefined ? USER_CLIENT_ID_QUOTA_ENABLED : USER_QUOTA_ENABLED;
    else if (clientId !== undefined) this.enabledTypes |= CLIENT_ID_QUOTA_ENABLED;
    const k = boundKey(user, clientId);
    if (bound === null) this.bounds.delete(k);
    else this.bounds.set(k, bound);
  }

  /** The bound that applies to a session (undefined: unlimited). */
  quotaFor(session: QuotaSession): number | undefined {
    const [u, c] = this.metricTags(session);
    return this.quotaLimit(u, c);
  }

  /**
   * Records `value` for the session at `nowMs` and returns the throttle time: 0 within the quota,
   * else how long the client must wait for its rate to come back to the bound if it sent nothing more,
   * (observed - bound) / bound × window (QuotaUtils.throttleTime).
   */
  recordAndGetThrottleTimeMs(session: QuotaSession, value: number, nowMs: number): number {
    if (!this.enabled) return 0;
    const sensor = this.sensorFor(session, nowMs);
    sensor.rate.record(value, nowMs);
    const bound = this.quotaLimit(sensor.user, sensor.clientId);
    if (bound === undefined) return 0;
    const observed = sensor.rate.measure(nowMs);
    if (observed <= bound) return 0;
    const ms = Math.round(((observed - bound) / bound) * sensor.rate.windowSize(nowMs));
    return this.config.maxThrottleMs !== undefined ? Math.min(ms, this.config.maxThrottleMs) : ms;
  }

  /** Takes back a recorded value (a throttled Fetch sends no data, so its bytes do not count). */
  unrecord(session: QuotaSession, value: number, nowMs: number): void {
    if (!this.enabled) return;
    this.sensorFor(session, nowMs).rate.record(-value, nowMs);
  }

  /**
   * The most that can be recorded at once without a certain throttle: bound × (samples - 1) × window
   * (getMaxValueInQuotaWindow; Fetch caps its max bytes to it). Infinity without a quota.
   */
  maxValueInQuotaWindow(session: QuotaSession): number {
    if (!this.enabled) return Number.POSITIVE_INFINITY;
    const bound = this.quotaFor(session);
    return bound === undefined ? Number.POSITIVE_INFINITY : bound * (this.config.samples - 1) * (this.config.windowMs / 1000);
  }

  /** The rate measured now for the session's sensor (for tests and logs). */
  measuredRate(session: QuotaSession, nowMs: number): number {
    const [u, c] = this.metricTags(session);
    return this.sensors.get(`${u}\u0001${c}`)?.rate.measure(nowMs) ?? 0;
  }

  private sensorFor(session: QuotaSession, nowMs: number): Sensor {
    if (nowMs >= this.nextSweepMs) this.sweep(nowMs);
    const [user, clientId] = this.metricTags(session);
    const k = `${user}\u0001${clientId}`;
    let s = this.sensors.get(k);
    if (!s) this.sensors.set(k, (s = { rate: new SampledRate(this.config), user, clientId, lastRecordMs: nowMs }));
    s.lastRecordMs = nowMs;
    return s;
  }

  private sweep(nowMs: number): void {
    this.nextSweepMs = nowMs + 60_000;
    for (const [k, s] of this.sensors) if (nowMs - s.lastRecordMs >= SENSOR_EXPIRY_MS) this.sensors.delete(k);
  }

  /** DefaultQuotaCallback.quotaMetricTags: the (user, client-id) pair whose sensor the session records to. */
  private metricTags(session: QuotaSession): [string, string] {
    const { user, clientId } = session;
    switch (this.enabledTypes) {
      case 0:
      case CLIENT_ID_QUOTA_ENABLED:
        return ['', clientId];
      case USER_QUOTA_ENABLED:
        return [user, ''];
      case USER_CLIENT_ID_QUOTA_ENABLED:
        return [user, clientId];
      default: {
        const has = (u: Part, c: Part) => this.bounds.has(boundKey(u, c));
        if (has(user, clientId) || has(user, null)) return [user, clientId];
        if (has(user, undefined)) return [user, ''];
        if (has(null, clientId) || has(null, null)) return [user, clientId];
        if (has(null, undefined)) return [user, ''];
        return ['', clientId];
      }
    }
  }

  /** DefaultQuotaCallback.quotaLimit: the most specific bound for the tags, in Kafka's order. */
  private quotaLimit(user: string, clientId: string): number | undefined {
    const b = this.bounds;
    if (user !== '' && clientId !== '') {
      return b.get(boundKey(user, clientId)) ?? b.get(boundKey(user, null)) ?? b.get(boundKey(null, clientId)) ?? b.get(boundKey(null, null));
    }
    if (user !== '') return b.get(boundKey(user, undefined)) ?? b.get(boundKey(null, undefined));
    if (clientId !== '') return b.get(boundKey(undefined, clientId)) ?? b.get(boundKey(undefined, null));
    return undefined;
  }
}

function boundKey(user: Part, clientId: Part): string {
  const part = (p: Part) => (p === undefined ? '-' : p === null ? '*' : `=${p}`);
  return `${part(user)}\u0001${part(clientId)}`;
}
