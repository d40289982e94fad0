/**
 * The mirrored keyspace (src/cluster/mirrored-keyspace.ts) over the in-process metadata store, and the
 * two broker-side mirrors built on it: the cluster's ACLs and SCRAM credentials. Two mirrors on one
 * store stand for two brokers on one etcd: what one writes, the other's watch delivers.
 */
import { describe, expect, it } from 'vitest';
import { ClusterAclStore } from '../../src/broker/cluster-acl-store.ts';
import { attachClusterClientQuotas } from '../../src/broker/cluster-client-quotas.ts';
import { ClusterScramCredentials } from '../../src/broker/cluster-scram-credentials.ts';
import type { Logger } from '../../src/broker/logger.ts';
import { ClientQuotaStore } from '../../src/broker/quotas/client-quota-store.ts';
import { ClientQuotas } from '../../src/broker/quotas/client-quotas.ts';
import { MetadataStoreError, type MetadataStore } from '../../src/cluster/metadata-store.ts';
import type { AclRecord } from '../../src/protocol/metadata-records.ts';
import { aclKeyspace, MirroredKeyspace, type MirrorChange } from '../../src/cluster/mirrored-keyspace.ts';
import { createLocalMetadataStore } from '../../src/cluster/stores.ts';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding } from '../../src/security/authorizer/acl.ts';
import { credentialFromPassword, credentialToString, scramMechanismByName } from '../../src/security/scram.ts';
import { ScramCredentialStore } from '../../src/security/scram-credential-store.ts';
import { eventually, sleep, waitFor } from '../helpers/wait.ts';

const ROOT = '/kstream/default/';

const acl = (principal: string, operation = 'READ'): AclRecord => ({
  resourceType: 'TOPIC',
  resourceName: 'orders',
  patternType: 'LITERAL',
  principal,
  host: '*',
  operation,
  permissionType: 'ALLOW',
});

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) };
}

/** A mirror of the ACL keyspace keyed by principal; an operation "FROB" is a record it cannot use. */
function openAclMirror(store: MetadataStore, logger: Logger, changes: MirrorChange<AclRecord, AclRecord>[] = [], retryDelayMs = 20) {
  return MirroredKeyspace.open<AclRecord, AclRecord>({
    what: 'test ACLs',
    keyspace: aclKeyspace(store),
    keyOf: (r) => r.principal,
    valueOf: (r) => {
      if (r.operation === 'FROB') throw new Error(`${r.principal}: unknown operation FROB`);
      return r;
    },
    logger,
    onChange: (c) => changes.push(c),
    retryDelayMs,
    maxRetryDelayMs: 80,
  });
}

const principals = (m: { values(): AclRecord[] }): string[] => m.values().map((a) => a.principal).sort();

describe('MirroredKeyspace', () => {
  it('lists what is stored, then applies every put and delete another writer makes, in order', async () => {
    const { store } = createLocalMetadataStore();
    await store.alterAcls({ add: [acl('User:a'), acl('User:b')] });
    const changes: MirrorChange<AclRecord, AclRecord>[] = [];
    const mirror = await openAclMirror(store, recordingLogger(), changes);
    try {
      expect(principals(mirror)).toEqual(['User:a', 'User:b']);
      expect(changes).toEqual([{ kind: 'reset', values: [acl('User:a'), acl('User:b')] }]);

      await store.alterAcls({ add: [acl('User:c')], remove: [acl('User:a')] });
      await waitFor('the watched change', () => principals(mirror).join() === 'User:b,User:c', 5000, 5);
      // One transaction, one batch: the delete carries the value it removed.
      const batch = changes[1]!;
      expect(batch.kind).toBe('events');
      if (batch.kind !== 'events') return;
      expect(batch.events.map((e) => [e.type, e.key])).toEqual([
        ['delete', 'User:a'],
        ['put', 'User:c'],
      ]);
      expect(batch.events[0]!.type === 'delete' && batch.events[0]!.previous).toEqual(acl('User:a'));
      expect(mirror.get('User:c')).toEqual(acl('User:c'));
    } finally {
      mirror.close();
    }
  });

  it('after a broken watch lists and watches again, waiting twice as long after each failed listing, and catches up', async () => {
    const { store, kv } = createLocalMetadataStore();
    const logger = recordingLogger();
    const mirror = await openAclMirror(store, logger);
    try {
      // A key the store cannot decode breaks the watch, and every listing fails while it is there.
      await kv.txn([], [{ op: 'put', key: `${ROOT}acls/garbage`, value: 'not json' }]);
      await store.alterAcls({ add: [acl('User:late')] });
      await waitFor('three failed relists', () => logger.warnings.length >= 4, 5000, 5);
      expect(mirror.size).toBe(0);
      const delays = logger.warnings.slice(0, 4).map((w) => Number(/again in (\d+) ms/.exec(w)?.[1]));
      expect(delays).toEqual([20, 40, 80, 80]);
      expect(logger.warnings[1]).toMatch(/acls\/garbage/);

      await kv.txn([], [{ op: 'delete', key: `${ROOT}acls/garbage` }]);
      await waitFor('the mirror to catch up', () => principals(mirror).join() === 'User:late', 5000, 5);
      // Watching again: later changes arrive, and the backoff starts over at the next break.
      await store.alterAcls({ remove: [acl('User:late')], add: [acl('User:later')] });
      await waitFor('the next change', () => principals(mirror).join() === 'User:later', 5000, 5);
      const before = logger.warnings.length;
      await kv.txn([], [{ op: 'put', key: `${ROOT}acls/garbage`, value: 'not json' }]);
      await waitFor('the next break', () => logger.warnings.length > before, 5000, 5);
      expect(logger.warnings[before]).toMatch(/again in 20 ms/);
    } finally {
      mirror.close();
    }
  });

  it('a record it cannot use fails the open, naming it; once serving, it is skipped with a warning and the rest applied', async () => {
    const { store } = createLocalMetadataStore();
    await store.alterAcls({ add: [acl('User:bad', 'FROB')] });
    await expect(openAclMirror(store, recordingLogger())).rejects.toThrow(/test ACLs: .*User:bad: unknown operation FROB/);

    await store.alterAcls({ remove: [acl('User:bad', 'FROB')] });
    const logger = recordingLogger();
    const mirror = await openAclMirror(store, logger);
    try {
      await store.alterAcls({ add: [acl('User:bad2', 'FROB'), acl('User:good')] });
      await waitFor('the good record', () => mirror.get('User:good') !== undefined, 5000, 5);
      expect(principals(mirror)).toEqual(['User:good']);
      expect(logger.warnings).toEqual([expect.stringMatching(/test ACLs: ignoring .*User:bad2: unknown operation FROB/)]);
    } finally {
      mirror.close();
    }
  });

  it('close stops the watch and a pending relist', async () => {
    const { store, kv } = createLocalMetadataStore();
    const logger = recordingLogger();
    const mirror = await openAclMirror(store, logger, [], 30);
    await kv.txn([], [{ op: 'put', key: `${ROOT}acls/garbage`, value: 'not json' }]);
    await waitFor('the watch to break', () => logger.warnings.length === 1, 5000, 5);
    mirror.close();
    await kv.txn([], [{ op: 'delete', key: `${ROOT}acls/garbage` }]);
    await store.alterAcls({ add: [acl('User:after-close')] });
    // Nothing may happen any more: no relist (it would have succeeded now), no change.
    expect(await eventually(() => mirror.size > 0 || logger.warnings.length > 1, 300)).toBe(false);

    const open = await openAclMirror(store, logger);
    open.close();
    await store.alterAcls({ add: [acl('User:after-close-2')] });
    await sleep(50);
    expect(principals(open)).toEqual(['User:after-close']);
  });
});

const binding = (principal: string): AclBinding => ({
  resourceType: ResourceType.TOPIC,
  resourceName: 'orders',
  patternType: PatternType.LITERAL,
  principal,
  host: '*',
  operation: AclOperation.READ,
  permissionType: AclPermissionType.ALLOW,
});

describe('cluster ACLs and SCRAM credentials on the mirror', () => {
  it('an ACL applied through one broker is enforced there at once and reaches the other by watch', async () => {
    const { store } = createLocalMetadataStore();
    const one = await ClusterAclStore.open(store, recordingLogger());
    const two = await ClusterAclStore.open(store, recordingLogger());
    let twoChanged = 0;
    two.onChange(() => twoChanged++);
    try {
      await one.apply({ add: [binding('User:alice')] });
      expect(one.all()).toEqual([binding('User:alice')]);
      await waitFor('broker 2 to see it', () => two.size === 1, 5000, 5);
      expect(two.all()).toEqual([binding('User:alice')]);
      expect(twoChanged).toBe(1);
      await two.apply({ remove: [binding('User:alice')] });
      expect(two.size).toBe(0);
      await waitFor('broker 1 to drop it', () => one.size === 0, 5000, 5);
    } finally {
      one.close();
      two.close();
    }
  });

  it('a SCRAM credential set through one broker authenticates on the other; deleted there, gone from the first', async () => {
    const { store } = createLocalMetadataStore();
    const m = scramMechanismByName('SCRAM-SHA-256')!;
    const cred = credentialFromPassword(m, 'secret');
    // A user name holding '/': the mirror's key is <user>/<mechanism>.
    await store.alterScramCredentials({ upsert: [{ user: 'team/bob', mechanism: 'SCRAM-SHA-512', credential: credentialToString(credentialFromPassword(scramMechanismByName('SCRAM-SHA-512')!, 'x')) }] });
    const c1 = ScramCredentialStore.inMemory();
    const c2 = ScramCredentialStore.inMemory();
    const one = await ClusterScramCredentials.attach(store, c1, recordingLogger());
    const two = await ClusterScramCredentials.attach(store, c2, recordingLogger());
    try {
      expect(c1.has('team/bob', 'SCRAM-SHA-512') && c2.has('team/bob', 'SCRAM-SHA-512')).toBe(true);
      await c1.apply({ upsert: [{ user: 'alice', mechanism: 'SCRAM-SHA-256', credential: cred }] });
      expect(c1.get('SCRAM-SHA-256', 'alice')).toEqual(cred);
      await waitFor('broker 2 to have alice', () => c2.has('alice', 'SCRAM-SHA-256'), 5000, 5);
      expect(c2.get('SCRAM-SHA-256', 'alice')).toEqual(cred);
      await c2.apply({ delete: [{ user: 'team/bob', mechanism: 'SCRAM-SHA-512' }] });
      await waitFor('broker 1 to forget team/bob', () => !c1.has('team/bob', 'SCRAM-SHA-512'), 5000, 5);
      expect(c1.list().map((u) => u.user)).toEqual(['alice']);
    } finally {
      one.close();
      two.close();
    }
  });
});

describe('client quotas in the store and on the mirror', () => {
  it('one key per entity and quota key: defaults, and names holding / , = survive list and watch', async () => {
    const { store, kv } = createLocalMetadataStore();
    const seen: string[] = [];
    const w = await store.watchClientQuotas(1, (events) => seen.push(...events.map((e) => `${e.type} ${JSON.stringify(e.record)}`)), () => {});
    try {
      const entity = { user: 'a/b,c=d', 'client-id': null };
      await store.alterClientQuotas([{ entity, key: 'producer_byte_rate', value: 5 }]);
      expect((await kv.range(`${ROOT}client-quotas/`)).kvs.map((k) => [k.key.slice(ROOT.length), k.value])).toEqual([
        ['client-quotas/client-id,user=a%2Fb%2Cc%3Dd/producer_byte_rate', '{"value":5}'],
      ]);
      expect((await store.listClientQuotas()).records).toEqual([{ entity: { 'client-id': null, user: 'a/b,c=d' }, key: 'producer_byte_rate', value: 5 }]);
      await store.alterClientQuotas([{ entity, key: 'producer_byte_rate', value: null }]);
      await waitFor('both events', () => seen.length === 2, 5000, 5);
      expect(seen).toEqual([
        'put {"entity":{"client-id":null,"user":"a/b,c=d"},"key":"producer_byte_rate","value":5}',
        'delete {"entity":{"client-id":null,"user":"a/b,c=d"},"key":"producer_byte_rate","value":0}',
      ]);
      await expect(store.alterClientQuotas([{ entity: {}, key: 'producer_byte_rate', value: 1 }])).rejects.toThrow(MetadataStoreError);
      await expect(store.alterClientQuotas([{ entity: { user: 'x' }, key: 'bad/key', value: 1 }])).rejects.toThrow(/bad quota key/);
      expect((await store.listClientQuotas()).records).toEqual([]);
    } finally {
      w.close();
    }
  });

  it("a quota set through one broker reaches the other's quota managers; a relist takes back what is gone", async () => {
    const { store, kv } = createLocalMetadataStore();
    const config = { samples: 11, windowSeconds: 1 };
    // Broker 2's data dir had a quota of its own: in cluster mode the cluster's set replaces it.
    const local2 = ClientQuotaStore.inMemory();
    await local2.apply([{ entity: { user: 'old' }, key: 'producer_byte_rate', value: 7 }]);
    const q1 = new ClientQuotas(ClientQuotaStore.inMemory(), config);
    const q2 = new ClientQuotas(local2, config);
    const logger2 = recordingLogger();
    const one = await attachClusterClientQuotas(store, q1.store, recordingLogger());
    const two = await attachClusterClientQuotas(store, q2.store, logger2);
    const alice = { user: 'alice', clientId: 'app' };
    try {
      expect(q2.produce.quotaFor({ user: 'old', clientId: '' })).toBeUndefined();
      expect(q2.store.all()).toEqual([]);
      expect(logger2.warnings).toEqual([expect.stringMatching(/the 1 quota values in this data dir are not used/)]);

      await q1.store.apply([
        { entity: { 'client-id': 'app', user: 'alice' }, key: 'producer_byte_rate', value: 1024 },
        { entity: { user: null }, key: 'consumer_byte_rate', value: 2048 },
      ]);
      expect(q1.produce.quotaFor(alice)).toBe(1024);
      await waitFor('broker 2 to enforce them', () => q2.produce.quotaFor(alice) === 1024 && q2.fetch.quotaFor(alice) === 2048, 5000, 5);
      // Described alike: entity types in one order whichever order they were set in.
      expect(q2.store.all().map((e) => Object.keys(e.entity))).toEqual(q1.store.all().map((e) => Object.keys(e.entity)));

      await q2.store.apply([{ entity: { user: null }, key: 'consumer_byte_rate', value: null }]);
      expect(q2.fetch.quotaFor(alice)).toBeUndefined();
      await waitFor('broker 1 to drop it', () => q1.fetch.quotaFor(alice) === undefined, 5000, 5);

      // A broken watch: what changed meanwhile comes in with the relist (the removal included).
      await kv.txn([], [{ op: 'put', key: `${ROOT}client-quotas/garbage`, value: '{}' }]);
      await store.alterClientQuotas([{ entity: { user: 'alice', 'client-id': 'app' }, key: 'producer_byte_rate', value: null }]);
      await kv.txn([], [{ op: 'delete', key: `${ROOT}client-quotas/garbage` }]);
      await waitFor('the relists to drop the quota', () => q1.produce.quotaFor(alice) === undefined && q2.produce.quotaFor(alice) === undefined, 10_000, 10);
      expect(q1.store.all()).toEqual([]);
      expect(logger2.warnings.some((w) => /cluster client quotas: watch broke/.test(w))).toBe(true);
    } finally {
      one.close();
      two.close();
    }
  });
});
