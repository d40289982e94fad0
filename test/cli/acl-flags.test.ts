import { describe, expect, it } from 'vitest';
import { bindingsFromFlags, deleteFiltersFromFlags, listFiltersFromFlags, parseOperation } from '../../src/cli/acl-flags.ts';
import { AclOperation as Op, AclPermissionType as Perm, PatternType, ResourceType as Res } from '../../src/security/authorizer/acl.ts';

const base = { cluster: false, 'resource-pattern-type': 'LITERAL' };

describe('kstream acls flags (kafka-acls semantics)', () => {
  it('reads operation names as kafka-acls writes them', () => {
    expect(parseOperation('ClusterAction')).toBe(Op.CLUSTER_ACTION);
    expect(parseOperation('describe-configs')).toBe(Op.DESCRIBE_CONFIGS);
    expect(parseOperation('IDEMPOTENT_WRITE')).toBe(Op.IDEMPOTENT_WRITE);
    expect(() => parseOperation('Any')).toThrow(/unknown operation "Any"/);
  });

  it('create: resources × principals × hosts × operations; hosts default to *, operation to All', () => {
    const b = bindingsFromFlags({ ...base, topic: ['t'], 'allow-principal': ['User:a'], 'deny-principal': ['User:b'], 'deny-host': ['1.2.3.4', '5.6.7.8'] });
    expect(b.map((x) => [x.principal, x.host, x.operation, x.permissionType])).toEqual([
      ['User:a', '*', Op.ALL, Perm.ALLOW],
      ['User:b', '1.2.3.4', Op.ALL, Perm.DENY],
      ['User:b', '5.6.7.8', Op.ALL, Perm.DENY],
    ]);
    const c = bindingsFromFlags({ ...base, cluster: true, 'allow-principal': ['User:a'], operation: ['IdempotentWrite'] });
    expect(c).toEqual([{ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', patternType: PatternType.LITERAL, principal: 'User:a', host: '*', operation: Op.IDEMPOTENT_WRITE, permissionType: Perm.ALLOW }]);
  });

  it('--producer / --consumer expand as kafka-acls does', () => {
    const p = bindingsFromFlags({ ...base, topic: ['t'], 'transactional-id': ['tx'], 'allow-principal': ['User:a'], producer: true });
    expect(p.map((x) => `${x.resourceType}:${x.operation}`)).toEqual([`${Res.TOPIC}:${Op.WRITE}`, `${Res.TOPIC}:${Op.DESCRIBE}`, `${Res.TOPIC}:${Op.CREATE}`, `${Res.TRANSACTIONAL_ID}:${Op.WRITE}`, `${Res.TRANSACTIONAL_ID}:${Op.DESCRIBE}`]);
    const c = bindingsFromFlags({ ...base, topic: ['t'], group: ['g'], 'allow-principal': ['User:a'], consumer: true });
    expect(c.map((x) => `${x.resourceType}:${x.operation}`)).toEqual([`${Res.TOPIC}:${Op.READ}`, `${Res.TOPIC}:${Op.DESCRIBE}`, `${Res.GROUP}:${Op.READ}`]);
    expect(() => bindingsFromFlags({ ...base, topic: ['t'], 'allow-principal': ['User:a'], consumer: true })).toThrow(/--consumer needs --group/);
  });

  it('refuses what kafka-acls refuses', () => {
    expect(() => bindingsFromFlags({ ...base, group: ['g'], 'allow-principal': ['User:a'], operation: ['Write'] })).toThrow(/GROUP g does not support operation WRITE/);
    expect(() => bindingsFromFlags({ ...base, topic: ['t'], 'allow-principal': ['User:a'], 'resource-pattern-type': 'match' })).toThrow(/LITERAL or PREFIXED when creating/);
    expect(() => bindingsFromFlags({ ...base, topic: ['t'] })).toThrow(/name a principal/);
  });

  it('delete without principals removes every ACL of the resource; list without resources lists all', () => {
    const d = deleteFiltersFromFlags({ ...base, topic: ['t'], 'resource-pattern-type': 'any' });
    expect(d.everything).toBe(true);
    expect(d.filters).toEqual([{ resourceType: Res.TOPIC, resourceName: 't', patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY }]);
    const l = listFiltersFromFlags(base, 'User:a');
    expect(l).toEqual([{ resourceType: Res.ANY, resourceName: null, patternType: PatternType.ANY, principal: 'User:a', host: null, operation: Op.ANY, permissionType: Perm.ANY }]);
  });
});
