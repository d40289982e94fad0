/**
 * In-process implementation of the etcd data model (see kv-backend.ts) for the single-node broker and
 * for tests. Same semantics as etcd where the metadata store can tell: one global revision bumped by
 * every write transaction, create/mod revisions, leases that delete their keys when they end, and
 * watches that deliver asynchronously (never inside the writer's call stack, as over the network).
 *
 * Time is injected: a lease expires when `expireLeases()` runs after its deadline. The single-node
 * broker calls `startLeaseExpiry()`; tests advance a fake clock and call `expireLeases()` themselves.
 */
import type { Compare, KeyValue, KvBackend, KvWatch, TxnOp, TxnResult, WatchEvent } from './kv-backend.ts';

export interface Clock {
  now(): number;
}

interface LeaseEntry {
  ttlMs: number;
  deadline: number;
}

interface Watcher {
  prefix: string;
  onEvents: (events: WatchEvent[]) => void;
  closed: boolean;
}

export class MemoryKv implements KvBackend {
  private readonly clock: Clock;
  private readonly data = new Map<string, KeyValue>();
  private readonly leases = new Map<string, LeaseEntry>();
  /** Every committed change, kept so a watch can start from an older revision as etcd allows. */
  private readonly history: { revision: number; events: WatchEvent[] }[] = [];
  private readonly watchers = new Set<Watcher>();
  private revision = 1;
  private nextLeaseId = 1;
  private expiryTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  constructor(clock: Clock = { now: () => Date.now() }) {
    this.clock = clock;
  }

  async get(key: string): Promise<{ kv: KeyValue | null; revision: number }> {
    this.checkOpen();
    const kv = this.data.get(key);
    return { kv: kv ? { ...kv } : null, revision: this.revision };
  }

  async range(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }> {
    this.checkOpen();
    const kvs = [...this.data.values()].filter((kv) => kv.key.startsWith(prefix)).map((kv) => ({ ...kv }));
    kvs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { kvs, revision: this.revision };
  }

  async txn(compares: Compare[], success: TxnOp[]): Promise<TxnResult> {
    this.checkOpen();
    for (const c of compares) {
      const kv = this.data.get(c.key);
      const actual = kv ? (c.target === 'create' ? kv.createRevision : kv.modRevision) : 0;
      if (actual !== c.equals) return { succeeded: false, revision: this.revision };
    }
    for (const op of success) {
      if (op.op === 'put' && op.lease !== undefined && op.lease !== '0' && !this.leases.has(op.lease)) {
        throw new Error(`lease ${op.lease} not found (expired or revoked)`);
      }
    }
    if (success.length === 0) return { succeeded: true, revision: this.revision };
    const rev = this.revision + 1;
    const events: WatchEvent[] = [];
    for (const op of success) {
      if (op.op === 'put') {
        const prev = this.data.get(op.key);
        const kv: KeyValue = {
          key: op.key,
          value: op.value,
          createRevision: prev ? prev.createRevision : rev,
          modRevision: rev,
          lease: op.lease ?? '0',
        };
        this.data.set(op.key, kv);
        events.push({ type: 'put', kv: { ...kv } });
      } else {
        const keys = op.op === 'delete' ? [op.key] : [...this.data.keys()].filter((k) => k.startsWith(op.prefix));
        for (const key of keys) if (this.data.delete(key)) events.push(deleteEvent(key, rev));
      }
    }
    if (events.length > 0) this.commit(rev, events);
    return { succeeded: true, revision: this.revision };
  }

  async grantLease(ttlMs: number): Promise<string> {
    this.checkOpen();
    if (!(ttlMs > 0)) throw new Error(`lease TTL must be positive, got ${ttlMs}`);
    const id = String(this.nextLeaseId++);
    this.leases.set(id, { ttlMs, deadline: this.clock.now() + ttlMs });
    return id;
  }

  async keepAlive(leaseId: string): Promise<number> {
    this.checkOpen();
    const lease = this.leases.get(leaseId);
    if (!lease) return 0;
    lease.deadline = this.clock.now() + lease.ttlMs;
    return lease.ttlMs;
  }

  async revokeLease(leaseId: string): Promise<void> {
    this.checkOpen();
    this.endLease(leaseId);
  }

  /** Ends every lease whose deadline has passed, deleting its keys (one revision per lease, as etcd). */
  expireLeases(): void {
    const now = this.clock.now();
    for (const [id, lease] of this.leases) if (lease.deadline <= now) this.endLease(id);
  }

  /** Runs `expireLeases` on a timer (unref'd) — what the single-node broker uses with the wall clock. */
  startLeaseExpiry(intervalMs = 500): void {
    if (this.expiryTimer) return;
    this.expiryTimer = setInterval(() => this.expireLeases(), intervalMs);
    this.expiryTimer.unref();
  }

  async watch(
    prefix: string,
    fromRevision: number,
    onEvents: (events: WatchEvent[]) => void,
    _onError: (err: Error) => void,
  ): Promise<KvWatch> {
    this.checkOpen();
    const watcher: Watcher = { prefix, onEvents, closed: false };
    // Replay history from the requested revision, then register for live changes; both delivered
    // asynchronously and in order because they go through the same microtask queue.
    for (const h of this.history) {
      if (h.revision < fromRevision) continue;
      this.deliver(watcher, h.events);
    }
    this.watchers.add(watcher);
    return {
      close: () => {
        watcher.closed = true;
        this.watchers.delete(watcher);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.expiryTimer = null;
    for (const w of this.watchers) w.closed = true;
    this.watchers.clear();
  }

  private endLease(leaseId: string): void {
    if (!this.leases.delete(leaseId)) return;
    const keys = [...this.data.values()].filter((kv) => kv.lease === leaseId).map((kv) => kv.key);
    if (keys.length === 0) return;
    const rev = this.revision + 1;
    for (const key of keys) this.data.delete(key);
    this.commit(rev, keys.map((key) => deleteEvent(key, rev)));
  }

  private commit(rev: number, events: WatchEvent[]): void {
    this.revision = rev;
    this.history.push({ revision: rev, events });
    // Bound the history: watchers only ever start from a recent snapshot's revision.
    if (this.history.length > 10_000) this.history.splice(0, this.history.length - 10_000);
    for (const w of this.watchers) this.deliver(w, events);
  }

  private deliver(w: Watcher, events: WatchEvent[]): void {
    const mine = events.filter((e) => e.kv.key.startsWith(w.prefix));
    if (mine.length === 0) return;
    queueMicrotask(() => {
      if (!w.closed) w.onEvents(mine);
    });
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('metadata store is closed');
  }
}

function deleteEvent(key: string, rev: number): WatchEvent {
  return { type: 'delete', kv: { key, value: '', createRevision: 0, modRevision: rev, lease: '0' } };
}
