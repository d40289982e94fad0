import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanupStack } from '../../helpers/index.ts';
import { AclOperation as Op, AclPermissionType as Perm, ANY_ACL, type AclBinding, filterMatches, PatternType as Pat, ResourceType as Res } from '../../../src/security/authorizer/acl.ts';
import { AclStore } from '../../../src/security/authorizer/acl-store.ts';
import { hostAddress, StandardAuthorizer } from '../../../src/security/authorizer/standard-authorizer.ts';

const alice = { principal: 'User:alice', host: '10.0.0.1' };
const bob = { principal: 'User:bob', host: '10.0.0.2' };

function acl(p: Partial<AclBinding>): AclBinding {
  return { resourceType: Res.TOPIC, resourceName: 'orders', patternType: Pat.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permissionType: Perm.ALLOW, ...p };
}

function authorizer(acls: AclBinding[], opts: { superUsers?: string[]; allowEveryone?: boolean } = {}) {
  return new StandardAuthorizer(AclStore.inMemory(acls), { superUsers: opts.superUsers ?? [], allowEveryoneIfNoAclFound: opts.allowEveryone ?? false });
}

describe('StandardAuthorizer', () => {
  it('allows what an ALLOW grants and nothing else; no ACL at all is a denial unless allow.everyone.if.no.acl.found', () => {
    const a = authorizer([acl({})]);
    expect(a.authorize(alice, Op.READ, Res.TOPIC, 'orders')).toBe(true);
    expect(a.authorize(alice, Op.WRITE, Res.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(bob, Op.READ, Res.TOPIC, 'orders')).toBe(false);
    // No ACL applies to "payments": the default decides.
    expect(a.authorize(alice, Op.READ, Res.TOPIC, 'payments')).toBe(false);
    expect(authorizer([acl({})], { allowEveryone: true }).authorize(bob, Op.READ, Res.TOPIC, 'payments')).toBe(true);
    // ...but not for a resource some ACL applies to, even for another principal.
    expect(authorizer([acl({})], { allowEveryone: true }).authorize(bob, Op.READ, Res.TOPIC, 'orders')).toBe(false);
  });

  it('READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS; ALL grants everything', () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER, Op.DESCRIBE]) {
      expect(authorizer([acl({ operation: op })]).authorize(alice, Op.DESCRIBE, Res.TOPIC, 'orders')).toBe(true);
    }
    expect(authorizer([acl({ operation: Op.CREATE })]).authorize(alice, Op.DESCRIBE, Res.TOPIC, 'orders')).toBe(false);
    expect(authorizer([acl({ operation: Op.ALTER_CONFIGS })]).authorize(alice, Op.DESCRIBE_CONFIGS, Res.TOPIC, 'orders')).toBe(true);
    expect(authorizer([acl({ operation: Op.DESCRIBE_CONFIGS })]).authorize(alice, Op.ALTER_CONFIGS, Res.TOPIC, 'orders')).toBe(false);
    expect(authorizer([acl({ operation: Op.READ })]).authorize(alice, Op.WRITE, Res.TOPIC, 'orders')).toBe(false);
    const all = authorizer([acl({ operation: Op.ALL })]);
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER_CONFIGS, Op.DESCRIBE]) expect(all.authorize(alice, op, Res.TOPIC, 'orders')).toBe(true);
  });

  it('DENY wins over ALLOW; a DENY of READ does not deny DESCRIBE (implication is for ALLOW only)', () => {
    const a = authorizer([acl({ operation: Op.ALL }), acl({ operation: Op.WRITE, permissionType: Perm.DENY })]);
    expect(a.authorize(alice, Op.WRITE, Res.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(alice, Op.READ, Res.TOPIC, 'orders')).toBe(true);
    const b = authorizer([acl({ operation: Op.DESCRIBE }), acl({ operation: Op.READ, permissionType: Perm.DENY })]);
    expect(b.authorize(alice, Op.DESCRIBE, Res.TOPIC, 'orders')).toBe(true);
    // A DENY for everyone on everything beats a specific ALLOW.
    const c = authorizer([acl({}), acl({ resourceName: '*', principal: 'User:*', operation: Op.ALL, permissionType: Perm.DENY })]);
    expect(c.authorize(alice, Op.READ, Res.TOPIC, 'orders')).toBe(false);
  });

  it('matches literal names, the * wildcard, prefixes, User:* and hosts', () => {
    const a = authorizer([
      acl({ resourceName: 'logs-', patternType: Pat.PREFIXED }),
      acl({ resourceName: '*', principal: 'User:*', operation: Op.DESCRIBE }),
      acl({ resourceName: 'audit', principal: 'User:bob', host: '10.0.0.2', operation: Op.WRITE }),
    ]);
    expect(a.authorize(alice, Op.READ, Res.TOPIC, 'logs-app')).toBe(true);
    expect(a.authorize(alice, Op.READ, Res.TOPIC, 'logs')).toBe(false);
    expect(a.authorize(alice, Op.READ, Res.TOPIC, 'xlogs-app')).toBe(false);
    expect(a.authorize(bob, Op.DESCRIBE, Res.TOPIC, 'anything')).toBe(true);
    expect(a.authorize(bob, Op.WRITE, Res.TOPIC, 'audit')).toBe(true);
    expect(a.authorize({ principal: 'User:bob', host: '10.0.0.9' }, Op.WRITE, Res.TOPIC, 'audit')).toBe(false);
    // A literal ACL named like a prefix of the resource does not apply.
    expect(authorizer([acl({ resourceName: 'ord' })]).authorize(alice, Op.READ, Res.TOPIC, 'orders')).toBe(false);
    // Resource types are separate: a TOPIC ACL says nothing about a GROUP of the same name.
    expect(authorizer([acl({})], { allowEveryone: true }).authorize(bob, Op.READ, Res.GROUP, 'orders')).toBe(true);
  });

  it('super users are allowed everything, DENY ACLs notwithstanding', () => {
    const a = authorizer([acl({ principal: 'User:admin', operation: Op.ALL, permissionType: Perm.DENY })], { superUsers: ['User:admin'] });
    expect(a.authorize({ principal: 'User:admin', host: '1.1.1.1' }, Op.READ, Res.TOPIC, 'orders')).toBe(true);
    expect(a.authorize({ principal: 'User:admin', host: '1.1.1.1' }, Op.ALTER, Res.CLUSTER, 'kafka-cluster')).toBe(true);
  });

  it('authorizeByResourceType: an ALLOW on some topic not shadowed by a DENY (Kafka\'s rules)', () => {
    expect(authorizer([acl({ operation: Op.WRITE })]).authorizeByResourceType(alice, Op.WRITE, Res.TOPIC)).toBe(true);
    expect(authorizer([acl({ operation: Op.READ })]).authorizeByResourceType(alice, Op.WRITE, Res.TOPIC)).toBe(false);
    expect(authorizer([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permissionType: Perm.DENY })]).authorizeByResourceType(alice, Op.WRITE, Res.TOPIC)).toBe(false);
    expect(authorizer([acl({ operation: Op.WRITE, resourceName: 'ab' }), acl({ operation: Op.WRITE, resourceName: 'a', patternType: Pat.PREFIXED, permissionType: Perm.DENY })]).authorizeByResourceType(alice, Op.WRITE, Res.TOPIC)).toBe(false);
    expect(authorizer([acl({ operation: Op.WRITE, resourceName: 'x-', patternType: Pat.PREFIXED })]).authorizeByResourceType(alice, Op.WRITE, Res.TOPIC)).toBe(true);
    expect(authorizer([acl({ operation: Op.WRITE })]).authorizeByResourceType(bob, Op.WRITE, Res.TOPIC)).toBe(false);
  });

  it('validates new ACLs with Kafka\'s messages and filters them as DescribeAcls/DeleteAcls do', async () => {
    const a = authorizer([]);
    const r = await a.createAcls([
      acl({}),
      acl({ patternType: Pat.MATCH }),
      acl({ operation: Op.ANY }),
      acl({ resourceType: Res.CLUSTER, resourceName: 'other' }),
      acl({ resourceName: '' }),
      acl({ principal: 'alice' }),
      acl({ resourceType: Res.ANY }),
    ]);
    expect(r.map((x) => x.error)).toEqual([
      null,
      'Invalid patternType MATCH',
      'Invalid operation ANY',
      'The only valid name for the CLUSTER resource is kafka-cluster',
      'Invalid empty resource name',
      expect.stringContaining('Could not parse principal'),
      'Invalid resourceType ANY',
    ]);
    await a.createAcls([acl({ resourceName: 'ord', patternType: Pat.PREFIXED }), acl({ resourceName: '*' }), acl({ resourceName: 'other' })]);
    const names = (f: Parameters<typeof a.acls>[0]) => a.acls(f).map((b) => `${b.patternType}:${b.resourceName}`).sort();
    expect(names({ ...ANY_ACL, resourceName: 'orders', patternType: Pat.MATCH })).toEqual(['3:*', '3:orders', '4:ord']);
    expect(names({ ...ANY_ACL, resourceName: 'orders', patternType: Pat.ANY })).toEqual(['3:orders']);
    expect(names({ ...ANY_ACL, patternType: Pat.PREFIXED })).toEqual(['4:ord']);
    expect(() => a.acls({ ...ANY_ACL, operation: Op.UNKNOWN })).toThrow('Unknown entryFilter.');
    const del = await a.deleteAcls([{ ...ANY_ACL, resourceName: 'orders', patternType: Pat.MATCH }, { ...ANY_ACL, principal: 'User:nobody' }]);
    expect(del.map((d) => d.deleted.length)).toEqual([3, 0]);
    expect(names(ANY_ACL)).toEqual(['3:other']);
    expect(filterMatches({ ...ANY_ACL, host: '1.2.3.4' }, acl({}))).toBe(false);
  });

  it('reads IPv4-mapped client addresses as Kafka prints them', () => {
    expect(hostAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(hostAddress('::1')).toBe('::1');
  });
});

describe('AclStore', () => {
  const { tempDir } = useCleanupStack();

  it('persists ACLs atomically and loads them again; a corrupt file is an error naming it', async () => {
    const dir = await tempDir('acls-');
    const store = await AclStore.open(dir);
    const a = new StandardAuthorizer(store, { superUsers: [], allowEveryoneIfNoAclFound: false });
    await a.createAcls([acl({}), acl({ resourceName: 'p-', patternType: Pat.PREFIXED, operation: Op.WRITE, permissionType: Perm.DENY })]);
    await a.createAcls([acl({})]); // a duplicate is one ACL
    const text = await readFile(join(dir, 'acls.json'), 'utf8');
    expect(text).toContain('"operation": "WRITE"');
    const again = new StandardAuthorizer(await AclStore.open(dir), { superUsers: [], allowEveryoneIfNoAclFound: false });
    expect(again.acls(ANY_ACL)).toHaveLength(2);
    expect(again.authorize(alice, Op.READ, Res.TOPIC, 'orders')).toBe(true);
    await again.deleteAcls([{ ...ANY_ACL, operation: Op.WRITE }]);
    expect((await AclStore.open(dir)).all()).toHaveLength(1);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'acls.json'), '{"acls":[{"resourceType":"TOPIC"}]}');
    await expect(AclStore.open(dir)).rejects.toThrow(/acls\.json: cannot read ACLs/);
  });
});
