/**
 * Reference for fetch throughput: a raw loopback TCP stream of a given byte volume between two node
 * processes, no protocol at all. `node loopback.ts send BYTES` listens on a free port, prints it,
 * and writes BYTES to the first client (1 MiB writes, honouring back-pressure);
 * `node loopback.ts recv PORT BYTES` connects, discards everything and prints the ms from connect
 * to the last byte.
 */
import { createConnection, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

const [mode, a, b] = process.argv.slice(2);

if (mode === 'send') {
  const total = Number(a);
  const chunk = Buffer.alloc(1 << 20, 0x61);
  const srv = createServer((sock) => {
    let left = total;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          sock.once('drain', pump);
          return;
        }
      }
      sock.end(() => srv.close());
    };
    pump();
  });
  srv.listen(0, '127.0.0.1', () => {
    const addr = srv.address();
    process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
  });
} else if (mode === 'recv') {
  const port = Number(a);
  const total = Number(b);
  let got = 0;
  let t0 = 0;
  const sock = createConnection({ host: '127.0.0.1', port }, () => {
    t0 = performance.now();
  });
  sock.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= total) {
      process.stdout.write(`${(performance.now() - t0).toFixed(3)}\n`);
      sock.destroy();
    }
  });
  sock.on('error', (e) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
} else {
  process.stderr.write('usage: loopback.ts send BYTES | recv PORT BYTES\n');
  process.exit(2);
}
