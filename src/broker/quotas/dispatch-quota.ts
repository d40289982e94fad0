// The codec-free facts: dispatch imports this module, and the three codecs are not needed to know the keys.
import { JoinGroupFacts, SyncGroupFacts, WriteTxnMarkersFacts } from '../../protocol/messages/api-facts.ts';
import type { BrokerContext, ConnectionInfo } from '../handler.ts';
// Types only: the quota managers load with the first quota (broker.ts), not with dispatch.
import type { RequestQuota } from './request-quota.ts';

/** Cluster actions are exempt from request quotas (Kafka: sendResponseExemptThrottle). */
const EXEMPT = new Set<number>([WriteTxnMarkersFacts.key]);
/** Handlers that wait on other clients (a rebalance): only their synchronous part is request time. */
const WAIT_ON_OTHERS = new Set<number>([JoinGroupFacts.key, SyncGroupFacts.key]);

/** The quota of a request about to be handled, or undefined while no quota was ever set (nothing is measured). */
export function startRequestQuota(broker: BrokerContext, conn: ConnectionInfo, apiKey: number, clientId: string | null, requestBytes: number): RequestQuota | undefined {
  const quotas = broker.quotas;
  if (quotas === undefined || !quotas.enabled || EXEMPT.has(apiKey)) return undefined;
  return quotas.startRequest(conn.principal, clientId, conn, broker.now, requestBytes);
}

/** Right after handle() returned (before any await): fixes the request time of handlers that wait on others. */
export function handlerReturned(quota: RequestQuota | undefined, apiKey: number): void {
  if (quota !== undefined && WAIT_ON_OTHERS.has(apiKey)) quota.fixRequestTime();
}

/**
 * Once the handler answered: unless it applied quotas itself (Produce, Fetch), records the request time
 * against request_percentage and, over quota, puts the throttle time into the response's
 * throttle_time_ms (every API that has the field) and mutes the connection for it.
 */
export function finishRequestQuota(quota: RequestQuota | undefined, response: unknown): void {
  if (quota === undefined || quota.handled) return;
  const ms = quota.requestThrottleMs();
  if (ms <= 0) return;
  if (response !== null && typeof response === 'object' && 'throttleTimeMs' in response) {
    const r = response as { throttleTimeMs?: number };
    r.throttleTimeMs = Math.max(r.throttleTimeMs ?? 0, ms);
  }
  quota.throttle(ms);
}
