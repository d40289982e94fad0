/**
 * Cluster mode: coordinator immigration and emigration, as Kafka's GroupCoordinator.onElection /
 * onResignation and TransactionCoordinator.onElection / onResignation.
 *
 * kstream keeps all group state in `__consumer_offsets`-0 and all transaction state in
 * `__transaction_state`-0. Those partitions are replicated like any topic. When this broker becomes
 * their leader (the store says so and the replica manager leads at that leader epoch) it loads the
 * coordinator from its local replica of the log — requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS
 * (coordinator-placement.ts) — and when it stops leading it unloads it: parked requests and any later
 * request get NOT_COORDINATOR, so clients look the coordinator up again.
 *
 * Coordinator writes go through `ClusterCoordinatorWriteGuard`: only on the leader, acknowledged when
 * the ISR holds them (acks=all), as Kafka's coordinators append with acks=-1.
 */
import type { CoordinatorWriteGuard } from '../coordinator/partition-offset-log.ts';
import { ErrorCode, errorName } from '../protocol/error-codes.ts';
import type { ReplicaManager } from '../replication/replica-manager.ts';
import type { ClusterMode } from './cluster-mode.ts';
import type { Logger } from './logger.ts';

/** What a coordinator must offer to be loaded and unloaded here. */
export interface Unloadable {
  close(): Promise<void>;
}

export type CoordinatorLoadState = 'loaded' | 'loading' | 'not-loaded';

class Slot<C extends Unloadable> {
  current: C;
  /** The leader epoch `current` was loaded at; null = not serving (the startup instance, or resigned). */
  loadedEpoch: number | null = null;
  /** `current` has not been closed yet. */
  open = true;
  busy = false;
  again = false;

  readonly topic: string;
  readonly load: () => Promise<C>;

  constructor(topic: string, initial: C, load: () => Promise<C>) {
    this.topic = topic;
    this.current = initial;
    this.load = load;
  }
}

export class CoordinatorElection {
  readonly #cluster: ClusterMode;
  readonly #logger: Logger;
  readonly #slots: Slot<Unloadable>[];
  readonly #group: Slot<Unloadable>;
  readonly #txn: Slot<Unloadable> | null;
  #closed = false;
  #unsubscribe: () => void = () => {};

  /**
   * `group` / `transactions`: the instances loaded at start (from this broker's possibly stale local
   * copy: they serve nothing until an election reloads them) and how to load a fresh one.
   */
  constructor(
    cluster: ClusterMode,
    logger: Logger,
    group: { topic: string; initial: Unloadable; load: () => Promise<Unloadable> },
    transactions: { topic: string; initial: Unloadable; load: () => Promise<Unloadable> } | null,
  ) {
    this.#cluster = cluster;
    this.#logger = logger;
    this.#group = new Slot(group.topic, group.initial, group.load);
    this.#txn = transactions ? new Slot(transactions.topic, transactions.initial, transactions.load) : null;
    this.#slots = this.#txn ? [this.#group, this.#txn] : [this.#group];
  }

  /** Starts following the cluster: every applied metadata change may elect or resign a coordinator. */
  start(): void {
    this.#unsubscribe = this.#cluster.onSynced(() => this.check());
    this.check();
  }

  /** The group coordinator instance of the moment (closed ones answer NOT_COORDINATOR). */
  groupCoordinator<C extends Unloadable>(): C {
    return this.#group.current as C;
  }

  transactionCoordinator<C extends Unloadable>(): C | undefined {
    return this.#txn?.current as C | undefined;
  }

  /** Whether the coordinator of `topic` serves here now, is loading, or neither. */
  state(topic: string): CoordinatorLoadState {
    const slot = this.#slots.find((s) => s.topic === topic);
    if (!slot) return 'not-loaded';
    const p = this.#cluster.partition(topic, 0);
    if (slot.loadedEpoch !== null && p && slot.loadedEpoch === p.leaderEpoch && this.#cluster.leaderCheck(topic, 0) === ErrorCode.NONE) return 'loaded';
    return p?.leader === this.#cluster.nodeId ? 'loading' : 'not-loaded';
  }

  check(): void {
    for (const slot of this.#slots) void this.#transition(slot);
  }

  async #transition(slot: Slot<Unloadable>): Promise<void> {
    if (slot.busy) {
      slot.again = true;
      return;
    }
    slot.busy = true;
    try {
      do {
        slot.again = false;
        if (this.#closed) return;
        const leading = this.#cluster.leaderCheck(slot.topic, 0) === ErrorCode.NONE;
        const epoch = this.#cluster.partition(slot.topic, 0)?.leaderEpoch ?? -1;
        if (leading && slot.loadedEpoch !== epoch) {
          // Immigration: whatever this broker held before is stale; replay the replica it now leads.
          await this.#unload(slot);
          const started = performance.now();
          this.#logger.info(`coordinator: elected for ${slot.topic}-0 at leader epoch ${epoch}; loading its state`);
          try {
            slot.current = await slot.load();
            slot.open = true;
            slot.loadedEpoch = epoch;
            this.#logger.info(`coordinator: ${slot.topic}-0 loaded in ${Math.round(performance.now() - started)} ms (leader epoch ${epoch})`);
          } catch (err) {
            this.#logger.error(`coordinator: loading ${slot.topic}-0 failed: ${(err as Error).message}`);
          }
          // Leadership may have moved while loading: look again.
          slot.again = true;
          if (this.#cluster.leaderCheck(slot.topic, 0) === ErrorCode.NONE && (this.#cluster.partition(slot.topic, 0)?.leaderEpoch ?? -1) === slot.loadedEpoch) slot.again = false;
        } else if (!leading && (slot.open || slot.loadedEpoch !== null)) {
          // Emigration: stop serving; parked and later requests get NOT_COORDINATOR.
          if (slot.loadedEpoch !== null) this.#logger.info(`coordinator: no longer leading ${slot.topic}-0; unloaded`);
          await this.#unload(slot);
        }
      } while (slot.again && !this.#closed);
    } finally {
      slot.busy = false;
    }
  }

  async #unload(slot: Slot<Unloadable>): Promise<void> {
    slot.loadedEpoch = null;
    if (!slot.open) return;
    slot.open = false;
    await slot.current.close().catch((err: unknown) => this.#logger.warn(`coordinator: unloading ${slot.topic}-0: ${(err as Error).message}`));
  }

  /** Stops following the cluster (the broker closes the current instances itself). */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
  }
}

/**
 * Coordinator writes in cluster mode: refused off the leader (nothing written) and acknowledged once
 * the high watermark passes them, i.e. every ISR member holds them (Kafka appends coordinator records
 * with acks=-1 and `offsets.commit.timeout.ms`). The replica manager is bound once the broker has it.
 */
export class ClusterCoordinatorWriteGuard implements CoordinatorWriteGuard {
  replicas: ReplicaManager | null = null;
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  beforeAppend(topic: string): void {
    const state = this.replicas?.partitionState(topic, 0);
    if (!this.replicas || !state || state.role !== 'leader') throw new Error(`not the leader of ${topic}-0: coordinator write refused`);
    const code = this.replicas.checkProduce(state, -1);
    if (code !== ErrorCode.NONE) throw new Error(`${topic}-0 refuses the coordinator write: ${errorName(code)}`);
  }

  async afterAppend(topic: string, endOffset: number): Promise<void> {
    const state = this.replicas?.partitionState(topic, 0);
    if (!this.replicas || !state) throw new Error(`${topic}-0 is no longer managed here`);
    const code = await this.replicas.awaitReplication(state, endOffset, this.#timeoutMs);
    if (code !== ErrorCode.NONE) throw new Error(`${topic}-0 coordinator write not replicated: ${errorName(code)}`);
  }
}
