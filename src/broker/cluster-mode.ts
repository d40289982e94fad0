/**
 * Cluster mode: what a broker started with `metadata.store=etcd://…` adds to the single node. It
 * joins the cluster (src/cluster/cluster-member.ts: lease, registration, controller campaign), keeps
 * an in-memory image of the store (listing + watch, in order), makes its local logs follow that image
 * (topics it holds a replica of exist locally, leader epochs as the store says) and hands every
 * partition state to the replica manager through the replication seam (ReplicaControl), whose
 * AlterPartition requests it turns into compare-and-sets on the partition epoch (IsrChangeSink).
 *
 * Handlers read this image to answer Metadata / DescribeCluster / FindCoordinator as a Kafka cluster
 * would and to refuse requests for partitions this broker does not lead (NOT_LEADER_OR_FOLLOWER).
 *
 * Arrows: broker → cluster (decisions, store) and broker → replication (seam); never the reverse.
 */
import { ClusterMember } from '../cluster/cluster-member.ts';
import type { ClusterLogger } from '../cluster/controller.ts';
import {
  NO_LEADER,
  type ListenerEndpoint,
  type MetadataEvent,
  type MetadataSnapshot,
  type MetadataStore,
  type RegisteredBroker,
  type TopicPartitionState,
  type TopicRecord,
} from '../cluster/metadata-store.ts';
import { alterReassignment, electLeader, type ReassignmentOutcome } from '../cluster/reassignment.ts';
import { newTopicId } from '../cluster/stores.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { ClusterTopicError } from './cluster-topic-error.ts';
import { addedPartitionReplicas, initialPartitionStates, newTopicReplicas, type PlacementBrokers } from './cluster-topic-placement.ts';
import type { IsrChangeRequest, IsrChangeResult, IsrChangeSink, PartitionAssignment, ReplicaControl, ReplicaEndpoint } from '../replication/replication-seam.ts';
import { TopicAlreadyExistsError } from '../storage/errors.ts';
import { isInternalTopic } from '../storage/topic-name.ts';
import type { LogManager } from '../storage/log-manager.ts';
import type { BrokerConfig } from './config.ts';
import type { Logger } from './logger.ts';

export interface ClusterModeOptions {
  store: MetadataStore;
  nodeId: number;
  /** This broker's inter-broker address, registered for clients and other brokers. */
  host: string;
  port: number;
  /** Every listener's advertised address by listener name (Kafka registers them all). */
  endpoints?: ListenerEndpoint[];
  rack: string | null;
  logs: LogManager;
  config: BrokerConfig;
  logger: Logger;
  /** Session timeout (Kafka's broker.session.timeout.ms). */
  sessionTimeoutMs: number;
}

/** A topic creation as CreateTopics / auto-creation ask for it. */
export interface ClusterTopicRequest {
  name: string;
  partitions: number;
  /** -1 = default.replication.factor. */
  replicationFactor: number;
  /** Explicit replicas per partition (CreateTopics assignments), instead of partitions/RF. */
  assignments?: number[][];
  configs: Record<string, string>;
  validateOnly?: boolean;
  /** Internal topics (__consumer_offsets, __transaction_state): already open locally, not validated by storage. */
  internal?: boolean;
  topicId?: string;
}

/** What the broker needs of the replica manager beyond the seam: which partitions it has taken on. */
export interface ManagedReplicas extends ReplicaControl {
  partitionState(topic: string, partition: number): { role: 'leader' | 'follower' | 'none'; assignment: { leaderEpoch: number } } | undefined;
}

export { ClusterTopicError } from './cluster-topic-error.ts';

/** How long CreateTopics waits for the new topic to show up in this broker's image and logs. */
const CREATE_VISIBLE_TIMEOUT_MS = 10_000;

export class ClusterMode implements IsrChangeSink {
  readonly nodeId: number;
  readonly store: MetadataStore;
  private readonly opts: ClusterModeOptions;
  private readonly log: Logger;
  private readonly member: ClusterMember;
  private replicas: ManagedReplicas | null = null;
  private readonly brokers = new Map<number, RegisteredBroker>();
  private readonly topics = new Map<string, TopicRecord>();
  private readonly partitions = new Map<string, TopicPartitionState[]>();
  private controller = -1;
  /** One sync of local logs with the image at a time; a request during one runs again after it. */
  private syncing: Promise<void> = Promise.resolve();
  private syncAgain = false;
  private syncQueued = false;
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(opts: ClusterModeOptions) {
    this.opts = opts;
    this.nodeId = opts.nodeId;
    this.store = opts.store;
    this.log = opts.logger;
    const clusterLog: ClusterLogger = { info: (m) => opts.logger.info(`cluster: ${m}`), warn: (m) => opts.logger.warn(`cluster: ${m}`) };
    this.member = new ClusterMember({
      store: opts.store,
      nodeId: opts.nodeId,
      host: opts.host,
      port: opts.port,
      ...(opts.endpoints ? { endpoints: opts.endpoints } : {}),
      rack: opts.rack,
      leaseTtlMs: opts.sessionTimeoutMs,
      leaderImbalanceCheckIntervalMs: opts.config.number('leader.imbalance.check.interval.seconds') * 1000,
      config: {
        uncleanLeaderElectionEnable: opts.config.boolean('unclean.leader.election.enable'),
        autoLeaderRebalanceEnable: opts.config.boolean('auto.leader.rebalance.enable'),
      },
      logger: clusterLog,
      onMetadataSnapshot: (snap) => this.onSnapshot(snap),
      onMetadataEvent: (ev) => this.onEvent(ev),
    });
  }

  /** Joins the cluster: registers (waiting out a previous incarnation's lease), lists and watches. */
  static async start(opts: ClusterModeOptions): Promise<ClusterMode> {
    const mode = new ClusterMode(opts);
    await mode.member.start();
    await mode.syncing;
    return mode;
  }

  /**
   * Connects the replica manager (src/replication): from now on it receives every partition state
   * this broker holds a replica of. Its AlterPartition requests come back through `alterPartition`.
   */
  attachReplicaControl(replicas: ManagedReplicas): void {
    this.replicas = replicas;
    this.requestSync();
  }

  // ---- the image ----

  get controllerId(): number {
    return this.controller;
  }

  liveBrokers(): RegisteredBroker[] {
    return [...this.brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Every live broker as a client of `listener` reaches it (Metadata, DescribeCluster). */
  brokersFor(listener: string | undefined): { nodeId: number; host: string; port: number; rack: string | null }[] {
    return this.liveBrokers().map((b) => ({ nodeId: b.nodeId, ...ClusterMode.addressFor(b, listener), rack: b.rack }));
  }

  isLive(nodeId: number): boolean {
    return this.brokers.has(nodeId);
  }

  topic(name: string): TopicRecord | undefined {
    return this.topics.get(name);
  }

  listTopics(): TopicRecord[] {
    return [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  topicById(topicId: string): TopicRecord | undefined {
    for (const t of this.topics.values()) if (t.topicId === topicId) return t;
    return undefined;
  }

  partitionsOf(topic: string): TopicPartitionState[] {
    return this.partitions.get(topic) ?? [];
  }

  partition(topic: string, partition: number): TopicPartitionState | undefined {
    return this.partitions.get(topic)?.[partition];
  }

  /**
   * NONE when this broker leads the partition; otherwise the error Kafka answers a client's
   * leader-only request with: UNKNOWN_TOPIC_OR_PARTITION (not in the cluster), NOT_LEADER_OR_FOLLOWER
   * (another broker leads), LEADER_NOT_AVAILABLE (offline: no leader at all).
   */
  leaderCheck(topic: string, partition: number): number {
    const p = this.partition(topic, partition);
    if (!p) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (p.leader === NO_LEADER) return ErrorCode.LEADER_NOT_AVAILABLE;
    if (p.leader !== this.nodeId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    // The store names us, but until the replica manager has become leader at this epoch the partition
    // is not served (a write now would be acknowledged without replication): the client retries.
    if (this.replicas) {
      const state = this.replicas.partitionState(topic, partition);
      if (state?.role !== 'leader' || state.assignment.leaderEpoch !== p.leaderEpoch) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    }
    return ErrorCode.NONE;
  }

  /**
   * Where a client of `listener` reaches broker `b`: its registered address for that listener name, as
   * Kafka's metadata cache answers per listener. A broker that did not register that listener (or no
   * listener names at all) is told by its inter-broker address — Kafka would leave it out.
   */
  static addressFor(b: RegisteredBroker, listener: string | undefined): { host: string; port: number } {
    const e = listener === undefined ? undefined : b.endpoints?.find((x) => x.listener === listener);
    return e ? { host: e.host, port: e.port } : { host: b.host, port: b.port };
  }

  endpoint(nodeId: number): ReplicaEndpoint | undefined {
    const b = this.brokers.get(nodeId);
    return b ? { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack } : undefined;
  }

  private onSnapshot(snap: MetadataSnapshot): void {
    this.brokers.clear();
    this.topics.clear();
    this.partitions.clear();
    for (const b of snap.brokers) this.brokers.set(b.nodeId, b);
    for (const t of snap.topics) this.topics.set(t.name, t);
    for (const p of snap.partitions) this.setPartition(p);
    this.controller = snap.controller?.nodeId ?? -1;
    this.changed();
  }

  private onEvent(ev: MetadataEvent): void {
    switch (ev.type) {
      case 'broker-registered':
        this.brokers.set(ev.broker.nodeId, ev.broker);
        break;
      case 'broker-unregistered':
        this.brokers.delete(ev.nodeId);
        break;
      case 'topic-created':
        this.topics.set(ev.topic.name, ev.topic);
        break;
      case 'topic-deleted':
        this.topics.delete(ev.name);
        this.partitions.delete(ev.name);
        break;
      case 'partition-changed':
        this.setPartition(ev.partition);
        break;
      case 'partition-deleted': {
        const list = this.partitions.get(ev.topic);
        if (list) delete list[ev.partition];
        break;
      }
      case 'controller-changed':
        this.controller = ev.controller?.nodeId ?? -1;
        break;
    }
    this.changed();
  }

  private setPartition(p: TopicPartitionState): void {
    let list = this.partitions.get(p.topic);
    if (!list) this.partitions.set(p.topic, (list = []));
    list[p.partition] = p;
  }

  private changed(): void {
    for (const w of this.waiters) w();
    this.requestSync();
  }

  /** Resolves once `cond` holds on the image (checked after every change), false after `timeoutMs`. */
  waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!cond()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      this.waiters.add(check);
    });
  }

  // ---- local logs and the replica manager follow the image ----

  private requestSync(): void {
    if (this.closed) return;
    if (this.syncQueued) {
      this.syncAgain = true;
      return;
    }
    this.syncQueued = true;
    this.syncing = this.syncing
      .then(async () => {
        do {
          this.syncAgain = false;
          await this.syncOnce();
        } while (this.syncAgain && !this.closed);
      })
      .catch((err: unknown) => this.log.error(`cluster: applying metadata failed: ${(err as Error).message}`))
      .finally(() => {
        this.syncQueued = false;
        for (const w of this.waiters) w();
        for (const l of this.syncListeners) l();
      });
  }

  /**
   * `listener` runs after every application of the image to the local logs and the replica manager
   * (the coordinators check there whether they gained or lost their partition). Returns an unsubscribe.
   */
  onSynced(listener: () => void): () => void {
    this.syncListeners.add(listener);
    return () => this.syncListeners.delete(listener);
  }

  private readonly syncListeners = new Set<() => void>();

  private async syncOnce(): Promise<void> {
    const logs = this.opts.logs;
    const assignments: PartitionAssignment[] = [];
    for (const t of this.topics.values()) {
      const all = this.partitionsOf(t.name).filter(Boolean);
      const states = all.filter((p) => p.replicas.includes(this.nodeId));
      // Every broker opens __consumer_offsets / __transaction_state at start with an id of its own;
      // the cluster's copy (one topic id, created once) wins: a replica whose local copy has another
      // id starts it again empty under the cluster's id and fetches it from the leader. Whatever the
      // local copy held (a single-node past) is not the cluster's state.
      const local = logs.getTopic(t.name);
      if (local && isInternalTopic(t.name) && local.topicId !== t.topicId && states.length > 0) {
        this.log.warn(`cluster: local ${t.name} (id ${local.topicId}) is not the cluster's (id ${t.topicId}); replacing it with an empty replica`);
        await logs.deleteTopic(t.name);
        await logs.createTopic(t.name, { partitions: t.partitionCount, configs: { ...local.configs, ...t.configs }, topicId: t.topicId });
      }
      // The replica manager sees every partition of a topic we hold: one no longer naming us stops.
      if (states.length === 0 && !logs.hasTopic(t.name)) continue;
      // CreatePartitions grew it: the local topic follows (non-replica partitions stay empty, as at creation).
      const grown = logs.getTopic(t.name);
      if (grown && states.length > 0 && grown.partitionCount < t.partitionCount) await logs.createPartitions(t.name, t.partitionCount);
      if (!logs.hasTopic(t.name) && states.length > 0) {
        try {
          await logs.createTopic(t.name, { partitions: t.partitionCount, configs: t.configs, topicId: t.topicId });
        } catch (err) {
          if (!(err instanceof TopicAlreadyExistsError)) throw err;
        }
      }
      for (const p of all) {
        const local = logs.partition(t.name, p.partition);
        // Without a replica manager, the leader epoch clients check (CurrentLeaderEpoch) is the
        // store's; with one, it sets it as it becomes leader or follower.
        if (!this.replicas && local && local.leaderEpoch < p.leaderEpoch) local.leaderEpoch = p.leaderEpoch;
        assignments.push({
          topic: p.topic,
          topicId: t.topicId,
          partition: p.partition,
          replicas: p.replicas,
          isr: p.isr,
          leader: p.leader,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
        });
      }
    }
    // Topics deleted from the cluster go from this broker too (only ones the cluster had: local
    // internal topics such as __kstream_meta's are not the store's to delete).
    for (const local of logs.listTopics()) {
      if (!this.topics.has(local.name) && this.everSeen.has(local.name)) {
        this.everSeen.delete(local.name);
        await logs.deleteTopic(local.name).catch((err: unknown) => this.log.warn(`cluster: deleting local ${local.name}: ${(err as Error).message}`));
      }
    }
    for (const t of this.topics.keys()) if (logs.hasTopic(t)) this.everSeen.add(t);
    if (this.replicas) {
      const endpoints = new Map<number, ReplicaEndpoint>();
      for (const b of this.brokers.values()) endpoints.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
      await this.replicas.applyAssignments(assignments, endpoints);
    }
  }

  private readonly everSeen = new Set<string>();

  /** Resolves once local logs reflect everything seen so far. */
  async settled(): Promise<void> {
    while (this.syncQueued) await this.syncing;
  }

  // ---- IsrChangeSink: the leader's AlterPartition as a CAS on the partition epoch ----

  async alterPartition(request: IsrChangeRequest): Promise<IsrChangeResult> {
    const current = this.partition(request.topic, request.partition) ?? (await this.readPartition(request.topic, request.partition));
    if (!current) return { ok: false, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    // Kafka's validateAlterPartitionData, on what the requesting leader saw.
    const fresh = (await this.readPartition(request.topic, request.partition)) ?? current;
    if (fresh.leader !== this.nodeId) return { ok: false, error: ErrorCode.NOT_LEADER_OR_FOLLOWER, current: this.toAssignment(fresh) };
    if (request.leaderEpoch < fresh.leaderEpoch) return { ok: false, error: ErrorCode.FENCED_LEADER_EPOCH, current: this.toAssignment(fresh) };
    if (request.partitionEpoch !== fresh.partitionEpoch) return { ok: false, error: ErrorCode.INVALID_UPDATE_VERSION, current: this.toAssignment(fresh) };
    if (!request.newIsr.includes(this.nodeId) || !request.newIsr.every((r) => fresh.replicas.includes(r))) {
      return { ok: false, error: ErrorCode.INVALID_REQUEST, current: this.toAssignment(fresh) };
    }
    // Only live, not shutting-down brokers may join (INELIGIBLE_REPLICA otherwise).
    const joining = request.newIsr.filter((r) => !fresh.isr.includes(r));
    if (joining.some((r) => !this.brokers.has(r) || this.brokers.get(r)!.inControlledShutdown)) {
      return { ok: false, error: ErrorCode.INELIGIBLE_REPLICA, current: this.toAssignment(fresh) };
    }
    const res = await this.store.alterPartition(request.topic, request.partition, fresh.partitionEpoch, {
      replicas: fresh.replicas,
      isr: request.newIsr,
      leader: fresh.leader,
      leaderEpoch: fresh.leaderEpoch,
      leaderRecoveryState: fresh.leaderRecoveryState,
      ...(fresh.targetReplicas ? { targetReplicas: fresh.targetReplicas } : {}),
    });
    if (res.ok) {
      this.setPartition(res.state);
      return { ok: true, assignment: this.toAssignment(res.state) };
    }
    if (res.reason === 'stale-partition-epoch') return { ok: false, error: ErrorCode.INVALID_UPDATE_VERSION, current: this.toAssignment(res.current) };
    return { ok: false, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  }

  private async readPartition(topic: string, partition: number): Promise<TopicPartitionState | undefined> {
    const snap = await this.store.snapshot();
    return snap.partitions.find((p) => p.topic === topic && p.partition === partition);
  }

  private toAssignment(p: TopicPartitionState): PartitionAssignment {
    return {
      topic: p.topic,
      topicId: this.topics.get(p.topic)?.topicId ?? '',
      partition: p.partition,
      replicas: p.replicas,
      isr: p.isr,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
    };
  }

  // ---- admin operations (CreateTopics, DeleteTopics, ElectLeaders, reassignments) ----

  /**
   * Creates a topic in the cluster: replicas placed as Kafka's rack-aware round robin over the live
   * brokers, every replica in the ISR, replicas[0] leading at epoch 0. Waits until this broker's
   * image (and, when it holds a replica, its local log) has it, so the next request finds it.
   */
  async createTopic(req: ClusterTopicRequest): Promise<TopicRecord> {
    const rf = req.replicationFactor === -1 ? this.opts.config.number('default.replication.factor') : req.replicationFactor;
    const replicaLists = newTopicReplicas(this.placementBrokers(), req.partitions, rf, req.assignments);
    if (this.topics.has(req.name)) throw new ClusterTopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${req.name}' already exists.`);
    // Name and config validation are storage's: the same rules as a single node, nothing written.
    if (!req.internal) await this.opts.logs.createTopic(req.name, { partitions: replicaLists.length, configs: req.configs, validateOnly: true });
    const record: TopicRecord = { name: req.name, topicId: req.topicId ?? newTopicId(), partitionCount: replicaLists.length, configs: req.configs };
    if (req.validateOnly) return record;
    if (!(await this.store.createTopic(record, initialPartitionStates(this.placementBrokers(), replicaLists)))) throw new ClusterTopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${req.name}' already exists.`);
    this.log.info(`cluster: created topic ${req.name} (${record.partitionCount} partitions, replicas ${replicaLists.map((r) => `[${r}]`).join(' ')})`);
    await this.waitFor(() => this.partitionsOf(req.name).filter(Boolean).length === record.partitionCount, CREATE_VISIBLE_TIMEOUT_MS);
    await this.settled();
    return record;
  }

  /**
   * CreatePartitions: grows `name` to `count` partitions. New replicas are placed as Kafka's
   * createNewPartitionsAssignment (partition 0's replication factor, the topic's layout continued,
   * rack-aware when every broker has a rack) unless `assignments` name them; every replica starts in
   * the ISR and replicas[0] leads at epoch 0, written with the new partition count in one etcd
   * transaction. Returns once this broker's image (and its logs) have them; the other brokers create
   * their replicas' logs as their watch applies the change.
   */
  async createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const t = this.topics.get(name);
      const p0 = this.partition(name, 0);
      if (!t || !p0) throw new ClusterTopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      const existing = t.partitionCount;
      if (!Number.isInteger(count) || count <= existing) {
        throw new ClusterTopicError(
          ErrorCode.INVALID_PARTITIONS,
          count === existing ? `Topic already has ${existing} partitions.` : `Topic currently has ${existing} partitions, which is higher than the requested ${count}.`,
        );
      }
      const toAdd = count - existing;
      const lists = addedPartitionReplicas(this.placementBrokers(), p0.replicas, existing, toAdd, assignments);
      // Storage's limits (partition count), nothing written.
      const local = this.opts.logs.getTopic(name);
      if (local && local.partitionCount < count) await this.opts.logs.createPartitions(name, count, { validateOnly: true });
      if (validateOnly) return;
      const res = await this.store.addPartitions(name, existing, initialPartitionStates(this.placementBrokers(), lists));
      if (res.ok) {
        this.log.info(`cluster: topic ${name} grown to ${count} partitions (new replicas ${lists.map((r) => `[${r}]`).join(' ')})`);
        await this.waitFor(() => this.partitionsOf(name).filter(Boolean).length >= count, CREATE_VISIBLE_TIMEOUT_MS);
        await this.settled();
        return;
      }
      if (res.reason === 'unknown-topic') throw new ClusterTopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      // Another broker grew it meanwhile: decide again on what the store now holds (a few times at most).
      if (attempt >= 3) throw new ClusterTopicError(ErrorCode.UNKNOWN_SERVER_ERROR, `Topic '${name}' kept changing in the metadata store while adding partitions; try again.`);
      await this.waitFor(() => (this.topics.get(name)?.partitionCount ?? -1) !== existing, CREATE_VISIBLE_TIMEOUT_MS);
    }
  }

  /** The brokers new replicas may go to (live, not shutting down) for cluster-topic-placement.ts. */
  private placementBrokers(): PlacementBrokers {
    return { live: this.liveBrokers().filter((b) => !b.inControlledShutdown), isRegistered: (id) => this.brokers.has(id) };
  }

  async deleteTopic(name: string): Promise<boolean> {
    const ok = await this.store.deleteTopic(name);
    if (ok) {
      await this.waitFor(() => !this.topics.has(name), CREATE_VISIBLE_TIMEOUT_MS);
      await this.settled();
    }
    return ok;
  }

  electLeader(topic: string, partition: number, electionType: number): Promise<ReassignmentOutcome> {
    return electLeader(this.store, topic, partition, electionType);
  }

  alterReassignment(topic: string, partition: number, target: number[] | null): Promise<ReassignmentOutcome> {
    return alterReassignment(this.store, topic, partition, target, new Set(this.brokers.keys()));
  }

  /**
   * Partitions with a reassignment in progress. The replicas held before it started are not kept
   * apart, so "adding" is the target replicas not yet in sync (Kafka: target minus original).
   */
  reassignments(): { topic: string; partition: number; replicas: number[]; adding: number[]; removing: number[] }[] {
    const out = [];
    for (const list of this.partitions.values()) {
      for (const p of list) {
        if (!p?.targetReplicas) continue;
        const target = p.targetReplicas;
        out.push({ topic: p.topic, partition: p.partition, replicas: p.replicas, adding: target.filter((r) => !p.isr.includes(r)), removing: p.replicas.filter((r) => !target.includes(r)) });
      }
    }
    return out;
  }

  // ---- leaving ----

  /**
   * Kafka's controlled shutdown: the controller moves every leadership away first (waiting at most
   * `timeoutMs`), then the broker leaves the cluster (lease revoked: gone at once, no session wait).
   */
  async shutdown(timeoutMs = 30_000): Promise<void> {
    if (this.closed) return;
    try {
      const left = await this.member.controlledShutdown(timeoutMs);
      if (left > 0) this.log.warn(`cluster: controlled shutdown timed out; still leading ${left} partitions`);
    } catch (err) {
      this.log.warn(`cluster: controlled shutdown failed (${(err as Error).message}); leaving anyway`);
      await this.member.close().catch(() => {});
    }
    this.closed = true;
    await this.syncing.catch(() => {});
    await this.replicas?.close();
    await this.store.close();
  }
}
