import { hostname } from 'node:os';
import { join } from 'node:path';
import { GroupCoordinator } from '../coordinator/group-coordinator.ts';
import { OFFSETS_TOPIC, PartitionOffsetLog, internalTopicSegmentBytes } from '../coordinator/partition-offset-log.ts';
import { ProducerIdManager } from '../coordinator/producer-ids.ts';
import type { TransactionCoordinator } from '../coordinator/transaction-coordinator.ts';
import type { StorageIO } from '../storage/io.ts';
import { LogManager } from '../storage/log-manager.ts';
import { BrokerConfig, ConfigError } from './config.ts';
import { loadClusterId } from './data-dir.ts';
import { loadDynamicConfigs, saveDynamicConfigs } from './dynamic-config-store.ts';
import type { RequestProcessor } from './connection.ts';
import { createDispatcher } from './dispatch.ts';
import type { BrokerContext } from './handler.ts';
import type { ServedApi } from './handler-table.ts';
import { handlers as defaultHandlers } from './handlers/index.ts';
import { createLogger, type Logger } from './logger.ts';
import { checkBindable, Server, type ServerAddress } from './server.ts';
import { connectionLimitsFrom } from './connection-limits.ts';
import { loadOnce } from './load-once.ts';
import { withAuthenticationGate } from './authentication-gate.ts';
import type { ListenerInfo } from './handler.ts';
import { listenerSecurities, type ListenerSecurity } from '../security/listener-settings.ts';
import type { ListenerSpec, SecurityProtocol } from '../security/listeners.ts';
import { ScramCredentialStore } from '../security/scram-credential-store.ts';
import type { InterBrokerSecurity } from '../security/inter-broker.ts';
import { InterBrokerConfigError, interBrokerListener, singleNodeInterBroker } from '../security/inter-broker-listener.ts';
import { ConnectionSecurity } from '../security/session.ts';
import type { MetadataStore } from '../cluster/metadata-store.ts';
import type { ClusterMode } from './cluster-mode.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { CoordinatorElection } from './coordinator-election.ts';
import type { TransactionMarkerWriter } from '../coordinator/transaction-marker-writer.ts';
import { ReplicaManager, replicationSettings, type ReplicaManagerDeps } from '../replication/replica-manager.ts';
import { ClientQuotaStore } from './quotas/client-quota-store.ts';
import type { ClientQuotas } from './quotas/client-quotas.ts';
import type { AclStorage, AclStore } from '../security/authorizer/acl-store.ts';
import type { StandardAuthorizer } from '../security/authorizer/standard-authorizer.ts';

/** Cluster mode's modules (cluster-parts.ts), loaded only when the broker joins a cluster. */
type ClusterParts = typeof import('./cluster-parts.ts');

export interface StartBrokerOptions {
  /**
   * Listen address (default 127.0.0.1) and port (0 = any free port). With the `listeners` setting they
   * override the first listener's; without it they are the one PLAINTEXT listener.
   */
  host?: string;
  port?: number;
  dataDir: string;
  config?: BrokerConfig;
  /** Injected clock (ms since the epoch); Date.now by default. */
  now?: () => number;
  logger?: Logger;
  /** What Metadata/FindCoordinator tell clients; default the listen host (hostname() for 0.0.0.0/::) and the bound port. */
  advertisedHost?: string;
  advertisedPort?: number;
  /** The APIs served (default: the full handler table). */
  handlers?: readonly ServedApi[];
  /** Storage's file operations (default: node:fs); tests inject faults and pauses here. */
  io?: StorageIO;
  /** Cluster mode with this store instead of the one the `metadata.store` setting names (tests). */
  metadataStore?: MetadataStore;
  /**
   * Builds the broker's replica manager from its parts (default: `new ReplicaManager(deps)`). The
   * cluster layer passes its own to set the IsrChangeSink or wrap it; it then drives it through
   * ReplicaControl.applyAssignments (RunningBroker.replicas / BrokerContext.replicas). Until a
   * partition is assigned, the broker serves it as a single node.
   */
  replicas?: (deps: ReplicaManagerDeps) => ReplicaManager;
  /**
   * Awaited after the replica manager exists and before any request is served (requests that arrive
   * meanwhile wait): the cluster layer applies the partition states it knows here, so a restarted
   * replica never serves a replicated partition as a single node (HW = log end) for a moment.
   */
  beforeServing?: (replicas: ReplicaManager) => Promise<void>;
}

/** One open listener: its name and protocol, where it is bound, what its clients are told. */
export interface BoundListener {
  readonly name: string;
  readonly protocol: SecurityProtocol;
  readonly address: ServerAddress;
  readonly advertised: ServerAddress;
}

export interface RunningBroker {
  /** The bound address of the first listener (the real port when 0 was asked for). */
  readonly address: ServerAddress;
  /** What clients of the first listener are told to connect to. */
  readonly advertised: ServerAddress;
  /** Every listener, in the order of the `listeners` setting. */
  readonly listeners: readonly BoundListener[];
  readonly context: BrokerContext;
  /** The replica manager (ReplicaControl for the cluster layer). */
  readonly replicas: ReplicaManager;
  /** Stops accepting, drops connections, flushes and closes storage and the coordinator. Idempotent. */
  close(): Promise<void>;
}

/** Kafka's internal topic of transaction state (TransactionLog). */
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Where the coordinator's files and the producer-id block live (beside storage's topics.json). */
const META_DIR = '__kstream_meta';
/** Dynamic broker configs (IncrementalAlterConfigs on the broker resource), in META_DIR. */
const DYNAMIC_CONFIGS_FILE = 'broker-configs.json';

/**
 * Starts a single-node broker: opens storage (running recovery if the last stop was not clean),
 * loads the group coordinator and producer ids, then listens. Everything opened is closed again if
 * a later step fails (e.g. the port is in use), so a failed start leaves the data dir clean.
 */
export async function startBroker(opts: StartBrokerOptions): Promise<RunningBroker> {
  const config = opts.config ?? new BrokerConfig();
  const logger = opts.logger ?? createLogger('info');
  const now = opts.now ?? Date.now;
  const fsyncMode = config.string('log.fsync') as 'always' | 'interval' | 'never';
  const flushMessages = config.number('log.flush.interval.messages');
  const specs = listenerSpecs(config, opts);

  // Ready means ready: the listeners open only once storage, the coordinator and producer ids are
  // loaded, so a TCP health check (or a client) never sees "up" while recovery still runs. A port in
  // use is still found at once, before the data dir is touched, by a probe bind.
  for (const l of specs) await checkBindable(l.host, l.port);
  // Certificates, JAAS users and SCRAM credentials are read now too: a bad path or setting fails the
  // start before storage is touched, naming the listener and the setting.
  const metaDir = join(opts.dataDir, META_DIR);
  const clusterMode = clusterModeOf(config, opts);
  const cp: ClusterParts | undefined = clusterMode ? await import('./cluster-parts.ts') : undefined;
  const scramCredentials = await ScramCredentialStore.open(metaDir);
  // Client quotas set with AlterClientQuotas: the stored values are read now (a corrupt file fails the
  // start); the quota managers load at start when a value exists or in cluster mode (values arrive from
  // the cluster at any time), else with the first AlterClientQuotas, and are replayed the whole store
  // before they measure anything. A single node nobody set a quota on never loads them (dispatch
  // measures nothing while no quota is set).
  const quotaStore = await ClientQuotaStore.open(metaDir);
  let quotas: ClientQuotas | undefined;
  const loadQuotas = loadOnce(async (): Promise<ClientQuotas> => {
    const { ClientQuotas } = await import('./quotas/client-quotas.ts');
    return (quotas = new ClientQuotas(quotaStore, { samples: config.number('quota.window.num'), windowSeconds: config.number('quota.window.size.seconds') }, logger));
  });
  if (cp || !quotaStore.isEmpty) await loadQuotas();
  // ACLs: the data dir's file on a single node (loaded now: a corrupt file fails the start early);
  // in cluster mode the metadata store's, shared by every broker (opened once the store is).
  const authorizerEnabled = config.string('authorizer.class.name').trim() !== '';
  const localAcls = authorizerEnabled ? await openLocalAcls(metaDir) : undefined;
  let authorizer = localAcls && !clusterMode ? await newAuthorizer(config, localAcls.store, logger, 'from the data dir') : undefined;
  const securities = await listenerSecurities(specs, config, scramCredentials, (m) => logger.warn(m), now);
  // How this broker reaches its peers (cluster mode): the inter-broker listener and its TLS/SASL.
  const storeSetting = config.string('metadata.store');
  const interBroker = interBrokerSecurityOf(config, specs, cp);
  let dispatch: RequestProcessor | null = null;
  let startup!: { resolve: () => void; reject: (err: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (startup = { resolve, reject }));
  ready.catch(() => {}); // a failed start is reported by startBroker's own throw
  const gate = withAuthenticationGate((frame, conn) => (dispatch ? dispatch(frame, conn) : ready.then(() => dispatch!(frame, conn))), now, logger);
  const servers = specs.map((spec, i) => {
    const security: ListenerSecurity = securities[i]!;
    // Filled in once bound (port 0); read by handlers only after start-up completes.
    const info: { -readonly [K in keyof ListenerInfo]: ListenerInfo[K] } = { name: spec.name, protocol: spec.protocol, advertisedHost: '', advertisedPort: 0 };
    const server = new Server(
      gate,
      {
        maxFrameSize: config.number('socket.request.max.bytes'),
        maxInFlight: 1,
        maxQueued: 256,
        logger,
        listener: info,
        newSecurity: () => new ConnectionSecurity(security),
      },
      connectionLimitsFrom(config),
      security.tls,
    );
    return { spec, server, info };
  });
  const startedAt = performance.now();

  const toClose: (() => Promise<void>)[] = [() => Promise.all(servers.map((l) => l.server.close())).then(() => {})];
  const closeAll = async () => {
    for (const c of toClose.reverse()) {
      try {
        await c();
      } catch (err) {
        logger.error(`shutdown: ${(err as Error).message}`);
      }
    }
    toClose.length = 0;
  };

  try {
    // Dynamic broker configs (altered at runtime, persisted) apply before storage opens: they may
    // change topic defaults such as log.retention.ms.
    const dynamicPath = join(opts.dataDir, META_DIR, DYNAMIC_CONFIGS_FILE);
    for (const problem of config.loadDynamic(await loadDynamicConfigs(dynamicPath))) logger.error(problem);
    const logs = await LogManager.open({
      dataDir: opts.dataDir,
      io: opts.io,
      now,
      logger,
      config: {
        topicDefaults: config.topicDefaults(),
        durability: {
          mode: fsyncMode,
          intervalMs: config.number('log.fsync.interval.ms'),
          intervalMessages: flushMessages >= Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : flushMessages,
        },
        retentionCheckIntervalMs: config.number('log.retention.check.interval.ms'),
        cleanerBackoffMs: config.number('log.cleaner.backoff.ms'),
        checkpointIntervalMs: config.number('log.flush.offset.checkpoint.interval.ms'),
        producerIdExpirationMs: config.number('producer.id.expiration.ms'),
      },
    });
    // Closed after the server (toClose runs in reverse), so no request touches a closed log.
    toClose.splice(0, 0, () => logs.close());
    logger.info(describeStorageOpen(logs, performance.now() - startedAt));
    config.bindDynamic({
      persist: (snapshot) => saveDynamicConfigs(dynamicPath, snapshot),
      applied: () => logs.setTopicDefaults(config.topicDefaults()),
    });
    const nodeId = config.number('node.id');
    const clusterId = await loadClusterId(opts.dataDir, nodeId);
    // Cluster mode: coordinator writes only on the leader of the internal partition, acks=all.
    const writeGuard = cp ? new cp.ClusterCoordinatorWriteGuard(config.number('offsets.commit.timeout.ms')) : undefined;
    // Committed offsets and group metadata live in the internal topic __consumer_offsets.
    const offsetLog = await PartitionOffsetLog.open(logs, {
      now,
      segmentBytes: internalTopicSegmentBytes(config.number('offsets.topic.segment.bytes'), config.number('offsets.topic.num.partitions')),
      ...(writeGuard ? { writeGuard } : {}),
    });
    const scheduler = opts.now
      ? { now, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, Math.max(0, ms)).unref(), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) }
      : undefined;
    const loadGroupCoordinator = () =>
      GroupCoordinator.load(offsetLog, {
        logger,
        scheduler,
        config: {
          initialRebalanceDelayMs: config.number('group.initial.rebalance.delay.ms'),
          minSessionTimeoutMs: config.number('group.min.session.timeout.ms'),
          maxSessionTimeoutMs: config.number('group.max.session.timeout.ms'),
          offsetsRetentionMs: config.number('offsets.retention.minutes') * 60_000,
          offsetsRetentionCheckIntervalMs: config.number('offsets.retention.check.interval.ms'),
          offsetMetadataMaxBytes: config.number('offset.metadata.max.bytes'),
        },
      });
    // In cluster mode the instance serving may change (coordinator-election.ts): always the current one.
    let election: CoordinatorElection | undefined;
    const startupCoordinator = await loadGroupCoordinator();
    const currentCoordinator = (): GroupCoordinator => election?.groupCoordinator<GroupCoordinator>() ?? startupCoordinator;
    toClose.splice(1, 0, () => currentCoordinator().close());
    // Cluster mode: the store (joined below, once the listeners are bound) also hands out the
    // cluster-wide producer-id blocks; a single node keeps its own in the data dir.
    const clusterStore = cp ? (opts.metadataStore ?? cp.metadataStoreFromSetting(storeSetting)) : undefined;
    const producerIds = cp && clusterStore
      ? ProducerIdManager.fromBlocks(cp.clusterProducerIdSource(clusterStore, nodeId, logger))
      : await ProducerIdManager.open(metaDir, { fsync: fsyncMode !== 'never' });
    // Transactions: state in the compacted internal topic __transaction_state, markers appended to
    // local partitions. Loading completes any transaction found decided but not yet marked.
    const openTxnLog = () =>
      PartitionOffsetLog.open(logs, {
        now,
        topic: TRANSACTION_STATE_TOPIC,
        segmentBytes: internalTopicSegmentBytes(config.number('transaction.state.log.segment.bytes'), config.number('transaction.state.log.num.partitions')),
        ...(writeGuard ? { writeGuard } : {}),
      });
    // Markers: local partitions on a single node; in cluster mode each partition's leader (this broker
    // or a WriteTxnMarkers to another), bound once the cluster is joined — until then none is written.
    let clusterMarkers: TransactionMarkerWriter | undefined;
    // The local writer (its module) is made with the first markers to write.
    const localMarkerWriter = loadOnce(async (): Promise<TransactionMarkerWriter> => {
      const { LocalTransactionMarkerWriter } = await import('./local-transaction-markers.ts');
      return new LocalTransactionMarkerWriter(logs, currentCoordinator, now, logger);
    });
    const markerWriter: TransactionMarkerWriter = {
      writeMarkers: async (req) =>
        clusterMode
          ? clusterMarkers
            ? clusterMarkers.writeMarkers(req)
            : req.partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }))
          : (await localMarkerWriter()).writeMarkers(req),
    };
    // Kafka's coordinator epoch is the leader epoch of the transaction-state partition at load.
    let txnCoordinatorEpoch = (): number => 0;
    const loadTransactionCoordinator = async () => {
      const [{ TransactionCoordinator }, txnLog] = await Promise.all([import('../coordinator/transaction-coordinator.ts'), openTxnLog()]);
      return TransactionCoordinator.load(txnLog, {
        scheduler,
        producerIds,
        markerWriter,
        config: {
          transactionMaxTimeoutMs: config.number('transaction.max.timeout.ms'),
          transactionalIdExpirationMs: config.number('transactional.id.expiration.ms'),
          abortTimedOutTransactionCleanupIntervalMs: config.number('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
          removeExpiredTransactionalIdCleanupIntervalMs: config.number('transaction.remove.expired.transaction.cleanup.interval.ms'),
          coordinatorEpoch: Math.max(0, txnCoordinatorEpoch()),
        },
        log: (msg) => logger.info(`transaction coordinator: ${msg}`),
      });
    };
    // A single node loads the coordinator at start only when __transaction_state exists (it may hold
    // transactions to complete); otherwise on first use, which creates the topic — as Kafka creates it
    // on the first FindCoordinator or InitProducerId for a transactional id. A broker that never sees a
    // transaction never loads the coordinator's modules or makes the topic. Cluster mode loads at
    // start: the coordinator election starts from a loaded instance.
    let startupTransactions = clusterMode || logs.hasTopic(TRANSACTION_STATE_TOPIC) ? await loadTransactionCoordinator() : undefined;
    const currentTransactions = (): TransactionCoordinator | undefined => election?.transactionCoordinator<TransactionCoordinator>() ?? startupTransactions;
    // A failed load (a disk error) is not remembered: the next transactional request tries again.
    const loadTransactions = loadOnce(async () => (startupTransactions = await loadTransactionCoordinator()));
    /** The last load started (awaited at close). */
    let loadingTransactions: Promise<unknown> | undefined;
    const transactionCoordinator = async (): Promise<TransactionCoordinator> => currentTransactions() ?? (loadingTransactions = loadTransactions());
    // Closed after the server, before the group coordinator and storage (toClose runs in reverse).
    toClose.splice(2, 0, async () => {
      await loadingTransactions?.catch(() => undefined);
      await currentTransactions()?.close();
    });
    const listeners: BoundListener[] = [];
    for (const { spec, server, info } of servers) {
      const address = await server.listen(spec.host, spec.port);
      const advertised = {
        host: spec.advertised?.host || (address.host === '0.0.0.0' || address.host === '::' ? hostname() : spec.host || hostname()),
        port: spec.advertised?.port || address.port,
      };
      info.advertisedHost = advertised.host;
      info.advertisedPort = advertised.port;
      listeners.push({ name: spec.name, protocol: spec.protocol, address, advertised });
    }
    // This broker's own address (registered in the metadata store for peers and clients, DescribeCluster,
    // a connection from outside a listener): the inter-broker listener's.
    const own = listeners.find((l) => l.name === interBroker.listenerName) ?? listeners[0]!;
    const { address, advertised } = listeners[0]!;
    // Cluster mode: join once the listeners are bound (the registration carries the real port).
    // Closed first on shutdown (toClose runs in reverse): leadership moves away while we still serve.
    let cluster: ClusterMode | undefined;
    let effectiveClusterId = clusterId;
    if (cp && clusterStore) {
      const store = clusterStore;
      effectiveClusterId = await store.ensureClusterId(clusterId);
      if (effectiveClusterId !== clusterId) logger.info(`joining cluster ${effectiveClusterId} (this data dir was created as ${clusterId})`);
      const rack = config.string('broker.rack');
      cluster = await cp.ClusterMode.start({
        store,
        nodeId,
        host: own.advertised.host,
        port: own.advertised.port,
        endpoints: listeners.map((l) => ({ listener: l.name, host: l.advertised.host, port: l.advertised.port })),
        rack: rack === '' ? null : rack,
        logs,
        config,
        logger,
        sessionTimeoutMs: config.number('broker.session.timeout.ms'),
      });
      const c = cluster;
      toClose.push(() => (config.boolean('controlled.shutdown.enable') ? c.shutdown() : c.shutdown(0)));
      // SCRAM credentials: the cluster's, before any request is served.
      const scram = await cp.ClusterScramCredentials.attach(store, scramCredentials, logger);
      toClose.push(async () => scram.close());
      // Client quotas: the cluster's one quota set, before any request is served.
      const clusterQuotas = await cp.attachClusterClientQuotas(store, quotaStore, logger);
      toClose.push(async () => clusterQuotas.close());
      if (localAcls) {
        // Closed before the store (toClose runs in reverse).
        const acls = await cp.ClusterAclStore.open(store, logger);
        toClose.push(async () => acls.close());
        if (localAcls.store.size > 0) logger.warn(`cluster mode: ACLs come from the metadata store; the ${localAcls.store.size} ACLs in ${localAcls.file} are not used`);
        authorizer = await newAuthorizer(config, acls, logger, 'from the metadata store, shared by the cluster');
      }
    }
    if (cluster) {
      if (interBroker.warning) logger.warn(interBroker.warning);
      else logger.info(`inter-broker connections: ${interBroker.description}`);
    }
    const replicaDeps: ReplicaManagerDeps = { nodeId, logs, settings: { ...replicationSettings(config), security: interBroker.client }, logger, now };
    const replicas = opts.replicas ? opts.replicas(replicaDeps) : new ReplicaManager(replicaDeps);
    // Closed right after the listeners (fetchers and acks=all waits end before storage closes).
    toClose.splice(3, 0, () => replicas.close());
    if (cp && cluster) {
      // The two halves of the seam: the cluster drives the replica manager, which reports ISR changes back.
      replicas.setIsrChangeSink(cluster);
      cluster.attachReplicaControl(replicas);
      // Partition states known now are applied before the first request (a restarted replica never
      // serves a replicated partition as a single node for a moment).
      await cluster.settled();
      // Coordinators follow the leadership of their internal partition from now on.
      if (writeGuard) writeGuard.replicas = replicas;
      const c = cluster;
      txnCoordinatorEpoch = () => c.partition(TRANSACTION_STATE_TOPIC, 0)?.leaderEpoch ?? 0;
      const { LocalTransactionMarkerWriter } = await import('./local-transaction-markers.ts');
      clusterMarkers = new cp.ClusterTransactionMarkerWriter(
        cluster,
        new LocalTransactionMarkerWriter(logs, currentCoordinator, now, logger, cp.clusterMarkerReplication(cluster, replicas, config.number('offsets.commit.timeout.ms'))),
        30_000,
        logger,
        interBroker.client,
      );
      election = new cp.CoordinatorElection(
        cluster,
        logger,
        { topic: OFFSETS_TOPIC, initial: startupCoordinator, load: loadGroupCoordinator },
        startupTransactions ? { topic: TRANSACTION_STATE_TOPIC, initial: startupTransactions, load: loadTransactionCoordinator } : null,
      );
      const e = election;
      toClose.push(async () => e.close());
      election.start();
    }
    const context: BrokerContext = {
      nodeId,
      advertisedHost: own.advertised.host,
      advertisedPort: own.advertised.port,
      clusterId: effectiveClusterId,
      config,
      logs,
      get coordinator() {
        return currentCoordinator();
      },
      producerIds,
      get transactions() {
        return currentTransactions();
      },
      transactionCoordinator,
      ...(election ? { coordinatorElection: election } : {}),
      handlers: cp && cluster ? cp.withCoordinatorPlacement(opts.handlers ?? defaultHandlers) : (opts.handlers ?? defaultHandlers),
      now,
      logger,
      scramCredentials,
      ...(cluster ? { cluster } : {}),
      replicas,
      get quotas() {
        return quotas;
      },
      quotaStore,
      clientQuotas: loadQuotas,
      authorizer,
    };
    if (opts.beforeServing) await opts.beforeServing(replicas);
    dispatch = createDispatcher(context);
    startup.resolve();
    logs.startBackgroundTasks();
    logger.info(
      `broker ${nodeId} of cluster ${effectiveClusterId}${cluster ? ` (metadata in ${storeSetting || 'the given store'}, controller ${cluster.controllerId})` : ''} listening on ${listeners.map((l) => `${l.address.host}:${l.address.port} (${l.name})`).join(', ')} (data ${opts.dataDir}; ready in ${Math.round(performance.now() - startedAt)} ms)`,
    );

    let closing: Promise<void> | null = null;
    return {
      address,
      advertised,
      listeners,
      context,
      replicas,
      close() {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (err) {
    startup.reject(err as Error);
    await closeAll();
    throw err;
  }
}

/** Cluster mode: a metadata store given, or `metadata.store` naming one other than `local`. */
function clusterModeOf(config: BrokerConfig, opts: StartBrokerOptions): boolean {
  const setting = config.string('metadata.store');
  return Boolean(opts.metadataStore || (setting !== '' && setting !== 'local'));
}

/**
 * The ACL authorizer when `authorizer.class.name` names Kafka's StandardAuthorizer (or the ZooKeeper-era
 * AclAuthorizer, whose semantics are the same for clients), over the given ACLs.
 */
async function newAuthorizer(config: BrokerConfig, store: AclStorage, logger: Logger, where: string): Promise<StandardAuthorizer> {
  const { StandardAuthorizer } = await import('../security/authorizer/standard-authorizer.ts');
  const superUsers = config.string('super.users').split(';').map((s) => s.trim()).filter((s) => s !== '');
  const allowEveryoneIfNoAclFound = config.boolean('allow.everyone.if.no.acl.found');
  logger.info(`authorizer: ${store.size} ACLs loaded ${where}; super users: ${superUsers.join(', ') || '(none)'}; allow.everyone.if.no.acl.found=${allowEveryoneIfNoAclFound}`);
  return new StandardAuthorizer(store, { superUsers, allowEveryoneIfNoAclFound });
}

/**
 * The data dir's ACLs (a single node's; loaded at start so a corrupt file fails the start early). The
 * ACL modules load only when an authorizer is configured.
 */
async function openLocalAcls(metaDir: string): Promise<{ store: AclStore; file: string }> {
  const { ACLS_FILE, AclStore } = await import('../security/authorizer/acl-store.ts');
  return { store: await AclStore.open(metaDir), file: join(metaDir, ACLS_FILE) };
}

/**
 * The inter-broker listener and, in cluster mode, its client security (TLS/SASL to the peers); a setting
 * error is a ConfigError (start refused).
 */
function interBrokerSecurityOf(config: BrokerConfig, specs: readonly ListenerSpec[], cp: ClusterParts | undefined): InterBrokerSecurity {
  try {
    const listener = interBrokerListener(config, specs);
    return cp ? cp.buildInterBrokerSecurity(config, listener, true) : singleNodeInterBroker(listener);
  } catch (err) {
    if (err instanceof InterBrokerConfigError) throw new ConfigError(err.message);
    throw err;
  }
}

/**
 * The listeners to open: the `listeners` setting (with --host/--port and --advertised-host/-port
 * overriding the first), or one PLAINTEXT listener on host:port when it is unset.
 */
function listenerSpecs(config: BrokerConfig, opts: StartBrokerOptions): ListenerSpec[] {
  const configured = config.listenerSpecs();
  const specs: ListenerSpec[] = configured.length > 0 ? configured : [{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 0, advertised: null }];
  const [first, ...rest] = specs;
  const advertised = opts.advertisedHost !== undefined || opts.advertisedPort !== undefined
    ? { host: opts.advertisedHost ?? first!.advertised?.host ?? '', port: opts.advertisedPort ?? first!.advertised?.port ?? 0 }
    : first!.advertised;
  return [
    {
      ...first!,
      // Kafka's `PLAINTEXT://:9092` (empty host) means every interface.
      host: opts.host ?? (first!.host === '' && configured.length > 0 ? '0.0.0.0' : first!.host),
      port: opts.port ?? first!.port,
      advertised,
    },
    ...rest.map((l) => ({ ...l, host: l.host === '' ? '0.0.0.0' : l.host })),
  ];
}

/**
 * One start-up line saying what opening storage cost: how long, and how much it holds. After an unclean
 * shutdown storage re-validates every segment from each partition's recovery point batch by batch
 * (PartitionLog.open); the line says which case this was.
 */
function describeStorageOpen(logs: LogManager, ms: number): string {
  let partitions = 0;
  let segments = 0;
  let bytes = 0;
  for (const log of logs.allPartitions()) {
    partitions++;
    segments += log.segmentList.length;
    bytes += log.size;
  }
  const how = partitions === 0 ? 'on an empty data dir' : logs.cleanShutdown ? 'after a clean shutdown (no recovery needed)' : 'with recovery (no clean-shutdown marker)';
  return `storage opened in ${Math.round(ms)} ms ${how}: ${partitions} partitions, ${segments} segments, ${bytes} bytes`;
}
