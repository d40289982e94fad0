import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startBroker, type RunningBroker } from '../../src/broker/broker.ts';
import { BrokerConfig } from '../../src/broker/config.ts';
import { silentLogger } from '../../src/broker/logger.ts';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/headers.ts';
import { apis } from '../../src/protocol/messages/index.ts';

/** Group settings for tests: no initial rebalance delay, short session timeouts allowed. */
export const TEST_GROUP_SETTINGS = {
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '1000',
};

export function startTestBroker(dataDir: string, overrides: Record<string, string> = {}, port = 0): Promise<RunningBroker> {
  return startBroker({ dataDir, port, config: new BrokerConfig({ ...TEST_GROUP_SETTINGS, ...overrides }), logger: silentLogger });
}

/** Polls `cond` until it holds; throws with `what` after `timeoutMs` (a hang guard, not a measurement). */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const BIN_DEV = fileURLToPath(new URL('../../bin/dev', import.meta.url));

/** `kstream serve` as a child process (so it can be killed with SIGKILL); resolves with its port. */
export async function spawnBroker(dataDir: string, args: string[] = [], port = 0): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const settings = Object.entries(TEST_GROUP_SETTINGS).flatMap(([k, v]) => ['--config', `${k}=${v}`]);
  const child = spawn(process.execPath, [BIN_DEV, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', ...settings, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const bound = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`kstream serve exited with ${code}: ${err}`)));
  });
  return { child, port: bound, stderr: () => err };
}

export function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** A bare Kafka connection speaking through the project's codecs: for requests no client library lets us forge. */
export class RawClient {
  readonly #socket: Socket;
  #buf = Buffer.alloc(0);
  #correlation = 0;
  readonly #waiting = new Map<number, { apiKey: number; version: number; resolve: (v: any) => void; reject: (e: Error) => void }>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (d) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      while (this.#buf.length >= 4) {
        const len = this.#buf.readInt32BE(0);
        if (this.#buf.length < 4 + len) break;
        const frame = this.#buf.subarray(4, 4 + len);
        this.#buf = this.#buf.subarray(4 + len);
        const id = frame.readInt32BE(0);
        const w = this.#waiting.get(id);
        if (!w) continue;
        this.#waiting.delete(id);
        try {
          w.resolve(decodeResponseFrame(apis[w.apiKey]!, w.version, frame).body);
        } catch (e) {
          w.reject(e as Error);
        }
      }
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  request<T = any>(apiKey: number, version: number, body: unknown): Promise<T> {
    const id = ++this.#correlation;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { apiKey, version, resolve, reject });
      this.#socket.write(encodeRequestFrame(apis[apiKey]!, version, id, 'raw-test', body));
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}
