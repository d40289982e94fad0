import { connect as netConnect, type Socket } from 'node:net';
import { FrameSplitter } from '../protocol/framing.ts';
import { encodeRequestFrameChunks } from '../protocol/api.ts';
import { decodeResponseHeader } from '../protocol/headers.ts';
import { apis, responseHeaderVersion } from '../protocol/messages/index.ts';
import type { ApiVersionsResponse } from '../protocol/messages/api-versions.ts';
import { Reader } from '../protocol/primitives/reader.ts';
import { ConnectionError, KafkaError, TimeoutError, UnsupportedApiError, connectError } from './errors.ts';

/**
 * One TCP connection to one broker. Requests are pipelined: each gets a correlation id, and responses
 * are matched by id (the response does not name its API, so the key and version are remembered per id).
 * On connect it negotiates versions with ApiVersions (guide §6) and afterwards every request goes out at
 * the highest version both our codecs and the broker support.
 */

export const SOFTWARE_NAME = 'kstream';
export const SOFTWARE_VERSION = '0.1.0';
const API_VERSIONS = 18;
const UNSUPPORTED_VERSION = 35;

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId?: string;
  /** Per-request timeout (ms). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Node id in the cluster, when known (for messages). */
  nodeId?: number;
}

interface Pending {
  apiKey: number;
  version: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface RequestOptions {
  /** Use exactly this version instead of the negotiated one. */
  version?: number;
  /** Highest version the caller knows how to fill/read (e.g. it relies on a field layout). */
  maxVersion?: number;
  /** Produce with acks=0: the broker sends nothing back. */
  expectResponse?: boolean;
  timeoutMs?: number;
}

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly clientId: string;
  readonly nodeId: number | undefined;
  private readonly requestTimeoutMs: number;
  private socket: Socket | null = null;
  private readonly splitter = new FrameSplitter();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedError: Error | null = null;
  /** Broker's [min, max] per API key, from ApiVersions. */
  readonly brokerVersions = new Map<number, [number, number]>();
  private readonly closeListeners: Array<(err: Error | null) => void> = [];

  constructor(opts: ConnectionOptions) {
    this.host = opts.host;
    this.port = opts.port;
    this.address = opts.host.includes(':') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
    this.clientId = opts.clientId ?? 'kstream';
    this.nodeId = opts.nodeId;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  /** Connects and negotiates API versions. */
  static async open(opts: ConnectionOptions): Promise<Connection> {
    const c = new Connection(opts);
    await c.connectSocket(opts.connectTimeoutMs ?? 10_000);
    try {
      await c.negotiate();
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  onClose(fn: (err: Error | null) => void): void {
    this.closeListeners.push(fn);
  }

  private connectSocket(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: this.host, port: this.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(`timed out connecting to ${this.address} after ${timeoutMs} ms`, this.address, 'ETIMEDOUT'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        this.socket = socket;
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        socket.on('error', (err) => this.fail(new ConnectionError(`connection to ${this.address} failed: ${err.message}`, this.address, (err as NodeJS.ErrnoException).code, { cause: err })));
        socket.on('close', () => this.fail(new ConnectionError(`connection to ${this.address} closed by the broker`, this.address)));
        resolve();
      });
      const onError = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(connectError(this.address, err));
      };
      socket.once('error', onError);
    });
  }

  /** ApiVersions at our highest version; on UNSUPPORTED_VERSION retry at what the broker offers, or v0. */
  private async negotiate(): Promise<void> {
    let version = Math.min(apis[API_VERSIONS]!.maxVersion, 3);
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = (await this.send(API_VERSIONS, version, { clientSoftwareName: SOFTWARE_NAME, clientSoftwareVersion: SOFTWARE_VERSION }, true)) as ApiVersionsResponse;
      if (res.errorCode === UNSUPPORTED_VERSION) {
        const entry = res.apiKeys.find((k) => k.apiKey === API_VERSIONS);
        const next = entry ? Math.min(entry.maxVersion, version - 1) : 0;
        if (next < 0 || next >= version) break;
        version = next;
        continue;
      }
      if (res.errorCode !== 0) throw new KafkaError(res.errorCode, `ApiVersions from ${this.address}`);
      for (const k of res.apiKeys) this.brokerVersions.set(k.apiKey, [k.minVersion, k.maxVersion]);
      return;
    }
    throw new UnsupportedApiError(`${this.address} does not accept any ApiVersions version we speak`);
  }

  /** Highest version of an API both sides support (capped by `cap`), or -1 if none. */
  versionFor(apiKey: number, cap = Infinity): number {
    const ours = apis[apiKey];
    const theirs = this.brokerVersions.get(apiKey);
    if (!ours || !theirs) return -1;
    const max = Math.min(ours.maxVersion, theirs[1], cap);
    const min = Math.max(ours.minVersion, theirs[0]);
    return max >= min ? max : -1;
  }

  supports(apiKey: number, version = 0): boolean {
    const theirs = this.brokerVersions.get(apiKey);
    return theirs !== undefined && theirs[0] <= version && version <= theirs[1];
  }

  /** Sends a request at the negotiated version and resolves with the decoded response body. */
  request<T = any>(apiKey: number, body: unknown, opts: RequestOptions = {}): Promise<T> {
    let version = opts.version;
    if (version === undefined) {
      version = this.versionFor(apiKey, opts.maxVersion);
      if (version < 0) {
        const name = apis[apiKey]?.name ?? `api ${apiKey}`;
        const theirs = this.brokerVersions.get(apiKey);
        return Promise.reject(
          new UnsupportedApiError(
            theirs
              ? `broker ${this.address} serves ${name} v${theirs[0]}–${theirs[1]}, none of which kstream speaks`
              : `broker ${this.address} does not support ${name}`,
          ),
        );
      }
    }
    return this.send(apiKey, version, body, opts.expectResponse ?? true, opts.timeoutMs) as Promise<T>;
  }

  /** The version `request` would use (to shape a body by version). */
  negotiated(apiKey: number, cap?: number): number {
    return this.versionFor(apiKey, cap);
  }

  private send(apiKey: number, version: number, body: unknown, expectResponse: boolean, timeoutMs = this.requestTimeoutMs): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const socket = this.socket!;
    const correlationId = this.nextId;
    this.nextId = this.nextId === 0x7fffffff ? 1 : this.nextId + 1;
    let chunks: Buffer[];
    try {
      // Record batches (Produce) are referenced, not copied, and go out in one vectored write.
      chunks = encodeRequestFrameChunks(apiKey, version, correlationId, this.clientId, body);
    } catch (e) {
      return Promise.reject(e);
    }
    const write = () => {
      if (chunks.length === 1) socket.write(chunks[0]!);
      else {
        socket.cork();
        for (const c of chunks) socket.write(c);
        socket.uncork();
      }
    };
    if (!expectResponse) {
      write();
      return Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { apiKey, version, resolve, reject, timer: undefined };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        p.timer = setTimeout(() => {
          this.pending.delete(correlationId);
          reject(new TimeoutError(`${apis[apiKey]?.name ?? apiKey} request to ${this.address} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(correlationId, p);
      write();
    });
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (e) {
      this.fail(new ConnectionError(`bad frame from ${this.address}: ${(e as Error).message}`, this.address));
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.fail(new ConnectionError(`response from ${this.address} is too short`, this.address));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return; // timed out earlier; its late answer is dropped
    this.pending.delete(correlationId);
    if (p.timer) clearTimeout(p.timer);
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, responseHeaderVersion(p.apiKey, p.version));
      // An ApiVersions error reply comes in v0 format whatever we sent (KIP-511): read the error code
      // first and decode the rest as v0 then.
      if (p.apiKey === API_VERSIONS && p.version > 0 && r.remaining() >= 2 && frame.readInt16BE(r.pos) === UNSUPPORTED_VERSION) {
        p.resolve(apis[API_VERSIONS]!.decodeResponse(r, 0));
      } else {
        p.resolve(apis[p.apiKey]!.decodeResponse(r, p.version));
      }
    } catch (e) {
      p.reject(new ConnectionError(`cannot decode ${apis[p.apiKey]?.name} v${p.version} response from ${this.address}: ${(e as Error).message}`, this.address, undefined, { cause: e }));
    }
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket?.destroy();
    for (const l of this.closeListeners) l(err);
  }

  /** Number of requests waiting for a response. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves once everything written so far has been handed to the OS. */
  drained(): Promise<void> {
    const s = this.socket;
    if (!s || !s.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.once('drain', done);
      s.once('close', done);
    });
  }

  close(): void {
    if (this.closedError) return;
    const err = new ConnectionError(`connection to ${this.address} was closed`, this.address);
    this.closedError = err;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket?.end();
    this.socket?.destroy();
    for (const l of this.closeListeners) l(null);
  }
}

