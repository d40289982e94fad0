import { hostname } from 'node:os';
import { join } from 'node:path';
import { GroupCoordinator } from '../coordinator/group-coordinator.ts';
import { PartitionOffsetLog } from '../coordinator/partition-offset-log.ts';
import { ProducerIdManager } from '../coordinator/producer-ids.ts';
import { TransactionCoordinator } from '../coordinator/transaction-coordinator.ts';
import { LocalTransactionMarkerWriter } from './local-transaction-markers.ts';
import type { StorageIO } from '../storage/io.ts';
import { LogManager } from '../storage/log-manager.ts';
import { BrokerConfig } from './config.ts';
import { loadClusterId } from './data-dir.ts';
import { loadDynamicConfigs, saveDynamicConfigs } from './dynamic-config-store.ts';
import type { RequestProcessor } from './connection.ts';
import { createDispatcher } from './dispatch.ts';
import type { ApiHandler, BrokerContext } from './handler.ts';
import { handlers as defaultHandlers } from './handlers/index.ts';
import { createLogger, type Logger } from './logger.ts';
import { checkBindable, Server, type ServerAddress } from './server.ts';
import { connectionLimitsFrom } from './connection-limits.ts';

export interface StartBrokerOptions {
  /** Listen address (default 127.0.0.1) and port (0 = any free port). */
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
  handlers?: readonly ApiHandler[];
  /** Storage's file operations (default: node:fs); tests inject faults and pauses here. */
  io?: StorageIO;
}

export interface RunningBroker {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: ServerAddress;
  /** What clients are told to connect to. */
  readonly advertised: ServerAddress;
  readonly context: BrokerContext;
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
  const host = opts.host ?? '127.0.0.1';
  const fsyncMode = config.string('log.fsync') as 'always' | 'interval' | 'never';
  const flushMessages = config.number('log.flush.interval.messages');

  // Ready means ready: the listener opens only once storage, the coordinator and producer ids are
  // loaded, so a TCP health check (or a client) never sees "up" while recovery still runs. A port in
  // use is still found at once, before the data dir is touched, by a probe bind.
  const port = opts.port ?? 0;
  await checkBindable(host, port);
  let dispatch: RequestProcessor | null = null;
  let startup!: { resolve: () => void; reject: (err: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (startup = { resolve, reject }));
  ready.catch(() => {}); // a failed start is reported by startBroker's own throw
  const server = new Server(
    (frame, conn) => (dispatch ? dispatch(frame, conn) : ready.then(() => dispatch!(frame, conn))),
    { maxFrameSize: config.number('socket.request.max.bytes'), maxInFlight: 1, maxQueued: 256, logger },
    connectionLimitsFrom(config),
  );
  const startedAt = performance.now();

  const toClose: (() => Promise<void>)[] = [() => server.close()];
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
    const metaDir = join(opts.dataDir, META_DIR);
    // Committed offsets and group metadata live in the internal topic __consumer_offsets.
    const offsetLog = await PartitionOffsetLog.open(logs, { now, segmentBytes: config.number('offsets.topic.segment.bytes') });
    const scheduler = opts.now
      ? { now, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, Math.max(0, ms)).unref(), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) }
      : undefined;
    const coordinator = await GroupCoordinator.load(offsetLog, {
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
    toClose.splice(1, 0, () => coordinator.close());
    const producerIds = await ProducerIdManager.open(metaDir, { fsync: fsyncMode !== 'never' });
    // Transactions: state in the compacted internal topic __transaction_state, markers appended to
    // local partitions. Loading completes any transaction found decided but not yet marked.
    const txnLog = await PartitionOffsetLog.open(logs, {
      now,
      topic: TRANSACTION_STATE_TOPIC,
      segmentBytes: config.number('transaction.state.log.segment.bytes'),
    });
    const transactions = await TransactionCoordinator.load(txnLog, {
      scheduler,
      producerIds,
      markerWriter: new LocalTransactionMarkerWriter(logs, () => coordinator, now, logger),
      config: {
        transactionMaxTimeoutMs: config.number('transaction.max.timeout.ms'),
        transactionalIdExpirationMs: config.number('transactional.id.expiration.ms'),
        abortTimedOutTransactionCleanupIntervalMs: config.number('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
        removeExpiredTransactionalIdCleanupIntervalMs: config.number('transaction.remove.expired.transaction.cleanup.interval.ms'),
      },
      log: (msg) => logger.info(`transaction coordinator: ${msg}`),
    });
    // Closed after the server, before the group coordinator and storage (toClose runs in reverse).
    toClose.splice(2, 0, () => transactions.close());
    const address = await server.listen(host, port);

    const advertised = {
      host: opts.advertisedHost ?? (address.host === '0.0.0.0' || address.host === '::' ? hostname() : host),
      port: opts.advertisedPort ?? address.port,
    };
    const context: BrokerContext = {
      nodeId,
      advertisedHost: advertised.host,
      advertisedPort: advertised.port,
      clusterId,
      config,
      logs,
      coordinator,
      producerIds,
      transactions,
      handlers: opts.handlers ?? defaultHandlers,
      now,
      logger,
    };
    dispatch = createDispatcher(context);
    startup.resolve();
    logs.startBackgroundTasks();
    logger.info(
      `broker ${nodeId} of cluster ${clusterId} listening on ${address.host}:${address.port} (data ${opts.dataDir}; ready in ${Math.round(performance.now() - startedAt)} ms)`,
    );

    let closing: Promise<void> | null = null;
    return {
      address,
      advertised,
      context,
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
