/**
 * What the StandardAuthorizer wire tests share: a SASL PLAIN broker whose users are admin (a super
 * user) and alice, alice's login over a raw connection, her ACL bindings, and "exactly these ACLs now".
 */
import { expect } from 'vitest';
import { SaslAuthenticateFacts, SaslHandshakeFacts } from '../../../src/protocol/messages/api-facts.ts';
import { AclPermissionType as Perm, ANY_ACL, type AclBinding, PatternType } from '../../../src/security/authorizer/acl.ts';
import type { StandardAuthorizer } from '../../../src/security/authorizer/standard-authorizer.ts';
import { RawClient } from '../../helpers/index.ts';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret";';

/** Broker settings: SASL PLAIN on `listeners`, StandardAuthorizer, User:admin a super user. */
export function standardAuthorizerConfig(listeners: string): Record<string, string> {
  return {
    listeners,
    'sasl.enabled.mechanisms': 'PLAIN',
    'sasl.jaas.config': JAAS,
    'connection.failed.authentication.delay.ms': '0',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
  };
}

/** A raw connection logged in with SASL PLAIN (SaslHandshake v1, SaslAuthenticate v2). */
export async function saslPlain(port: number, user: string, password: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  expect((await c.request(SaslHandshakeFacts, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
  expect((await c.request(SaslAuthenticateFacts, 2, { authBytes: Buffer.from(`\0${user}\0${password}`) })).errorCode).toBe(0);
  return c;
}

/** An ACL for User:alice on a literal resource, from any host. */
export const aliceAcl = (resourceType: number, resourceName: string, operation: number, permissionType: number = Perm.ALLOW): AclBinding => ({
  resourceType, resourceName, patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation, permissionType,
});

/** Replaces every ACL with `bindings`, each of which must be accepted. */
export async function setAcls(authorizer: StandardAuthorizer, ...bindings: AclBinding[]): Promise<void> {
  await authorizer.deleteAcls([ANY_ACL]);
  if (bindings.length > 0) expect((await authorizer.createAcls(bindings)).every((r) => r.error === null)).toBe(true);
}
