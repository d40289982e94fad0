import type { GroupCoordinator } from '../coordinator/group-coordinator.ts';
import type { ProducerIdManager } from '../coordinator/producer-ids.ts';
import type { TransactionCoordinator } from '../coordinator/transaction-coordinator.ts';
import type { LogManager } from '../storage/log-manager.ts';
import type { BrokerConfig } from './config.ts';
import type { Logger } from './logger.ts';
import type { SecurityProtocol } from '../security/listeners.ts';
import type { ConnectionSecurity } from '../security/session.ts';
import type { ScramCredentialStore } from '../security/scram-credential-store.ts';
import type { ClusterMode } from './cluster-mode.ts';
import type { CoordinatorElection } from './coordinator-election.ts';
import type { ReplicaManager } from '../replication/replica-manager.ts';
import type { ClientQuotas } from './quotas/client-quotas.ts';
import type { ClientQuotaStore } from './quotas/client-quota-store.ts';
import type { RequestQuota } from './quotas/request-quota.ts';
import type { StandardAuthorizer } from '../security/authorizer/standard-authorizer.ts';
import type { AnyApiDescriptor, RequestOf, ResponseInputOf } from '../protocol/api-descriptor.ts';
import type { ServedApi } from './handler-table.ts';

/**
 * The contract between the broker's dispatch and the per-API handlers in ./handlers/.
 *
 * A handler names the generated descriptor of the API it serves (`api: ProduceApi`); dispatch decodes
 * the request with that descriptor's codec, calls `handle` with the decoded body, and encodes whatever
 * it returns at the same version. The descriptor's types flow into `handle`, so a handler returning the
 * wrong shape fails tsc. Handlers never see bytes, sockets or framing; they see decoded requests and
 * the broker's parts (BrokerContext).
 */
export interface ApiHandler<D extends AnyApiDescriptor = AnyApiDescriptor> {
  /** The API served: key, codecs and flexible versions all come from here. */
  readonly api: D;
  /**
   * Lowest and highest version this handler serves (within the descriptor's valid versions, which a
   * test checks); ApiVersions advertises exactly this range.
   */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Encode responses as chunks that reference large byte fields (record data read from segment
   * files) instead of copying them into one buffer. For responses that carry log data (Fetch).
   */
  readonly zeroCopyResponse?: boolean;
  /**
   * Answers one request. Returning null sends no response at all (Produce with acks=0).
   * May be async (Fetch long-polls, Produce waits for fsync); dispatch still writes responses
   * in request order per connection.
   */
  handle(req: RequestOf<D>, ctx: RequestContext): Promise<ResponseInputOf<D> | null> | ResponseInputOf<D> | null;
  /**
   * Optional: a well-formed response carrying `errorCode` everywhere it fits, used when `handle`
   * throws (null: no response, as for Produce with acks=0). Without it a thrown error closes the
   * connection (there is nothing the client could parse).
   */
  errorResponse?(req: RequestOf<D>, errorCode: number, ctx: RequestContext): ResponseInputOf<D> | null;
}

/** Per-request facts plus the broker's shared parts. */
export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connection: ConnectionInfo;
  readonly broker: BrokerContext;
  /**
   * Runs `callback` once this request's response has been handed to the kernel — or right away when
   * there is none (acks=0), and when the connection closes first. For buffers a handler borrows
   * (e.g. from a storage read-buffer pool) that may be reused only after the socket copied them.
   */
  onResponseSent(callback: () => void): void;
  /**
   * This request's client quotas (byte rates, request time, KIP-219 throttling); absent while no quota
   * was ever set on this broker, so handlers skip all measuring then.
   */
  readonly quota?: RequestQuota;
}

export interface ConnectionInfo {
  /** Increasing id of the connection within this broker process, for log lines. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True once the socket has closed; long-polling handlers stop waiting when it flips. */
  readonly closed: boolean;
  /** Resolves when the socket closes (for Fetch long-polls to give up early). */
  readonly closedPromise: Promise<void>;
  /** The authenticated principal (`User:alice`, `User:CN=…` from a client certificate, or `User:ANONYMOUS`). */
  readonly principal: string;
  /** The listener this connection came in on; absent only for connections made outside a listener (tests). */
  readonly listener?: ListenerInfo;
  /** Where this connection is in authentication (SaslHandshake/SaslAuthenticate drive it); absent outside a listener. */
  readonly security?: ConnectionSecurity;
  /** Closes this connection with the reason logged (e.g. once a failed authentication's response is sent). */
  abort(reason: string): void;
  /** KIP-219: mutes the connection for `ms` after the current response (quota throttling); absent outside a listener. */
  throttle?(ms: number): void;
}

/** A listener as handlers see it: its name, protocol and what its clients are told. */
export interface ListenerInfo {
  readonly name: string;
  readonly protocol: SecurityProtocol;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
}

/** Host and port to tell the client (Metadata, FindCoordinator): those of the listener it connected to, as Kafka does. */
export function advertisedEndpoint(ctx: RequestContext): { host: string; port: number } {
  const l = ctx.connection.listener;
  return l ? { host: l.advertisedHost, port: l.advertisedPort } : { host: ctx.broker.advertisedHost, port: ctx.broker.advertisedPort };
}

/**
 * What handlers get from the broker. Single node: this broker is node `nodeId`, the controller,
 * the coordinator for every group and the leader of every partition.
 */
export interface BrokerContext {
  readonly nodeId: number;
  /** Host and port written into Metadata/FindCoordinator: what clients can reach. */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /** Persisted in the data dir (meta.properties), stable across restarts. */
  readonly clusterId: string;
  readonly config: BrokerConfig;
  /** Storage: topics and partition logs. */
  readonly logs: LogManager;
  /** Group coordinator (classic groups, committed offsets). */
  readonly coordinator: GroupCoordinator;
  /** Producer-id allocator (InitProducerId). */
  readonly producerIds: ProducerIdManager;
  /**
   * The transaction coordinator if it is loaded (transactional ids, markers). A single node loads it on
   * first use (transactionCoordinator); absent until then and in brokers built without it (tests).
   */
  readonly transactions?: TransactionCoordinator | undefined;
  /** The transaction coordinator, loaded now if it is not yet (creates __transaction_state); what handlers call. */
  transactionCoordinator?(): Promise<TransactionCoordinator>;
  /** Cluster mode: whether the coordinators are loaded here (leader of their internal partition). */
  readonly coordinatorElection?: CoordinatorElection;
  /** The handler table being served (ApiVersions is computed from it); most entries are imported on first use. */
  readonly handlers: readonly ServedApi[];
  /** Injected clock, ms since the epoch. */
  now(): number;
  readonly logger: Logger;
  /** SCRAM users (Describe/AlterUserScramCredentials, SCRAM authentication); persisted in the data dir. */
  readonly scramCredentials?: ScramCredentialStore;
  /**
   * Cluster mode (`metadata.store=etcd://…`): the cluster's brokers, topics, leaders and ISRs as the
   * metadata store holds them. Absent on the zero-config single node, which leads everything itself.
   */
  readonly cluster?: ClusterMode;
  /**
   * Replication (src/replication): partitions the cluster layer assigned leader/follower roles to.
   * A partition it does not manage is served as on a single node. Absent in brokers built without it (tests).
   */
  readonly replicas?: ReplicaManager;
  /**
   * The client quota managers (throttling); loaded with the first quota value, absent until then (and
   * in brokers built without quotas: tests).
   */
  readonly quotas?: ClientQuotas | undefined;
  /** The quota values (Describe/AlterClientQuotas); persisted in the data dir, or the cluster's in cluster mode. */
  readonly quotaStore?: ClientQuotaStore;
  /** The quota managers, loaded now if they are not yet; AlterClientQuotas calls it so a value set applies at once. */
  clientQuotas?(): Promise<ClientQuotas>;
  /**
   * The ACL authorizer when `authorizer.class.name` enables one; absent = everything is allowed and
   * the ACL APIs answer SECURITY_DISABLED. Handlers ask it only through ./authorize.ts.
   */
  readonly authorizer?: StandardAuthorizer;
}
