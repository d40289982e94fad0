/**
 * The lazy handler table (src/broker/handler-table.ts, issue 12): `kstream serve` imports only the
 * handlers it needs up front (Produce, Fetch, Metadata, ApiVersions) and the rest on the first request
 * for them; what the table advertises before that is exactly what each handler serves once imported.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../src/broker/handler.ts';
import { isLoaded, lazyHandler, loadHandlers, mapHandler } from '../../src/broker/handler-table.ts';
import { handlers as table } from '../../src/broker/handlers/index.ts';
import * as facts from '../../src/protocol/messages/api-facts.ts';
import { apisByName } from '../../src/protocol/messages/index.ts';
import { ApiVersionsFacts, CreateTopicsFacts, DescribeClusterFacts, EndTxnFacts } from '../../src/protocol/messages/api-facts.ts';
import { closeAll, RawClient, repoRoot, startChildBroker, startTestBroker, tempDir } from '../helpers/index.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

afterAll(closeAll);

const handlersDir = pathToFileURL(join(repoRoot, 'src', 'broker', 'handlers')).href;
/** The handler modules `serve` imports with the broker (the table's eager entries). */
const EAGER = ['produce.ts', 'fetch.ts', 'metadata.ts', 'api-versions.ts', 'index.ts'];

describe('kstream serve at start-up', () => {
  it('imports no lazy handler at start; imports a handler on its first request', async () => {
    const log = join(await tempDir(), 'modules.txt');
    const b = await startChildBroker({
      nodeArgs: ['--import', pathToFileURL(join(repoRoot, 'bench', 'lib', 'module-log-hook.ts')).href],
      env: { KSTREAM_MODULE_LOG: log },
      timeoutMs: 60_000,
    });
    // One lazy API asked for: its handler must be imported then, and only it.
    const c = await RawClient.connect(b.port);
    try {
      const r = await c.request(DescribeClusterFacts, 0, { includeClusterAuthorizedOperations: false });
      expect(r.errorCode).toBe(0);
    } finally {
      c.close();
    }
    b.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    const loaded = (await readFile(log, 'utf8')).split('\n').filter((u) => u !== '');
    const ours = (dir: string) => loaded.filter((u) => u.startsWith(`${dir}/`)).map((u) => u.slice(dir.length + 1));

    // The hook saw the broker start (else the absences below would prove nothing).
    expect(ours(handlersDir)).toEqual(expect.arrayContaining(['produce.ts', 'fetch.ts', 'metadata.ts', 'api-versions.ts']));
    expect(ours(handlersDir).filter((f) => !EAGER.includes(f))).toEqual(['describe-cluster.ts']);
    expect(ours(handlersDir)).not.toContain('write-txn-markers.ts');
    // A single PLAINTEXT node without an authorizer, transactions or client quotas loads none of what cluster
    // mode, TLS/SASL listeners, ACLs, replica fetchers, transactions and quota managers need (each module below is the
    // entry to one of them), and makes no __transaction_state (Kafka creates it on first use).
    const src = pathToFileURL(join(repoRoot, 'src')).href;
    const notAtStart = [
      'broker/cluster-parts.ts',
      'broker/cluster-mode.ts',
      'cluster/stores.ts',
      'security/listener-security.ts',
      'security/inter-broker.ts',
      'security/authorizer/standard-authorizer.ts',
      'security/authorizer/acl-store.ts',
      'replication/replica-fetcher.ts',
      'client/broker-connection.ts',
      'coordinator/transaction-coordinator.ts',
      'cluster/isr.ts',
      'protocol/records/legacy-message-writer.ts',
      'broker/quotas/client-quotas.ts',
      'broker/quotas/request-quota.ts',
    ];
    expect(ours(src)).toEqual(expect.arrayContaining(['broker/broker.ts', 'security/listener-settings.ts', 'replication/replica-manager.ts']));
    expect(ours(src).filter((f) => notAtStart.includes(f))).toEqual([]);
    expect(existsSync(join(b.dataDir, '__transaction_state-0'))).toBe(false);
    expect(existsSync(join(b.dataDir, '__consumer_offsets-0'))).toBe(true);

    // The build drops comments; what stays must be ASCII. One non-ASCII character in a string, template
    // or regex makes V8 keep the module's whole source as a two-byte string (twice the heap, decoded
    // from UTF-8 at load): enough of them tipped start-up into a mark-compact. Write \u2014, not the dash.
    const offenders: string[] = [];
    for (const url of loaded.filter((u) => u.startsWith(`${src}/`) || u === pathToFileURL(join(repoRoot, 'cli.ts')).href || u.startsWith(pathToFileURL(join(repoRoot, 'commands')).href))) {
      const file = fileURLToPath(url);
      for (const literal of nonAsciiLiterals(file, await readFile(file, 'utf8'))) offenders.push(`${file.slice(repoRoot.length + 1)}: ${literal}`);
    }
    expect(offenders).toEqual([]);
  }, 90_000);
});

describe('the lazy table', () => {
  it('advertises exactly what each handler serves once imported', async () => {
    const loaded = await loadHandlers(table);
    expect(loaded.map((h) => [h.api.key, h.minVersion, h.maxVersion])).toEqual(table.map((e) => [e.api.key, e.minVersion, e.maxVersion]));
    expect(loaded.map((h) => h.api.name)).toEqual(table.map((e) => e.api.name));
    // Only the four every client starts with are imported with the broker.
    expect(table.filter(isLoaded).map((h) => h.api.name).sort()).toEqual(['ApiVersions', 'Fetch', 'Metadata', 'Produce']);
  });

  it('the codec-free facts are the descriptors’ own', () => {
    const byName = facts as Record<string, { key: number; name: string; validVersions: unknown; maxCodecVersion: number; firstFlexibleVersion: number | null }>;
    for (const [name, d] of Object.entries(apisByName)) {
      const f = byName[`${name}Facts`];
      expect(f, name).toBeDefined();
      expect({ ...f }, name).toEqual({ key: d.key, name: d.name, validVersions: d.validVersions, maxCodecVersion: d.maxCodecVersion, firstFlexibleVersion: d.firstFlexibleVersion });
    }
    expect(Object.keys(byName).length).toBe(Object.keys(apisByName).length);
  });

  it('refuses a handler that is not what its entry advertised, and retries a failed import', async () => {
    const createTopics = (await import('../../src/broker/handlers/create-topics.ts')).createTopics;
    const wrongRange = lazyHandler(CreateTopicsFacts, { min: 0, max: 6 }, async () => createTopics);
    await expect(wrongRange.load()).rejects.toThrow(/advertises CreateTopics v0-6, its handler serves v0-7/);
    const wrongApi = lazyHandler(EndTxnFacts as never, { min: 0, max: 7 }, async () => createTopics as ApiHandler);
    await expect(wrongApi.load()).rejects.toThrow(/entry for EndTxn loaded the handler of CreateTopics/);

    let attempts = 0;
    const flaky = lazyHandler(CreateTopicsFacts, { min: 0, max: 7 }, async () => {
      if (++attempts === 1) throw new Error('EMFILE');
      return createTopics;
    });
    await expect(flaky.load()).rejects.toThrow('EMFILE');
    expect(await flaky.load()).toBe(createTopics);
    expect(await flaky.load()).toBe(createTopics);
    expect(attempts).toBe(2);
  });

  it('stays lazy when wrapped (cluster mode’s coordinator placement)', async () => {
    let imported = 0;
    const createTopics = (await import('../../src/broker/handlers/create-topics.ts')).createTopics;
    const entry = lazyHandler(CreateTopicsFacts, { min: 0, max: 7 }, async () => (imported++, createTopics));
    const wrapped = mapHandler(entry, (h) => ({ ...h, zeroCopyResponse: true }));
    expect(isLoaded(wrapped)).toBe(false);
    expect(imported).toBe(0);
    expect([wrapped.api.key, wrapped.minVersion, wrapped.maxVersion]).toEqual([CreateTopicsFacts.key, 0, 7]);
    const [h] = await loadHandlers([wrapped]);
    expect(h!.zeroCopyResponse).toBe(true);
    expect(imported).toBe(1);
  });
});

describe('a broker serving lazy entries', () => {
  it('answers the first requests for a lazy API on several connections at once, in order per connection', async () => {
    // A table of its own: the default table's entries cache their import across tests in this file.
    let imports = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const createTopics = (await import('../../src/broker/handlers/create-topics.ts')).createTopics;
    const entry = lazyHandler(CreateTopicsFacts, { min: 0, max: 7 }, async () => {
      imports++;
      await gate; // the import is slow: requests pile up behind it
      return createTopics;
    });
    const apiVersions = (await import('../../src/broker/handlers/api-versions.ts')).apiVersions;
    const b = await startTestBroker({ handlers: [apiVersions, entry] });
    const clients = await Promise.all([RawClient.connect(b.port), RawClient.connect(b.port)]);
    try {
      const versions = await clients[0]!.request(ApiVersionsFacts, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
      expect(versions.apiKeys.map((k: { apiKey: number; minVersion: number; maxVersion: number }) => [k.apiKey, k.minVersion, k.maxVersion])).toEqual([
        [18, 0, 4],
        [CreateTopicsFacts.key, 0, 7],
      ]);
      expect(imports).toBe(0); // advertising does not import
      const create = (c: RawClient, name: string) =>
        c.request(CreateTopicsFacts, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
      const answers = Promise.all([create(clients[0]!, 'lazy-a'), create(clients[1]!, 'lazy-b'), create(clients[0]!, 'lazy-a')]);
      release();
      const [a, bb, again] = await answers;
      expect(a.topics[0].errorCode).toBe(0);
      expect(bb.topics[0].errorCode).toBe(0);
      expect(again.topics[0].errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS); // served after the first, in order
      expect(imports).toBe(1);
    } finally {
      for (const c of clients) c.close();
      await b.close();
    }
  });
});

/** The string, template and regex literals of a TypeScript file that hold a non-ASCII character (comments do not count). */
function nonAsciiLiterals(fileName: string, text: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node) || node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText(sf);
      if (/[^\x00-\x7f]/.test(literal)) found.push(literal.length > 80 ? `${literal.slice(0, 80)}…` : literal);
    }
    ts.forEachChild(node, visit);
  };
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  visit(sf);
  return found;
}
