import type { Logger } from '../logger.ts';
import { ClientQuotaManager, type QuotaSession } from './client-quota-manager.ts';
import type { ClientQuotaStore, QuotaChange } from './client-quota-store.ts';
import { RequestQuota, type Throttleable } from './request-quota.ts';
import { CLIENT_ID, CONSUMER_BYTE_RATE, CONTROLLER_MUTATION_RATE, describeEntity, IP, PRODUCER_BYTE_RATE, REQUEST_PERCENTAGE, USER } from './quota-entity.ts';

export interface ClientQuotasConfig {
  /** quota.window.num (Kafka's default 11). */
  readonly samples: number;
  /** quota.window.size.seconds (Kafka's default 1). */
  readonly windowSeconds: number;
}

/**
 * The broker's client quota managers (Kafka's QuotaFactory.QuotaManagers), fed by the quota store:
 * a value set or removed with AlterClientQuotas reaches its manager at once, and the stored ones are
 * replayed at start.
 *
 * `controller_mutation_rate` is stored and described but not enforced (Kafka's
 * ControllerMutationQuotaManager answers over-quota CreateTopics/CreatePartitions/DeleteTopics with
 * THROTTLING_QUOTA_EXCEEDED); `connection_creation_rate` (ip entities) likewise.
 */
export class ClientQuotas {
  readonly produce: ClientQuotaManager;
  readonly fetch: ClientQuotaManager;
  readonly request: ClientQuotaManager;
  readonly controllerMutation: ClientQuotaManager;
  readonly store: ClientQuotaStore;
  private readonly byKey: ReadonlyMap<string, ClientQuotaManager>;

  constructor(store: ClientQuotaStore, config: ClientQuotasConfig, logger?: Logger) {
    const rate = { samples: config.samples, windowMs: config.windowSeconds * 1000 };
    this.produce = new ClientQuotaManager(PRODUCER_BYTE_RATE, rate);
    this.fetch = new ClientQuotaManager(CONSUMER_BYTE_RATE, rate);
    // ClientRequestQuotaManager: a throttle never exceeds one quota window.
    this.request = new ClientQuotaManager(REQUEST_PERCENTAGE, { ...rate, maxThrottleMs: rate.windowMs });
    this.controllerMutation = new ClientQuotaManager(CONTROLLER_MUTATION_RATE, rate);
    this.byKey = new Map([this.produce, this.fetch, this.request, this.controllerMutation].map((m) => [m.key, m]));
    this.store = store;
    store.onChange((c) => this.apply(c, logger));
    store.replay();
  }

  /** True once any produce, fetch or request quota was set: only then is anything measured. */
  get enabled(): boolean {
    return this.produce.enabled || this.fetch.enabled || this.request.enabled;
  }

  /** The quota bookkeeping of one request from `principal`/`clientId` on `connection`. */
  startRequest(principal: string, clientId: string | null, connection: Throttleable, now: () => number, requestBytes: number): RequestQuota {
    return new RequestQuota(this, quotaSession(principal, clientId), connection, now, requestBytes);
  }

  private apply(c: QuotaChange, logger: Logger | undefined): void {
    if (IP in c.entity) return;
    const m = this.byKey.get(c.key);
    if (!m) return;
    m.update(c.entity[USER], c.entity[CLIENT_ID], c.value);
    logger?.info(c.value === null ? `quota ${c.key} of ${describeEntity(c.entity)} removed` : `quota ${c.key} of ${describeEntity(c.entity)} set to ${c.value}`);
  }
}

/** The quota session of a connection's request: the principal's name (without `User:`) and the client id. */
export function quotaSession(principal: string, clientId: string | null): QuotaSession {
  const colon = principal.indexOf(':');
  return { user: colon >= 0 ? principal.slice(colon + 1) : principal, clientId: clientId ?? '' };
}
