import { hostname } from 'node:os';
import { Cluster } from '../client/cluster.ts';
import type { Props } from './api.ts';
import { RestServer } from './rest/rest-server.ts';
import { Herder } from './runtime/herder.ts';
import { OffsetStore } from './runtime/offset-store.ts';
import { parseWorkerConfig } from './runtime/worker-config.ts';

/**
 * `connect standalone`: one worker, its REST API, the connectors from the command line's files —
 * Kafka's ConnectStandalone. Source offsets live in offset.storage.file.filename (JSON, see
 * runtime/offset-store.ts). Closing stops every task, committing sink offsets and saving source offsets.
 */

export interface StandaloneOptions {
  workerProps: Props;
  connectors: Props[];
  log?: (line: string) => void;
}

export interface StandaloneWorker {
  readonly url: string;
  readonly herder: Herder;
  close(): Promise<void>;
}

export async function startStandalone(opts: StandaloneOptions): Promise<StandaloneWorker> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const worker = parseWorkerConfig(opts.workerProps);
  if (!worker.offsetFile) throw new Error('Missing required configuration "offset.storage.file.filename" which has no default value.');
  if (worker.ignoredSettings.length > 0) log(`kstream connect: ignoring worker settings ${worker.ignoredSettings.join(', ')}`);
  const cluster = new Cluster({ bootstrap: worker.bootstrap, clientId: worker.clientId, security: worker.security });
  const offsets = new OffsetStore(worker.offsetFile);
  const closers: Array<() => Promise<void>> = [() => cluster.close()];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    await offsets.load();
    await cluster.refreshMetadata([]);
    const herder = new Herder({ worker, cluster, offsets, workerId: '', log });
    closers.push(() => herder.close());
    const listener = worker.listeners[0]!;
    const rest = new RestServer({ herder, host: listener.host, port: listener.port, clusterId: () => cluster.clusterId, topicTrackingEnable: worker.topicTrackingEnable });
    const addr = await rest.listen();
    closers.splice(1, 0, () => rest.close());
    const advHost = worker.props['rest.advertised.host.name'] ?? (listener.host === '0.0.0.0' || listener.host === '::' ? hostname() : addr.host);
    herder.workerId = `${advHost}:${worker.props['rest.advertised.port'] ?? addr.port}`;
    for (const c of opts.connectors) {
      const name = c.name?.trim();
      if (!name) throw new Error('a connector config has no "name"');
      try {
        await herder.putConnectorConfig(name, c, false);
      } catch (e) {
        throw new Error(`Failed to create connector for ${name}: ${(e as Error).message}`);
      }
    }
    const urlHost = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
    return { url: `http://${urlHost}:${addr.port}`, herder, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
