import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { TlsServerOptions } from '../security/tls-options.ts';
import { Connection, type ConnectionOptions, type RequestProcessor } from './connection.ts';
import { limitForAddress, NO_CONNECTION_LIMITS, normalizeAddress, type ConnectionLimits } from './connection-limits.ts';
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

/** Connections held waiting for a slot under max.connections at most: Node's default listen backlog. */
const MAX_WAITING = 511;

function listenError(host: string, port: number, err: NodeJS.ErrnoException): ListenError {
  const why =
    err.code === 'EADDRINUSE' ? 'address already in use' :
    err.code === 'EACCES' ? 'permission denied' :
    err.code === 'EADDRNOTAVAIL' ? 'address not available on this machine' :
    err.message;
  return new ListenError(`cannot listen on ${host}:${port}: ${why}`, err.code);
}

/**
 * Binds host:port and lets it go again: whether listen() would succeed, asked before the broker's
 * slow start-up (storage recovery) so a port in use fails at once without touching the data dir, while
 * the real listener opens only once the broker can answer. Port 0 always binds.
 */
export function checkBindable(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(listenError(host, port, err)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * The broker's TCP listener: accepts sockets and gives each its Connection. Knows nothing of
 * Kafka beyond "frames in, frames out"; the RequestProcessor does the rest. Enforces Kafka's
 * connection limits (see connection-limits.ts).
 */
export class Server {
  private readonly server: NetServer;
  private readonly connections = new Set<Connection>();
  private readonly process: RequestProcessor;
  private readonly opts: ConnectionOptions;
  private readonly logger: Logger;
  private readonly limits: ConnectionLimits;
  /** Live connections per normalized remote address. */
  private readonly perIp = new Map<string, number>();
  /** Accepted sockets waiting (unread) for a slot under max.connections, oldest first. */
  private readonly waiting: { socket: Socket; onClose: () => void }[] = [];
  private nextId = 1;
  private bound: ServerAddress | null = null;
  private closing = false;
  private readonly tls: { context: SecureContext; clientAuth: TlsServerOptions['clientAuth'] } | null;

  /** `tls`: this listener speaks TLS (SSL, SASL_SSL); sockets are wrapped once admitted under the limits. */
  constructor(process: RequestProcessor, opts: ConnectionOptions, limits: ConnectionLimits = NO_CONNECTION_LIMITS, tls: TlsServerOptions | null = null) {
    this.process = process;
    this.tls = tls ? { context: createSecureContext(tls.context), clientAuth: tls.clientAuth } : null;
    this.opts = { ...opts, idleMs: opts.idleMs ?? limits.idleMs };
    this.logger = opts.logger;
    this.limits = limits;
    this.server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => {
      if (this.closing) {
        socket.destroy();
      } else if (this.connections.size >= this.limits.maxConnections && this.waiting.length >= MAX_WAITING) {
        // Kafka's waiting connections sit in the kernel's accept backlog, which is bounded; so is ours.
        socket.on('error', ignoreError);
        socket.destroy();
      } else if (this.connections.size >= this.limits.maxConnections) {
        // Kafka's acceptor stops accepting at max.connections; the client's connect completes in the
        // kernel backlog and its requests wait. Holding the paused socket is the same to the client.
        const entry = {
          socket,
          onClose: () => {
            const i = this.waiting.indexOf(entry);
            if (i >= 0) this.waiting.splice(i, 1);
          },
        };
        this.waiting.push(entry);
        socket.on('error', ignoreError);
        socket.once('close', entry.onClose);
        if (this.waiting.length === 1) this.logger.info(`max.connections (${this.limits.maxConnections}) reached: new connections wait for a free slot`);
      } else {
        this.admit(socket);
      }
    });
  }

  private admit(socket: Socket): void {
    const ip = normalizeAddress(socket.remoteAddress ?? '?');
    const count = this.perIp.get(ip) ?? 0;
    const limit = limitForAddress(this.limits, ip);
    if (count >= limit) {
      // Kafka: "Rejected connection from <ip>, address already has the configured maximum of N connections."
      this.logger.warn(`rejected connection from ${ip}: the address already has the configured maximum of ${limit} connections (max.connections.per.ip)`);
      socket.on('error', ignoreError);
      socket.destroy();
      return;
    }
    this.perIp.set(ip, count + 1);
    const conn = new Connection(this.nextId++, this.tls ? this.wrapTls(socket) : socket, this.process, this.opts);
    if (this.tls) this.watchTls(conn);
    this.connections.add(conn);
    this.logger.debug(`connection ${conn.describe()} opened`);
    socket.once('close', () => {
      this.connections.delete(conn);
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
      this.logger.debug(`connection ${conn.describe()} closed`);
      this.admitWaiting();
    });
    socket.resume();
  }

  /**
   * TLS over the accepted socket. ssl.client.auth=required makes node:tls refuse a client without a
   * trusted certificate; =requested asks for one but lets the client go without (a certificate that is
   * offered must still verify, checked in watchTls).
   */
  private wrapTls(socket: Socket): TLSSocket {
    const auth = this.tls!.clientAuth;
    return new TLSSocket(socket, { isServer: true, secureContext: this.tls!.context, requestCert: auth !== 'none', rejectUnauthorized: auth === 'required' });
  }

  /** One log line for a failed TLS handshake; the principal from the client certificate once it succeeds. */
  private watchTls(conn: Connection): void {
    const socket = conn.socket as TLSSocket;
    const listener = this.opts.listener?.name ?? 'TLS';
    let secure = false;
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (!secure) this.logger.warn(`TLS handshake with ${conn.remoteAddress}:${conn.remotePort} on listener ${listener} failed: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '));
    });
    socket.once('secure', () => {
      secure = true;
      const cert = socket.getPeerX509Certificate();
      if (cert !== undefined && !socket.authorized) {
        conn.abort(`client certificate of ${conn.remoteAddress} on listener ${listener} rejected: ${String(socket.authorizationError)}`);
        return;
      }
      try {
        conn.security?.tlsEstablished(cert?.raw ?? null);
      } catch (err) {
        conn.abort(`no principal for the client certificate on listener ${listener}: ${(err as Error).message}`);
      }
    });
  }

  /** Gives freed slots to the connections waiting for one, oldest first. */
  private admitWaiting(): void {
    while (!this.closing && this.waiting.length > 0 && this.connections.size < this.limits.maxConnections) {
      const { socket, onClose } = this.waiting.shift()!;
      socket.off('close', onClose);
      socket.off('error', ignoreError);
      if (socket.destroyed) continue;
      this.admit(socket);
    }
  }

  /** Binds host:port (port 0 = any free port) and reports the address actually bound. */
  listen(host: string, port: number): Promise<ServerAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(listenError(host, port, err));
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
    this.closing = true;
    for (const { socket } of this.waiting.splice(0)) socket.destroy();
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

/** Errors of sockets not (yet) owned by a Connection: resets by clients that gave up are routine. */
function ignoreError(): void {}
