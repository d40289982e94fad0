/**
 * The active controller's decisions, over the metadata store. One broker at a time holds the role
 * (see cluster-member.ts for the election); every write it makes is fenced by its controller epoch,
 * so a deposed controller that wakes up late cannot move a partition.
 *
 * Kafka's rules (ReplicationControlManager.generateLeaderAndIsrUpdates + PartitionChangeBuilder):
 * - a broker whose lease ended is fenced: it leaves every ISR (unless it is the last member) and
 *   cannot lead; partitions it led elect the first acceptable ISR replica in replica order, or go
 *   offline (leader -1) — unless `unclean.leader.election.enable` lets an out-of-sync replica lead;
 * - a broker in controlled shutdown is treated the same, but it is still alive while that happens,
 *   so it can shut down once it leads nothing;
 * - a broker that comes back is not put into ISRs by the controller (its leaders do that through
 *   AlterPartition once it caught up) but offline partitions whose ISR holds it elect it again;
 * - preferred-leader election moves leadership to replicas[0] when it is in the ISR and acceptable.
 */
import { ErrorCode } from '../protocol/error-codes.ts';
import {
  MetadataStoreError,
  type MetadataSnapshot,
  type MetadataStore,
  type PartitionState,
  type RegisteredBroker,
  type TopicPartitionState,
} from './metadata-store.ts';
import { completeReassignment } from './reassignment.ts';
import { buildPartitionChange, isImbalanced, validateAlterPartition, type AlterPartitionRequest, type ChangeRequest, type Election } from './partition-change.ts';

export interface ControllerConfig {
  /** Broker default of `unclean.leader.election.enable` (Kafka: false); a topic config overrides it. */
  uncleanLeaderElectionEnable: boolean;
  /** `auto.leader.rebalance.enable` (Kafka: true). */
  autoLeaderRebalanceEnable: boolean;
}

export const defaultControllerConfig: ControllerConfig = { uncleanLeaderElectionEnable: false, autoLeaderRebalanceEnable: true };

export interface ClusterLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export const silentClusterLogger: ClusterLogger = { info: () => {}, warn: () => {} };

/** This node is no longer the controller: its fenced write was refused. */
export class NotControllerError extends MetadataStoreError {
  override name = 'NotControllerError';
}

export interface PartitionUpdate {
  before: TopicPartitionState;
  after: TopicPartitionState;
  unclean: boolean;
}

export interface ControllerOptions {
  store: MetadataStore;
  nodeId: number;
  controllerEpoch: number;
  config?: ControllerConfig;
  logger?: ClusterLogger;
}

export class Controller {
  readonly nodeId: number;
  readonly controllerEpoch: number;
  private readonly store: MetadataStore;
  private readonly config: ControllerConfig;
  private readonly log: ClusterLogger;
  /** Broker epochs seen at the last reconcile, to recognise a restart whose absence we never saw. */
  private readonly knownEpochs = new Map<number, number>();

  constructor(opts: ControllerOptions) {
    this.store = opts.store;
    this.nodeId = opts.nodeId;
    this.controllerEpoch = opts.controllerEpoch;
    this.config = opts.config ?? defaultControllerConfig;
    this.log = opts.logger ?? silentClusterLogger;
  }

  /**
   * Brings every partition in line with broker liveness: fences lost and shutting-down brokers,
   * elects leaders for partitions that lost theirs (and for offline ones whose ISR member is back).
   */
  async reconcile(): Promise<PartitionUpdate[]> {
    let snap = await this.store.snapshot();
    // A broker that came back with a new broker epoch since we last looked (crash + quick restart,
    // its absence never observed) is a new incarnation: as Kafka fences the old incarnation when the
    // new one registers, first reconcile without it, then with it.
    const restarted = snap.brokers.filter((b) => {
      const known = this.knownEpochs.get(b.nodeId);
      return known !== undefined && known !== b.brokerEpoch;
    });
    this.knownEpochs.clear();
    for (const b of snap.brokers) this.knownEpochs.set(b.nodeId, b.brokerEpoch);
    const updates: PartitionUpdate[] = [];
    if (restarted.length > 0) {
      const gone = new Set(restarted.map((b) => b.nodeId));
      this.log.info(`brokers ${[...gone].join(', ')} restarted (new broker epoch): fencing the old incarnation first`);
      updates.push(...(await this.reconcilePass(snap, new Set([...activeBrokers(snap.brokers)].filter((id) => !gone.has(id))))));
      snap = await this.store.snapshot();
    }
    updates.push(...(await this.reconcilePass(snap, activeBrokers(snap.brokers))));
    return updates;
  }

  private async reconcilePass(snap: MetadataSnapshot, active: Set<number>): Promise<PartitionUpdate[]> {
    const updates: PartitionUpdate[] = [];
    for (const p of snap.partitions) {
      const up = await this.applyChange(p, (cur) => ({
        targetIsr: cur.isr.filter((r) => active.has(r)),
        isAcceptableLeader: (r) => active.has(r),
        election: this.uncleanEnabled(snap, cur.topic) ? 'UNCLEAN' : 'ONLINE',
      }));
      if (up) updates.push(up);
    }
    return updates;
  }

  /**
   * Preferred-leader election (Kafka's ElectLeaders PREFERRED and auto.leader.rebalance): every
   * imbalanced partition — or just `only` — whose preferred replica is in the ISR and alive gets it back.
   */
  async electPreferredLeaders(only?: { topic: string; partition: number }[]): Promise<PartitionUpdate[]> {
    const snap = await this.store.snapshot();
    const active = activeBrokers(snap.brokers);
    const wanted = only ? new Set(only.map((tp) => `${tp.topic}\0${tp.partition}`)) : null;
    const updates: PartitionUpdate[] = [];
    for (const p of snap.partitions) {
      if (wanted && !wanted.has(`${p.topic}\0${p.partition}`)) continue;
      if (!isImbalanced(p)) continue;
      const up = await this.applyChange(p, (cur) => ({ targetIsr: cur.isr, isAcceptableLeader: (r) => active.has(r), election: 'PREFERRED' }));
      if (up) updates.push(up);
    }
    return updates;
  }

  /** The periodic check behind `auto.leader.rebalance.enable`; does nothing when it is off. */
  async autoRebalance(): Promise<PartitionUpdate[]> {
    return this.config.autoLeaderRebalanceEnable ? this.electPreferredLeaders() : [];
  }

  /**
   * Handles one partition of an AlterPartition request from a leader (ISR expand/shrink), with Kafka's
   * validation and errors, then writes it with CAS on the partition epoch.
   */
  async alterPartition(topic: string, partition: number, req: AlterPartitionRequest): Promise<{ errorCode: number; state?: TopicPartitionState }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const snap = await this.store.snapshot();
      const brokers = new Map(snap.brokers.map((b) => [b.nodeId, b]));
      const current = snap.partitions.find((p) => p.topic === topic && p.partition === partition);
      const errorCode = validateAlterPartition(current, req, {
        brokerEpochOf: (id) => brokers.get(id)?.brokerEpoch,
        isEligibleForIsr: (id) => brokers.has(id) && !brokers.get(id)!.inControlledShutdown,
      });
      if (errorCode !== ErrorCode.NONE || !current) return { errorCode };
      const res = await this.store.alterPartition(
        topic,
        partition,
        current.partitionEpoch,
        {
          replicas: current.replicas,
          isr: req.newIsr,
          leader: current.leader,
          leaderEpoch: current.leaderEpoch,
          leaderRecoveryState: req.leaderRecoveryState,
          ...(current.targetReplicas ? { targetReplicas: current.targetReplicas } : {}),
        },
        { controllerEpoch: this.controllerEpoch },
      );
      if (res.ok) return { errorCode: ErrorCode.NONE, state: res.state };
      if (res.reason === 'not-controller') return { errorCode: ErrorCode.NOT_CONTROLLER };
      if (res.reason === 'unknown-partition') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      // stale: someone else changed it meanwhile; validate again against the new state.
    }
    return { errorCode: ErrorCode.INVALID_UPDATE_VERSION };
  }

  /** Finishes every reassignment whose target replicas have all joined the ISR (fenced by our epoch). */
  async completeReassignments(): Promise<TopicPartitionState[]> {
    const snap = await this.store.snapshot();
    const done: TopicPartitionState[] = [];
    for (const p of snap.partitions) {
      if (!p.targetReplicas) continue;
      const res = await completeReassignment(this.store, p, activeBrokers(snap.brokers), { controllerEpoch: this.controllerEpoch });
      if (res === 'not-controller') throw new NotControllerError(`node ${this.nodeId} is no longer the controller (epoch ${this.controllerEpoch})`);
      if (res) {
        this.log.info(`${p.topic}-${p.partition}: reassignment complete, replicas [${p.replicas}]→[${res.replicas}], leader ${res.leader}`);
        done.push(res);
      }
    }
    return done;
  }

  /** Partitions `nodeId` still leads (controlled shutdown may finish when this is empty). */
  static leaderships(snap: MetadataSnapshot, nodeId: number): TopicPartitionState[] {
    return snap.partitions.filter((p) => p.leader === nodeId);
  }

  private uncleanEnabled(snap: MetadataSnapshot, topic: string): boolean {
    const v = snap.topics.find((t) => t.name === topic)?.configs['unclean.leader.election.enable'];
    return v === undefined ? this.config.uncleanLeaderElectionEnable : v === 'true';
  }

  /** Builds and CASes one partition change, re-reading and re-deciding if it moved under us. */
  private async applyChange(p: TopicPartitionState, request: (cur: TopicPartitionState) => ChangeRequest): Promise<PartitionUpdate | null> {
    let cur = p;
    for (let attempt = 0; attempt < 5; attempt++) {
      const built = buildPartitionChange(cur, request(cur));
      if (!built) return null;
      const res = await this.store.alterPartition(cur.topic, cur.partition, cur.partitionEpoch, built.change, { controllerEpoch: this.controllerEpoch });
      if (res.ok) {
        this.logChange(cur, res.state, built.unclean, request(cur).election);
        return { before: cur, after: res.state, unclean: built.unclean };
      }
      if (res.reason === 'not-controller') throw new NotControllerError(`node ${this.nodeId} is no longer the controller (epoch ${this.controllerEpoch})`);
      if (res.reason === 'unknown-partition') return null;
      cur = res.current;
    }
    this.log.warn(`${p.topic}-${p.partition}: gave up after repeated concurrent changes; the next reconcile retries`);
    return null;
  }

  private logChange(before: PartitionState & { topic: string; partition: number }, after: PartitionState, unclean: boolean, election: Election): void {
    const name = `${before.topic}-${before.partition}`;
    const what = `leader ${before.leader}→${after.leader} (epoch ${after.leaderEpoch}), isr [${before.isr}]→[${after.isr}], partition epoch ${after.partitionEpoch}`;
    if (unclean) this.log.warn(`${name}: UNCLEAN leader election, acknowledged records may be lost: ${what}`);
    else this.log.info(`${name}: ${election.toLowerCase()} change: ${what}`);
  }
}

/** Brokers that may lead and stay in ISRs: registered (lease alive) and not in controlled shutdown. */
export function activeBrokers(brokers: RegisteredBroker[]): Set<number> {
  return new Set(brokers.filter((b) => !b.inControlledShutdown).map((b) => b.nodeId));
}
