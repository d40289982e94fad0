import { Cluster } from '../client/cluster.ts';
import { parseBootstrap } from './parse.ts';

/** The connection flags every client command has (see BaseCommand.baseFlags). */
export interface ConnectionFlags {
  'bootstrap-server': string;
  'client-id': string;
  'request-timeout-ms': number;
}

/** A cluster handle for the command's flags; the caller closes it (BaseCommand cleanups). */
export function clusterFromFlags(flags: ConnectionFlags): Cluster {
  return new Cluster({
    bootstrap: parseBootstrap(flags['bootstrap-server']),
    clientId: flags['client-id'],
    requestTimeoutMs: flags['request-timeout-ms'],
    connectTimeoutMs: Math.min(flags['request-timeout-ms'], 10_000),
  });
}
