/**
 * The cluster metadata store: what ZooKeeper was to Kafka before KRaft. It holds broker
 * registrations (alive while their lease lives), topics, each partition's leader / leader epoch / ISR /
 * replicas / partition epoch, and who the controller is. Every change to a partition is a
 * compare-and-set on its partition epoch, as Kafka's AlterPartition is, and may be fenced by the
 * controller epoch so a deposed controller cannot write.
 *
 * Implementations: `createLocalMetadataStore()` (in-process, zero-config single node) and
 * `createEtcdMetadataStore()` (etcd). Both are `KvMetadataStore` over a different `KvBackend`.
 */
import type { AclRecord, ClientQuotaRecord, ScramRecord } from '../protocol/metadata-records.ts';

/** Kafka's "no leader" broker id. */

export const NO_LEADER = -1;

/** Kafka's LeaderRecoveryState: RECOVERING after an unclean election until the leader recovered. */
export const LeaderRecoveryState = { RECOVERED: 0, RECOVERING: 1 } as const;
export type LeaderRecoveryStateValue = (typeof LeaderRecoveryState)[keyof typeof LeaderRecoveryState];

/** One listener of a broker as registered (Kafka's BrokerRegistration endpoint): name, advertised host and port. */
export interface ListenerEndpoint {
  listener: string;
  host: string;
  port: number;
}

export interface BrokerRegistration {
  nodeId: number;
  /** The inter-broker listener's advertised address (replica fetches, transaction markers). */
  host: string;
  port: number;
  /**
   * Every listener's advertised address, by listener name, as Kafka registers them: a client is told the
   * address of the listener its request came in on. Absent in registrations written before listeners
   * were registered (then host/port serve every listener).
   */
  endpoints?: ListenerEndpoint[];
  rack: string | null;
  /** Random per process start: a restarted broker with the same id is a new incarnation. */
  incarnationId: string;
  /** Set by controlled shutdown: the broker is leaving; move leadership away, don't add it to ISRs. */
  inControlledShutdown: boolean;
}

export interface RegisteredBroker extends BrokerRegistration {
  /**
   * The broker epoch: the store revision at which this registration was created (as ZooKeeper-mode
   * Kafka used the registration znode's czxid). A re-registration after a lost lease gets a new one,
   * so requests carrying an older epoch are stale.
   */
  brokerEpoch: number;
}

export interface TopicRecord {
  name: string;
  /** 22-character url-safe base64 UUID, as Kafka prints topic ids. */
  topicId: string;
  partitionCount: number;
  /** Topic-level config overrides (e.g. min.insync.replicas, unclean.leader.election.enable). */
  configs: Record<string, string>;
}

export interface PartitionState {
  /** Assigned replicas; the first is the preferred leader. */
  replicas: number[];
  isr: number[];
  leader: number;
  leaderEpoch: number;
  /** Bumped by every change: the version AlterPartition compares against. */
  partitionEpoch: number;
  leaderRecoveryState: LeaderRecoveryStateValue;
  /**
   * A reassignment in progress (AlterPartitionReassignments): the replicas wanted at the end. While it
   * is set, `replicas` holds target + old replicas (Kafka's adding/removing replicas); once every
   * target replica is in the ISR the controller sets replicas = target and clears it.
   */
  targetReplicas?: number[];
}

export interface TopicPartitionState extends PartitionState {
  topic: string;
  partition: number;
}

export interface ControllerInfo {
  nodeId: number;
  /** Revision at which this controller's key was created: grows with every new controller. */
  controllerEpoch: number;
}

export interface MetadataSnapshot {
  /** Store revision the snapshot was read at; watch from `revision + 1` to miss nothing. */
  revision: number;
  brokers: RegisteredBroker[];
  topics: TopicRecord[];
  partitions: TopicPartitionState[];
  controller: ControllerInfo | null;
}

export type MetadataEvent =
  | { type: 'broker-registered'; revision: number; broker: RegisteredBroker }
  | { type: 'broker-unregistered'; revision: number; nodeId: number }
  | { type: 'topic-created'; revision: number; topic: TopicRecord }
  | { type: 'topic-deleted'; revision: number; name: string }
  | { type: 'partition-changed'; revision: number; partition: TopicPartitionState }
  | { type: 'partition-deleted'; revision: number; topic: string; partition: number }
  | { type: 'controller-changed'; revision: number; controller: ControllerInfo | null };

/** A liveness session: keys written with it vanish when it is revoked or not kept alive in time. */
export interface Lease {
  readonly id: string;
  readonly ttlMs: number;
  /** Renews the lease; false when it had already ended (the holder must re-register). */
  keepAlive(): Promise<boolean>;
  revoke(): Promise<void>;
}

/** The proposed new state of a partition; the store sets partitionEpoch = expected + 1. */
export type PartitionChange = Omit<PartitionState, 'partitionEpoch'>;

export type AlterPartitionResult =
  | { ok: true; state: TopicPartitionState }
  | { ok: false; reason: 'stale-partition-epoch'; current: TopicPartitionState }
  | { ok: false; reason: 'unknown-partition' }
  | { ok: false; reason: 'not-controller' };

export interface CampaignResult {
  elected: boolean;
  /** The controller after the campaign: this node when elected, otherwise whoever holds it. */
  controller: ControllerInfo | null;
}

export interface MetadataWatch {
  close(): void;
}

/** A block of producer ids owned by one broker: `firstProducerId` .. `firstProducerId + size - 1`. */
export interface ProducerIdBlock {
  assignedBrokerId: number;
  firstProducerId: bigint;
  size: number;
}

export type AddPartitionsResult = { ok: true; topic: TopicRecord } | { ok: false; reason: 'unknown-topic' } | { ok: false; reason: 'stale-partition-count'; current: TopicRecord };

export class MetadataStoreError extends Error {
  override name = 'MetadataStoreError';
}

/** Another live broker holds the node id (Kafka's DUPLICATE_BROKER_REGISTRATION). */
export class DuplicateBrokerRegistrationError extends MetadataStoreError {
  override name = 'DuplicateBrokerRegistrationError';
}

/**
 * A change to one record of a keyspace (ACLs, SCRAM credentials) seen by a watch. A delete's record
 * is decoded from its key alone (the value is gone): only what the key names is filled in.
 */
export interface KeyspaceEvent<R> {
  type: 'put' | 'delete';
  record: R;
  revision: number;
}

/** A change to the cluster's ACLs seen by a watch (a delete names the ACL, decoded from its key). */
export type AclEvent = KeyspaceEvent<AclRecord>;

/** A SCRAM credential change seen by a watch (a delete has an empty credential). */
export type ScramEvent = KeyspaceEvent<ScramRecord>;

/** A client quota change seen by a watch. */
export type ClientQuotaEvent = KeyspaceEvent<ClientQuotaRecord>;

export interface MetadataStore {
  grantLease(ttlMs: number): Promise<Lease>;

  /** Every client quota value of the cluster and the revision the read was served at. */
  listClientQuotas(): Promise<{ records: ClientQuotaRecord[]; revision: number }>;
  /** Sets (value) and removes (null) client quota values in one atomic write. */
  alterClientQuotas(changes: readonly { entity: Readonly<Record<string, string | null>>; key: string; value: number | null }[]): Promise<void>;
  /** Every client quota change from `fromRevision` on. `onError`: list and watch again. */
  watchClientQuotas(fromRevision: number, onEvents: (events: ClientQuotaEvent[]) => void, onError: (err: Error) => void): Promise<MetadataWatch>;

  /** Every SCRAM credential of the cluster and the revision the read was served at. */
  listScramCredentials(): Promise<{ records: ScramRecord[]; revision: number }>;
  /** Deletes and upserts SCRAM credentials in one atomic write. */
  alterScramCredentials(changes: { upsert?: readonly ScramRecord[]; delete?: readonly { user: string; mechanism: string }[] }): Promise<void>;
  /** Every SCRAM credential change from `fromRevision` on. `onError`: list and watch again. */
  watchScramCredentials(fromRevision: number, onEvents: (events: ScramEvent[]) => void, onError: (err: Error) => void): Promise<MetadataWatch>;

  /** Every ACL of the cluster and the store revision the read was served at (watch from revision + 1). */
  listAcls(): Promise<{ acls: AclRecord[]; revision: number }>;
  /** Adds and removes ACLs in one atomic write (adding an existing one, removing a missing one: no-ops). */
  alterAcls(changes: { add?: readonly AclRecord[]; remove?: readonly AclRecord[] }): Promise<void>;
  /** Every ACL change from `fromRevision` on, in order. `onError`: the watch broke; list and watch again. */
  watchAcls(fromRevision: number, onEvents: (events: AclEvent[]) => void, onError: (err: Error) => void): Promise<MetadataWatch>;

  /** Registers a broker under its lease. Throws DuplicateBrokerRegistrationError if another lease holds the id. */
  registerBroker(registration: BrokerRegistration, lease: Lease): Promise<RegisteredBroker>;
  /** Updates a live registration (same lease; the broker epoch is kept). */
  updateBroker(registration: BrokerRegistration, lease: Lease): Promise<RegisteredBroker>;
  unregisterBroker(nodeId: number, lease: Lease): Promise<void>;

  /** The cluster's id, shared by every broker: `candidate` if none was stored yet. */
  ensureClusterId(candidate: string): Promise<string>;

  /**
   * Reserves the cluster's next block of `blockSize` producer ids for `brokerId` (Kafka's
   * AllocateProducerIds / ProducerIdManager): a compare-and-set on the one key holding the latest
   * block, so no two brokers ever get overlapping blocks.
   */
  allocateProducerIdBlock(brokerId: number, blockSize: number): Promise<ProducerIdBlock>;
  /** The latest block handed out in the cluster (null before the first). */
  latestProducerIdBlock(): Promise<ProducerIdBlock | null>;

  /** Creates a topic and all its partitions atomically; false if the topic already exists. */
  createTopic(topic: TopicRecord, partitions: PartitionState[]): Promise<boolean>;
  /**
   * CreatePartitions: appends `partitions` (states of the new partitions, numbered from
   * `expectedPartitionCount`) and raises the topic's partition count, in one transaction that holds
   * only if the topic still has `expectedPartitionCount` partitions (a concurrent grow loses).
   */
  addPartitions(topic: string, expectedPartitionCount: number, partitions: PartitionState[]): Promise<AddPartitionsResult>;
  /** Deletes a topic and its partitions; false if it did not exist. */
  deleteTopic(name: string): Promise<boolean>;

  /**
   * Compare-and-set of one partition: succeeds only if its partition epoch is still
   * `expectedPartitionEpoch` (and, when `controllerEpoch` is given, that controller still holds office).
   */
  alterPartition(
    topic: string,
    partition: number,
    expectedPartitionEpoch: number,
    change: PartitionChange,
    fence?: { controllerEpoch: number },
  ): Promise<AlterPartitionResult>;

  /** Tries once to become controller under `lease`. */
  campaign(nodeId: number, lease: Lease): Promise<CampaignResult>;
  /** Gives up the controller role if this node (by its lease) holds it. */
  resign(nodeId: number, lease: Lease): Promise<void>;

  snapshot(): Promise<MetadataSnapshot>;
  /** Every change from `fromRevision` on, in order. `onError` means the watch broke: re-snapshot and re-watch. */
  watch(fromRevision: number, onEvent: (event: MetadataEvent) => void, onError: (err: Error) => void): Promise<MetadataWatch>;

  close(): Promise<void>;
}
