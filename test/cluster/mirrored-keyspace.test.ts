/**
 * The mirrored keyspace (src/cluster/mirrored-keyspace.ts) over the in-process metadata store, and the
 * two broker-side mirrors built on it: the cluster's ACLs and SCRAM credentials. Two mirrors on one
 * store stand for two brokers on one etcd: what one writes, the other's watch delivers.
 */
import { describe, expect, it } from 'vitest';
import { ClusterAclStore } from '../../src/broker/cluster-acl-store.ts';
import { ClusterScramCredentials } from '../../src/broker/cluster-scram-credentials.ts';
import type { Logger } from '../../src/broker/logger.ts';
import type { AclRecord, MetadataStore } from '../../src/cluster/metadata-store.ts';
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
