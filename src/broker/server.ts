import { createServer, type Server as NetServer } from 'node:net';
import { Connection, type ConnectionOptions, type RequestProcessor } from './connection.ts';
import type { Logger } from './logger.ts';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** Thrown by listen() when the address cannot be bound (port in use, no permission, bad host). */
export class ListenError extends Error {
  override name = 'ListenError';
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

/**
 * The broker's TCP listener: accepts sockets and gives each its Connection. Knows nothing of
 * Kafka beyond "frames in, frames out"; the RequestProcessor does the rest.
 */
export class Server {
  private readonly server: NetServer;
  private readonly connections = new Set<Connection>();
  private readonly process: RequestProcessor;
  private readonly opts: ConnectionOptions;
  private readonly logger: Logger;
  private nextId = 1;
  private bound: ServerAddress | null = null;

  constructor(process: RequestProcessor, opts: ConnectionOptions) {
    this.process = process;
    this.opts = opts;
    this.logger = opts.logger;
    this.server = createServer({ noDelay: true }, (socket) => {
      const conn = new Connection(this.nextId++, socket, this.process, this.opts);
      this.connections.add(conn);
      this.logger.debug(`connection ${conn.describe()} opened`);
      socket.once('close', () => {
        this.connections.delete(conn);
        this.logger.debug(`connection ${conn.describe()} closed`);
      });
    });
  }

  /** Binds host:port (port 0 = any free port) and reports the address actually bound. */
  listen(host: string, port: number): Promise<ServerAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'EADDRINUSE' ? 'address already in use' :
          err.code === 'EACCES' ? 'permission denied' :
          err.code === 'EADDRNOTAVAIL' ? 'address not available on this machine' :
          err.message;
        reject(new ListenError(`cannot listen on ${host}:${port}: ${why}`, err.code));
      };
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.logger.error(`listener: ${err.message}`));
        const a = this.server.address();
        if (a === null || typeof a === 'string') {
          reject(new ListenError(`cannot listen on ${host}:${port}: no address`, undefined));
          return;
        }
        this.bound = { host: a.address, port: a.port };
        resolve(this.bound);
      });
    });
  }

  get address(): ServerAddress | null {
    return this.bound;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, drops every connection, and resolves once the listener is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        for (const c of this.connections) c.destroy();
        resolve();
        return;
      }
      this.server.close(() => resolve());
      for (const c of this.connections) c.destroy();
    });
  }
}
