import type { QuotaSession } from './client-quota-manager.ts';
import type { ClientQuotas } from './client-quotas.ts';

/** Kafka's NanosToPercentagePerSecond, per ms: 1 ms of request time is 0.1 % of one second. */
const PERCENT_PER_MS = 100 / 1000;

/** What a connection offers for KIP-219 throttling (src/broker/connection.ts). */
export interface Throttleable {
  /** Reads and starts no further request of this connection for `ms` (the current response still goes out). */
  throttle?(ms: number): void;
}

/**
 * The quotas of one request, as a handler and dispatch see them (Kafka: the QuotaManagers calls in
 * KafkaApis and RequestHandlerHelper). KIP-219: the response goes out at once carrying
 * throttle_time_ms, and the connection is muted for that long.
 *
 * Request time (request_percentage) is the handler's elapsed time — from dispatch to the response —
 * less the time it reported as waiting (a Fetch long poll), or only its synchronous part for APIs whose
 * handlers wait on other clients (JoinGroup, SyncGroup). Kafka measures the request thread's time; one
 * event loop has none to measure per request, so this is the closest honest figure.
 */
export class RequestQuota {
  private readonly quotas: ClientQuotas;
  private readonly session: QuotaSession;
  private readonly connection: Throttleable;
  private readonly now: () => number;
  /** The request's size in bytes, without the length prefix (Kafka's request.sizeInBytes). */
  readonly requestBytes: number;
  private readonly startedAt = performance.now();
  private waitedMs = 0;
  private handledMs: number | null = null;
  /** Set once the handler applied the request quota itself (Produce, Fetch), so dispatch does not again. */
  handled = false;

  constructor(quotas: ClientQuotas, session: QuotaSession, connection: Throttleable, now: () => number, requestBytes: number) {
    this.quotas = quotas;
    this.requestBytes = requestBytes;
    this.session = session;
    this.connection = connection;
    this.now = now;
  }

  /** Time the handler spent waiting for something else (not counted as request time). */
  waited(ms: number): void {
    this.waitedMs += ms;
  }

  /** Fixes the request time now (dispatch, for handlers that wait on others after their own work). */
  fixRequestTime(): void {
    this.handledMs ??= performance.now() - this.startedAt - this.waitedMs;
  }

  /** Records this request's time against request_percentage; returns the throttle time (0 within quota). */
  requestThrottleMs(): number {
    this.handled = true;
    if (!this.quotas.request.enabled) return 0;
    const ms = this.handledMs ?? performance.now() - this.startedAt - this.waitedMs;
    return this.quotas.request.recordAndGetThrottleTimeMs(this.session, Math.max(0, ms) * PERCENT_PER_MS, this.now());
  }

  /** Produce: the request's size in bytes against producer_byte_rate. */
  produceThrottleMs(): number {
    return this.quotas.produce.recordAndGetThrottleTimeMs(this.session, this.requestBytes, this.now());
  }

  /** Fetch: the response's size in bytes against consumer_byte_rate. */
  fetchThrottleMs(bytes: number): number {
    return this.quotas.fetch.recordAndGetThrottleTimeMs(this.session, bytes, this.now());
  }

  /** A throttled Fetch answers empty: its bytes are taken back. */
  unrecordFetch(bytes: number): void {
    this.quotas.fetch.unrecord(this.session, bytes, this.now());
  }

  /** The most a Fetch may return without a certain throttle (consumer_byte_rate × 10 windows). */
  maxFetchBytes(): number {
    return this.quotas.fetch.maxValueInQuotaWindow(this.session);
  }

  get fetchQuotaEnabled(): boolean {
    return this.quotas.fetch.enabled;
  }

  /** Mutes the connection for `ms` (KIP-219). */
  throttle(ms: number): void {
    if (ms > 0) this.connection.throttle?.(ms);
  }
}
