import type { Socket } from 'node:net';
import { FrameSplitter } from '../protocol/framing.ts';
import type { ConnectionInfo, ListenerInfo } from './handler.ts';
import { ANONYMOUS } from '../security/principal.ts';
import type { ConnectionSecurity } from '../security/session.ts';
import type { Logger } from './logger.ts';

/**
 * Thrown by a request processor when the request cannot be answered in a way the client could
 * parse (unknown api key, unsupported version, malformed bytes): the connection is closed with
 * this message as the logged reason. Kafka does the same.
 */
export class CloseConnection extends Error {
  override name = 'CloseConnection';
}

/**
 * Turns one request frame (without its length prefix) into the complete response frame (with its
 * length prefix), or null for "no response" (Produce acks=0). Throws CloseConnection to drop the
 * connection; any other throw is logged and also drops it.
 */
export type RequestProcessor = (frame: Buffer, conn: Connection) => Promise<Response> | Response;

/** A complete response frame, as one buffer or as pieces to write in order (zero-copy record data); null = none. */
export type Response = Buffer | Buffer[] | SentAwareResponse | null;

/**
 * A response whose `onSent` must run once its bytes have been handed to the kernel (the socket write
 * completed), or the connection closed first: buffers lent by storage go back to their owner then.
 */
export interface SentAwareResponse {
  readonly pieces: Buffer[];
  readonly onSent: () => void;
}

export interface ConnectionOptions {
  readonly maxFrameSize: number;
  /**
   * How many requests of one connection may be handled at once. 1 (the default) is Kafka's model:
   * a connection's next request starts when the previous one is answered, so appends from one
   * producer connection happen in request order. Responses are written in request order anyway.
   */
  readonly maxInFlight: number;
  /** Stop reading from the socket while this many decoded-but-unanswered requests are queued. */
  readonly maxQueued: number;
  /** …or while the requests read but not yet started hold this many bytes (pipelined big produces). */
  readonly maxQueuedBytes?: number;
  /**
   * connections.max.idle.ms: close the connection after this long with no bytes either way and no
   * request in progress (Kafka's Selector idle expiry). Absent or <= 0: never.
   */
  readonly idleMs?: number;
  readonly logger: Logger;
  /** The listener the connection was accepted on (Metadata answers with its advertised address). */
  readonly listener?: ListenerInfo;
  /** A fresh security state (principal, SASL exchange) for each connection of the listener. */
  readonly newSecurity?: () => ConnectionSecurity;
}

const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

interface Slot {
  frame: Buffer | null;
  done: boolean;
  response: Response;
}

/**
 * One client connection: splits the byte stream into frames, hands them to the processor, and
 * writes the responses strictly in request order (pipelining: the client may send many requests
 * before reading any response). Backpressure: reading pauses while the socket's write buffer is
 * full or too many requests are queued, and resumes when both drain.
 */
export class Connection implements ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly socket: Socket;
  closed = false;
  readonly closedPromise: Promise<void>;
  readonly listener: ListenerInfo | undefined;
  readonly security: ConnectionSecurity | undefined;

  private readonly splitter: FrameSplitter;
  private readonly process: RequestProcessor;
  private readonly opts: ConnectionOptions;
  /** Requests in arrival order; the head is the next response to write. */
  private readonly slots: Slot[] = [];
  /** Index into `slots` of the next request not yet started. */
  private nextToStart = 0;
  private running = 0;
  private writeBlocked = false;
  private pumping = false;
  private readPaused = false;
  /** Bytes received on this connection so far. */
  private bytesRead = 0;
  /** Bytes of the frames read but not yet handed to the processor. */
  private queuedBytes = 0;
  /** KIP-219: while set, the connection is muted (throttled by a quota) until it fires. */
  private throttleTimer: NodeJS.Timeout | null = null;
  private throttledUntil = 0;
  private resolveClosed!: () => void;

  constructor(id: number, socket: Socket, process: RequestProcessor, opts: ConnectionOptions) {
    this.id = id;
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '?';
    this.remotePort = socket.remotePort ?? 0;
    this.process = process;
    this.opts = opts;
    this.splitter = new FrameSplitter(opts.maxFrameSize);
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    this.listener = opts.listener;
    this.security = opts.newSecurity?.();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.pump();
      this.updateReading();
    });
    socket.on('error', (err) => {
      // Resets by the peer are routine (clients drop connections); log them quietly.
      this.opts.logger.debug(`connection ${this.describe()}: ${err.message}`);
    });
    socket.on('close', () => this.onClose());
    const idleMs = opts.idleMs ?? 0;
    if (idleMs > 0) {
      // Node's socket timeout is exactly Kafka's idleness: no bytes read or written for idleMs.
      socket.setTimeout(idleMs);
      socket.on('timeout', () => {
        // A request still being answered (a long-polling Fetch) is not idleness; look again later.
        if (this.running > 0 || this.slots.length > 0) socket.setTimeout(idleMs);
        else {
          this.opts.logger.debug(`closing connection ${this.describe()}: idle for ${idleMs} ms (connections.max.idle.ms)`);
          this.destroy();
        }
      });
    }
  }

  get principal(): string {
    return this.security?.principal ?? ANONYMOUS;
  }

  /** `#id host:port`, for log lines. */
  describe(): string {
    return `#${this.id} ${this.remoteAddress}:${this.remotePort}`;
  }

  /**
   * KIP-219 throttling: the response being answered still goes out, but no further request of this
   * connection is read or started for `ms` (Kafka mutes the channel until the quota manager's delay
   * queue releases it). A longer throttle extends a running one; a shorter one does not cut it.
   */
  throttle(ms: number): void {
    if (this.closed || !(ms > 0)) return;
    const until = Date.now() + ms;
    if (until <= this.throttledUntil) return;
    this.throttledUntil = until;
    if (this.throttleTimer) clearTimeout(this.throttleTimer);
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = null;
      this.throttledUntil = 0;
      this.pump();
      this.updateReading();
    }, ms);
    this.updateReading();
  }

  /** True while muted by a quota throttle. */
  get throttled(): boolean {
    return this.throttleTimer !== null;
  }

  /** Logs the reason on one line and closes this connection only. */
  abort(reason: string): void {
    if (this.closed) return;
    this.opts.logger.warn(`closing connection ${this.describe()}: ${reason}`);
    this.closed = true;
    this.socket.destroy();
    this.resolveClosed();
  }

  /** Closes without logging (broker shutdown). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.resolveClosed();
  }

  private onClose(): void {
    this.closed = true;
    if (this.throttleTimer) clearTimeout(this.throttleTimer);
    this.throttleTimer = null;
    // Responses never written still hand back what they borrowed.
    for (const slot of this.slots) if (slot.done) settle(slot.response);
    this.slots.length = 0;
    this.resolveClosed();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const frames: Buffer[] = [];
    const first = this.bytesRead === 0;
    this.bytesRead += chunk.length;
    try {
      this.splitter.pushTo(chunk, frames);
    } catch (err) {
      // A negative or oversized length prefix: the stream has lost its framing, so nothing after
      // it (nor requests still queued) can be trusted. Kafka drops the connection; so do we.
      this.abort((err as Error).message + (first ? wrongProtocolHint(chunk, this.listener?.name) : ''));
      return;
    }
    for (const frame of frames) {
      this.slots.push({ frame, done: false, response: null });
      this.queuedBytes += frame.length;
    }
    this.pump();
    this.updateReading();
  }

  /**
   * Starts queued requests while under the in-flight limit — and not while the client is not reading
   * its responses (socket buffer full): otherwise a slow reader that pipelines big Fetches makes the
   * broker read and buffer every answer in memory (found by test/reliability/load.test.ts: 1 GiB).
   */
  private pump(): void {
    // A request answered synchronously completes inside run() and calls pump() again: without this
    // guard thousands of pipelined quick requests (one 64 KiB chunk holds ~4 000 ApiVersions) would
    // recurse once each and overflow the stack. The outer loop picks them up instead.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && !this.writeBlocked && this.throttleTimer === null && this.running < this.opts.maxInFlight && this.nextToStart < this.slots.length) {
        const slot = this.slots[this.nextToStart++]!;
        this.running++;
        this.run(slot);
      }
    } finally {
      this.pumping = false;
    }
  }

  private run(slot: Slot): void {
    const frame = slot.frame!;
    slot.frame = null;
    this.queuedBytes -= frame.length;
    let result: Promise<Response> | Response;
    try {
      result = this.process(frame, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => this.complete(slot, response),
        (err) => this.fail(err),
      );
    } else {
      this.complete(slot, result);
    }
  }

  private fail(err: unknown): void {
    this.running--;
    if (err instanceof CloseConnection) this.abort(err.message);
    else {
      this.opts.logger.error(`connection ${this.describe()}: ${(err as Error)?.stack ?? String(err)}`);
      this.abort(`internal error: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private complete(slot: Slot, response: Response): void {
    this.running--;
    if (this.closed) {
      settle(response);
      return;
    }
    slot.done = true;
    slot.response = response;
    this.flush();
    this.pump();
    this.updateReading();
  }

  /** Writes every finished response at the head of the queue, in order. */
  private flush(): void {
    const slots = this.slots;
    let n = 0;
    let corked = false;
    while (n < slots.length && slots[n]!.done) {
      const response = slots[n]!.response;
      const pieces = Array.isArray(response) ? response : response !== null && !Buffer.isBuffer(response) ? response.pieces : null;
      if (pieces !== null) {
        if (!corked) {
          this.socket.cork();
          corked = true;
        }
        const last = pieces.length - 1;
        const onSent = (response as SentAwareResponse).onSent;
        for (let i = 0; i <= last; i++) {
          // The write callback runs once the bytes are with the kernel (or the socket failed).
          const ok = i === last && onSent !== undefined ? this.socket.write(pieces[i]!, () => onSent()) : this.socket.write(pieces[i]!);
          if (!ok) this.writeBlocked = true;
        }
        if (last < 0 && onSent !== undefined) onSent();
      } else if (response !== null && !this.socket.write(response as Buffer)) this.writeBlocked = true;
      n++;
    }
    if (corked) this.socket.uncork();
    if (n > 0) {
      slots.splice(0, n);
      this.nextToStart -= n;
    }
  }

  private updateReading(): void {
    if (this.closed) return;
    const shouldPause =
      this.writeBlocked ||
      this.throttleTimer !== null || this.slots.length >= this.opts.maxQueued || this.queuedBytes >= (this.opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES);
    if (shouldPause && !this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    } else if (!shouldPause && this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }
}

/** Runs a response's onSent when it will never be written (connection gone). */
function settle(response: Response): void {
  if (response !== null && !Buffer.isBuffer(response) && !Array.isArray(response)) response.onSent();
}

/**
 * What a connection's first bytes look like when they are not Kafka: a TLS client or an HTTP request
 * shows up as a huge "length prefix"; naming it saves the user a guess.
 */
function wrongProtocolHint(start: Buffer, listener = 'PLAINTEXT'): string {
  if (start.length >= 3 && start[0] === 0x16 && start[1] === 0x03) return ` (looks like a TLS handshake: listener ${listener} does not use TLS)`;
  const text = start.toString('latin1', 0, Math.min(start.length, 8));
  if (/^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH) /.test(text)) return ' (looks like an HTTP request: this port speaks the Kafka protocol)';
  return '';
}
