/**
 * A broker's membership in the cluster: registers under a lease and keeps it alive, campaigns for the
 * controller role (a lease-backed key, like ZooKeeper-mode Kafka's /controller ephemeral node), and
 * while controller reacts to metadata changes by running `Controller.reconcile` — one run at a time.
 * A lost controller key makes every member campaign again; the winner's epoch is the new key's revision.
 *
 * Controlled shutdown: flag the registration, wait until the controller moved every leadership away,
 * then resign and revoke the lease (Kafka's BrokerHeartbeat wantShutDown → shouldShutDown).
 */
import { randomUUID } from 'node:crypto';
import { Controller, NotControllerError, silentClusterLogger, type ClusterLogger, type ControllerConfig } from './controller.ts';
import { DuplicateBrokerRegistrationError, type BrokerRegistration, type ControllerInfo, type ListenerEndpoint, type Lease, type MetadataEvent, type MetadataSnapshot, type MetadataStore, type MetadataWatch, type RegisteredBroker } from './metadata-store.ts';

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
}

const systemTimers: Timers = {
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  },
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
};

/** How long to wait before retrying controller work or a broken watch after a store error. */
const RETRY_MS = 1000;

export interface ClusterMemberOptions {
  store: MetadataStore;
  nodeId: number;
  host: string;
  port: number;
  /** Every listener's advertised address (registered so clients of each listener are told theirs). */
  endpoints?: ListenerEndpoint[];
  rack?: string | null;
  /** Session timeout: how long after the last keep-alive the cluster declares this broker lost. */
  leaseTtlMs?: number;
  /** `leader.imbalance.check.interval.seconds` in ms (Kafka: 300 s). */
  leaderImbalanceCheckIntervalMs?: number;
  config?: ControllerConfig;
  logger?: ClusterLogger;
  timers?: Timers;
  /** Every metadata change this member sees, in order — how the broker applies leader/ISR changes. */
  onMetadataEvent?: (event: MetadataEvent) => void;
  /**
   * The listing every watch starts from (at start and after a broken watch): the events that follow
   * are exactly those after `snapshot.revision`, so a cache built from both misses nothing.
   */
  onMetadataSnapshot?: (snapshot: MetadataSnapshot) => void;
}

export class ClusterMember {
  private readonly opts: ClusterMemberOptions;
  private readonly log: ClusterLogger;
  private readonly timers: Timers;
  private lease: Lease | null = null;
  private registration: BrokerRegistration;
  private registered: RegisteredBroker | null = null;
  private watch: MetadataWatch | null = null;
  private keepAliveTimer: unknown = null;
  private rebalanceTimer: unknown = null;
  private work: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Set while this node is the controller. */
  controller: Controller | null = null;
  /** Last controller seen in the store. */
  currentController: ControllerInfo | null = null;

  constructor(opts: ClusterMemberOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentClusterLogger;
    this.timers = opts.timers ?? systemTimers;
    this.registration = { nodeId: opts.nodeId, host: opts.host, port: opts.port, ...(opts.endpoints ? { endpoints: opts.endpoints } : {}), rack: opts.rack ?? null, incarnationId: randomUUID(), inControlledShutdown: false };
  }

  get brokerEpoch(): number {
    return this.registered?.brokerEpoch ?? -1;
  }

  /** The lease id of the current session (tests revoke it to simulate a session loss). */
  get leaseId(): string | null {
    return this.lease?.id ?? null;
  }

  async start(): Promise<void> {
    await this.openSession();
    const ttl = this.opts.leaseTtlMs ?? 6000;
    this.keepAliveTimer = this.timers.setInterval(() => void this.keepAlive(), Math.max(100, Math.floor(ttl / 3)));
    await this.openWatch();
    if (this.opts.leaderImbalanceCheckIntervalMs) {
      this.rebalanceTimer = this.timers.setInterval(() => this.enqueue(async () => void (await this.controller?.autoRebalance())), this.opts.leaderImbalanceCheckIntervalMs);
    }
  }

  /** Grants a lease and registers under it: a new session, hence a new broker epoch. */
  private async openSession(): Promise<void> {
    const ttl = this.opts.leaseTtlMs ?? 6000;
    const lease = await this.opts.store.grantLease(ttl);
    // A broker restarted right after a crash finds its previous incarnation still registered until
    // that lease runs out; wait for it (as a ZooKeeper-mode broker waits out the old session), but
    // not forever: a second live broker with the same node id is a configuration error.
    const deadline = Date.now() + ttl + 5000;
    for (;;) {
      try {
        this.registered = await this.opts.store.registerBroker(this.registration, lease);
        this.lease = lease;
        return;
      } catch (err) {
        if (!(err instanceof DuplicateBrokerRegistrationError) || Date.now() > deadline || this.stopped) {
          await lease.revoke().catch(() => {});
          throw err;
        }
        await lease.keepAlive();
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private keepingAlive = false;
  private async keepAlive(): Promise<void> {
    if (this.keepingAlive || this.stopped || !this.lease) return;
    this.keepingAlive = true;
    try {
      if (await this.lease.keepAlive()) return;
      // The session ended while we were alive (paused, partitioned from etcd): the cluster has already
      // fenced us. As a ZooKeeper-mode broker after session expiry: drop the controller role and
      // register again — with a new broker epoch, so nothing sent under the old one is accepted.
      this.log.warn(`node ${this.opts.nodeId}: lease ended; re-registering (new broker epoch)`);
      this.controller = null;
      await this.openSession();
      this.enqueue(() => this.campaign());
    } catch (err) {
      if (!this.stopped) this.log.warn(`node ${this.opts.nodeId}: keep-alive failed: ${String(err)}`);
    } finally {
      this.keepingAlive = false;
    }
  }

  /** Lists then watches from the listing's revision, so no change is missed; re-done when a watch breaks. */
  private async openWatch(): Promise<void> {
    const snap = await this.opts.store.snapshot();
    this.currentController = snap.controller;
    if (this.stopped) return;
    try {
      this.opts.onMetadataSnapshot?.(snap);
    } catch (err) {
      this.log.warn(`node ${this.opts.nodeId}: metadata listener failed on the listing: ${String(err)}`);
    }
    this.watch = await this.opts.store.watch(
      snap.revision + 1,
      (ev) => this.onEvent(ev),
      (err) => {
        if (this.stopped) return;
        this.log.warn(`node ${this.opts.nodeId}: metadata watch broke (${err.message}); re-listing`);
        this.watch?.close();
        this.watch = null;
        this.retryWatch();
      },
    );
    if (!snap.controller) this.enqueue(() => this.campaign());
    // Whatever happened while we were not watching, a controller re-examines it.
    else if (this.controller) this.enqueue(async () => void (await this.controller?.reconcile()));
  }

  private retryWatch(): void {
    this.timers.setTimeout(() => {
      if (this.stopped) return;
      this.openWatch().catch((err: unknown) => {
        this.log.warn(`node ${this.opts.nodeId}: cannot re-watch metadata: ${String(err)}`);
        this.retryWatch();
      });
    }, RETRY_MS);
  }

  /** Waits for queued controller work (tests and shutdown). */
  idle(): Promise<void> {
    return this.work;
  }

  /**
   * Controlled shutdown: mark this broker as leaving, wait (up to `timeoutMs`) until it leads no
   * partition, then leave. Resolves to the number of partitions it still led when it gave up waiting.
   */
  async controlledShutdown(timeoutMs = 30_000, pollMs = 100): Promise<number> {
    if (!this.lease) return 0;
    this.registration = { ...this.registration, inControlledShutdown: true };
    await this.opts.store.updateBroker(this.registration, this.lease);
    const deadline = Date.now() + timeoutMs;
    let remaining = 0;
    for (;;) {
      if (this.controller) await this.enqueue(async () => void (await this.controller?.reconcile()));
      const snap = await this.opts.store.snapshot();
      remaining = Controller.leaderships(snap, this.opts.nodeId).length;
      if (remaining === 0 || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    await this.close();
    return remaining;
  }

  /** Leaves cleanly: resigns the controller role and revokes the lease (the cluster sees it at once). */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.halt();
    await this.work.catch(() => {});
    if (this.lease) {
      await this.opts.store.resign(this.opts.nodeId, this.lease).catch(() => {});
      await this.lease.revoke().catch(() => {});
    }
  }

  /** Stops everything without telling the store, as a crash would: the lease runs out on its own. */
  crash(): void {
    this.halt();
  }

  private halt(): void {
    this.stopped = true;
    if (this.keepAliveTimer) this.timers.clearInterval(this.keepAliveTimer);
    if (this.rebalanceTimer) this.timers.clearInterval(this.rebalanceTimer);
    this.watch?.close();
    this.controller = null;
  }

  private onEvent(ev: MetadataEvent): void {
    if (this.stopped) return;
    try {
      this.opts.onMetadataEvent?.(ev);
    } catch (err) {
      this.log.warn(`node ${this.opts.nodeId}: metadata listener failed on ${ev.type}: ${String(err)}`);
    }
    if (ev.type === 'controller-changed') {
      this.currentController = ev.controller;
      if (!ev.controller) this.enqueue(() => this.campaign());
      else if (this.controller && ev.controller.controllerEpoch !== this.controller.controllerEpoch) this.controller = null;
      return;
    }
    if (this.controller && (ev.type === 'broker-registered' || ev.type === 'broker-unregistered' || ev.type === 'topic-created')) {
      this.enqueue(async () => void (await this.controller?.reconcile()));
    }
    // A reassignment finishes once every target replica joined the ISR (the leader's AlterPartition).
    if (this.controller && ev.type === 'partition-changed' && ev.partition.targetReplicas) {
      this.enqueue(async () => void (await this.controller?.completeReassignments()));
    }
  }

  private async campaign(): Promise<void> {
    if (this.stopped || !this.lease || this.controller) return;
    const res = await this.opts.store.campaign(this.opts.nodeId, this.lease);
    this.currentController = res.controller;
    if (!res.elected || !res.controller) return;
    this.controller = new Controller({
      store: this.opts.store,
      nodeId: this.opts.nodeId,
      controllerEpoch: res.controller.controllerEpoch,
      ...(this.opts.config ? { config: this.opts.config } : {}),
      logger: this.log,
    });
    this.log.info(`node ${this.opts.nodeId}: elected controller (epoch ${res.controller.controllerEpoch})`);
    // A new controller first catches up with whatever happened while there was none.
    await this.controller.reconcile();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.work = this.work.then(task).catch((err: unknown) => {
      if (err instanceof NotControllerError) {
        this.controller = null;
        this.log.warn(err.message);
      } else if (!this.stopped) {
        // A store error (etcd unreachable for a moment): run the same work again shortly, so a lost
        // broker is not forgotten just because its watch event arrived during the outage.
        this.log.warn(`node ${this.opts.nodeId}: controller work failed, retrying: ${String(err)}`);
        this.timers.setTimeout(() => void this.enqueue(task), RETRY_MS);
      }
    });
    return this.work;
  }
}
