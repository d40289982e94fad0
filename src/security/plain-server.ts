import { timingSafeEqual, createHash } from 'node:crypto';
import { SaslAuthenticationError, type CredentialLookup, type SaslServer } from './sasl-server.ts';

/**
 * SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer: one message `authzid NUL authcid NUL passwd`,
 * checked against the listener's JAAS users (`user_<name>="<password>"`). Messages are Kafka's.
 */
export class PlainSaslServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  readonly credentialExpiresAt = null;
  complete = false;
  authorizationId = '';
  private readonly users: CredentialLookup;

  constructor(users: CredentialLookup) {
    this.users = users;
  }

  evaluate(token: Buffer): Buffer {
    if (this.complete) throw new SaslAuthenticationError('Authentication failed: PLAIN exchange already complete');
    // Kafka splits on NUL keeping empty tokens and wants exactly three.
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`);
    const [authzid, username, password] = parts as [string, string, string];
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    const expected = this.users.plainPassword(username);
    // Compare digests so the time taken says nothing about the password's length or prefix.
    const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
    const ok = expected !== undefined && timingSafeEqual(digest(expected), digest(password));
    if (!ok) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    if (authzid !== '' && authzid !== username) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    this.authorizationId = username;
    this.complete = true;
    return Buffer.alloc(0);
  }
}
