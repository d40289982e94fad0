/**
 * Load limits of a compiled `kstream serve` child:
 *   - 1,000 concurrent client connections held open, each served ApiVersions + Metadata, and all
 *     still served after every one of them is open;
 *   - a slow reader (pipelines big Fetches and never reads) does not block other clients, and the
 *     broker does not buffer its unread responses without bound (RSS stays under a bound);
 *   - 1,000 partitions start up (after a clean stop and after SIGKILL) and hold a bounded number of
 *     file descriptors (/proc/<pid>/fd of the child).
 * Pass/fail never depends on timing: waits are generous bounds that only catch hangs.
 */
import { createConnection, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRecordsBlob } from '../../src/protocol/records/record-batch.ts';
import { closeAll, sleep, RawClient } from '../helpers/index.ts';
import { batchOf, createTopic, fdCount, fetchAt, fetchBody, produceTo, rssBytes, scale, startServe } from './helpers.ts';
import { encodeRequestFrame } from '../../src/protocol/headers.ts';
import { apisByName } from '../../src/protocol/messages/index.ts';
import { ApiVersionsFacts, MetadataFacts } from '../../src/protocol/messages/api-facts.ts';

afterAll(closeAll);

describe('load', () => {
  it(`${scale(1000, 5000)} concurrent connections are held open and served`, { timeout: scale(90_000, 300_000) }, async () => {
    const n = scale(1000, 5000);
    const child = await startServe();
    const clients: RawClient[] = [];
    try {
      // Open in waves of 100 (the listen backlog is finite; this is about holding, not racing connects).
      for (let i = 0; i < n; i += 100) {
        const wave = await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => RawClient.connect(child.port)));
        clients.push(...wave);
        await Promise.all(wave.map(async (c) => {
          const v = await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'load', clientSoftwareVersion: '1' });
          expect(v.errorCode).toBe(0);
          const m = await c.request(MetadataFacts, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
          expect(m.brokers[0].port).toBe(child.port);
        }));
      }
      const fds = await fdCount(child.process.pid!);
      expect(fds, 'the broker holds a socket per connection').toBeGreaterThanOrEqual(n);
      // All of them at once, again: every connection is still open and answers.
      const answers = await Promise.all(clients.map((c) => c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'load', clientSoftwareVersion: '1' })));
      expect(answers.filter((a) => a.errorCode === 0).length).toBe(n);
      console.log(`load: ${n} connections held open and served (${fds} fds in the broker, RSS ${Math.round((await rssBytes(child.process.pid!)) / 2 ** 20)} MiB)`);
    } finally {
      for (const c of clients) c.close();
      child.kill('SIGTERM');
      await child.exited;
    }
  });

  it('a slow reader neither blocks other clients nor makes the broker buffer without bound', { timeout: 90_000 }, async () => {
    const child = await startServe({ args: ['--config', 'message.max.bytes=2000000'] });
    const pid = child.process.pid!;
    const c = await RawClient.connect(child.port);
    let slow: Socket | null = null;
    try {
      // 16 MiB of data in 1 MiB batches.
      await createTopic(c, 'big', 1);
      const chunk = 'x'.repeat(1024 * 1024 - 200);
      for (let i = 0; i < 16; i++) expect((await produceTo(c, 'big', 0, batchOf([chunk]))).errorCode).toBe(0);
      const rssBefore = await rssBytes(pid);

      // The slow reader: pipelines 64 Fetches of all 16 MiB (1 GiB of answers) and never reads.
      slow = createConnection({ port: child.port, host: '127.0.0.1' });
      await new Promise<void>((res) => slow!.once('connect', () => res()));
      slow.pause();
      for (let i = 0; i < 64; i++) slow.write(encodeRequestFrame(apisByName.Fetch, 11, 1000 + i, 'slow', fetchBody('big', 0, 0, 64 << 20)));

      // Meanwhile another client produces and fetches, many times over.
      let peak = rssBefore;
      for (let i = 0; i < 20; i++) {
        const r = await produceTo(c, 'other', 0, batchOf([`v${i}`]));
        expect(r.errorCode).toBe(0);
        const p = await fetchAt(c, 'other', 0, Number(r.baseOffset));
        expect(decodeRecordsBlob(p.records)[0]!.value!.toString()).toBe(`v${i}`);
        peak = Math.max(peak, await rssBytes(pid));
        await sleep(25);
      }
      // Let the broker do whatever it would do with the unread requests, then measure.
      for (let i = 0; i < 20; i++) {
        await sleep(50);
        peak = Math.max(peak, await rssBytes(pid));
      }
      console.log(`load: slow reader — broker RSS ${Math.round(rssBefore / 2 ** 20)} MiB before, peak ${Math.round(peak / 2 ** 20)} MiB while 1 GiB of answers sat unread`);
      // Bounded: a few responses in flight, not the 1 GiB the pipelined requests ask for.
      expect(peak - rssBefore).toBeLessThan(256 * 1024 * 1024);

      // When the slow reader finally reads, it gets every answer in order.
      let got = 0;
      let head = Buffer.alloc(0); // length prefix + correlation id of the next frame
      let skip = 0; // bytes of the current frame's body still to pass over (no copies: 1 GiB arrives)
      const ids: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`slow reader got only ${got} of 64 answers`)), 60_000);
        slow!.on('data', (d: Buffer) => {
          let at = 0;
          while (at < d.length) {
            if (skip > 0) {
              const n = Math.min(skip, d.length - at);
              skip -= n;
              at += n;
              continue;
            }
            const n = Math.min(8 - head.length, d.length - at);
            head = Buffer.concat([head, d.subarray(at, at + n)]);
            at += n;
            if (head.length < 8) continue;
            ids.push(head.readInt32BE(4));
            skip = head.readInt32BE(0) - 4;
            head = Buffer.alloc(0);
            if (++got === 64) {
              clearTimeout(timer);
              resolve();
            }
          }
        });
        slow!.resume();
      });
      expect(ids).toEqual(Array.from({ length: 64 }, (_, i) => 1000 + i));
    } finally {
      slow?.destroy();
      c.close();
      child.kill('SIGTERM');
      await child.exited;
    }
  });

  it(`${scale(1000, 4000)} partitions start up with bounded file descriptors, after a clean stop and after SIGKILL`, { timeout: scale(90_000, 600_000) }, async () => {
    const partitions = scale(1000, 4000);
    const topics = partitions / 100;
    let child = await startServe();
    const dataDir = child.dataDir;
    const c = await RawClient.connect(child.port);
    try {
      for (let t = 0; t < topics; t++) await createTopic(c, `many-${t}`, 100);
      // One record in every partition, so each has a non-empty active segment to recover.
      for (let t = 0; t < topics; t++) {
        await Promise.all(Array.from({ length: 100 }, async (_, p) => {
          expect((await produceTo(c, `many-${t}`, p, batchOf([`${t}/${p}`]))).errorCode).toBe(0);
        }));
      }
    } finally {
      c.close();
    }
    const fdsRunning = await fdCount(child.process.pid!);
    const figures: string[] = [`${fdsRunning} fds after creating them`];
    for (const stop of ['SIGTERM', 'SIGKILL'] as const) {
      child.kill(stop);
      await child.exited;
      const started = Date.now();
      child = await startServe({ dataDir, timeoutMs: 120_000 });
      const ms = Date.now() - started;
      const fds = await fdCount(child.process.pid!);
      figures.push(`restart after ${stop}: ready in ${ms} ms, ${fds} fds`);
      // One active segment file per partition at most, plus a fixed overhead (sockets, meta files, node).
      expect(fds, `fds after ${stop}`).toBeLessThan(partitions + 200);
      // Everything is still there.
      const k = await RawClient.connect(child.port);
      try {
        for (let t = 0; t < topics; t += Math.max(1, Math.floor(topics / 5))) {
          for (const p of [0, 57, 99]) {
            const f = await fetchAt(k, `many-${t}`, p, 0);
            expect(decodeRecordsBlob(f.records).map((r) => r.value!.toString())).toEqual([`${t}/${p}`]);
          }
        }
      } finally {
        k.close();
      }
    }
    child.kill('SIGTERM');
    await child.exited;
    console.log(`load: ${partitions} partitions — ${figures.join('; ')}`);
  });
});
