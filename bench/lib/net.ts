/** Ports: pick a free one for a child process, and wait until something accepts on it. */
import { createConnection, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Bind port 0, read the port the kernel chose, release it (a child cannot report a port-0 bind otherwise). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/**
 * Poll until `port` accepts a TCP connection; resolves performance.now() of the first accepted
 * connection. `alive` lets the caller stop early when the process it waits for has died.
 */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!alive()) throw new Error(`process exited before accepting on ${host}:${port}`);
    if (await tryConnect(host, port)) return performance.now();
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`nothing accepted on ${host}:${port} within ${timeoutMs} ms`);
}
