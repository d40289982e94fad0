/**
 * A free loopback port, for what must be told its port before it starts (etcd, PostgreSQL, a
 * connector's HTTP endpoint, a fixed replication listener). Prefer port 0 where the thing reports the
 * port it bound: between this probe and the real bind another process could take the port.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
