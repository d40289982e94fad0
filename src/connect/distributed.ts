import { hostname } from 'node:os';
import { Cluster } from '../client/cluster.ts';
import type { Props } from './api.ts';
import { RestServer } from './rest/rest-server.ts';
import { DISTRIBUTED_ACCEPTED, DISTRIBUTED_DEF, parseDistributedConfig } from './runtime/distributed/distributed-config.ts';
import { DistributedHerder } from './runtime/distributed/distributed-herder.ts';
import { parseWorkerConfig } from './runtime/worker-config.ts';

/**
 * `connect distributed`: Kafka's ConnectDistributed. The worker joins the Connect group named by
 * `group.id`; connectors, task configs, offsets and statuses live in Kafka topics, so any number of
 * workers on any machines share the connectors, and any worker's REST API serves the whole cluster.
 */

export interface DistributedOptions {
  workerProps: Props;
  log?: (line: string) => void;
}

export interface DistributedWorker {
  readonly url: string;
  readonly herder: DistributedHerder;
  close(): Promise<void>;
}

export async function startDistributed(opts: DistributedOptions): Promise<DistributedWorker> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const dist = parseDistributedConfig(opts.workerProps);
  const worker = parseWorkerConfig(opts.workerProps, { distributed: true });
  const own = new Set([...DISTRIBUTED_DEF.map((d) => d.name), ...DISTRIBUTED_ACCEPTED, 'offset.storage.file.filename']);
  const ignored = worker.ignoredSettings.filter((k) => !own.has(k));
  if (ignored.length > 0) log(`kstream connect: ignoring worker settings ${ignored.join(', ')}`);
  const cluster = new Cluster({ bootstrap: worker.bootstrap, clientId: worker.clientId });
  const closers: Array<() => Promise<void>> = [() => cluster.close()];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    await cluster.refreshMetadata([]);
    const listener = worker.listeners[0]!;
    // The worker's URL (in its group metadata) is known once the REST server listens.
    const herder = new DistributedHerder({ worker, dist, cluster, log });
    const rest = new RestServer({ herder, host: listener.host, port: listener.port, clusterId: () => cluster.clusterId, topicTrackingEnable: worker.topicTrackingEnable });
    const addr = await rest.listen();
    closers.push(() => rest.close());
    const advHost = worker.props['rest.advertised.host.name'] ?? (listener.host === '0.0.0.0' || listener.host === '::' ? hostname() : addr.host);
    const advPort = Number(worker.props['rest.advertised.port'] ?? addr.port);
    const urlHost = advHost.includes(':') ? `[${advHost}]` : advHost;
    herder.setIdentity(`http://${urlHost}:${advPort}/`, `${urlHost}:${advPort}`);
    closers.push(() => herder.close());
    await herder.start();
    // Ready once the worker is in the group (config changes before that could only answer 409).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([herder.joined, new Promise<void>((r) => (timer = setTimeout(r, dist.rebalanceTimeoutMs)))]);
    clearTimeout(timer);
    const local = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
    return { url: `http://${local}:${addr.port}`, herder, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
