import { SaslClientError, type SaslClient } from './sasl-client.ts';

/**
 * SASL/PLAIN (RFC 4616) as Kafka's PlainSaslClient sends it: `authzid NUL authcid NUL passwd` with an
 * empty authzid. One message; the server answers with nothing on success.
 */
export class PlainSaslClient implements SaslClient {
  readonly mechanism = 'PLAIN';
  private sent = false;
  private readonly username: string;
  private readonly password: string;

  constructor(username: string, password: string) {
    // A NUL inside either would shift the fields; Kafka's server would read a different user.
    if (username.includes('\u0000') || password.includes('\u0000')) throw new SaslClientError('SASL/PLAIN username and password must not contain NUL');
    this.username = username;
    this.password = password;
  }

  initialResponse(): Buffer {
    this.sent = true;
    return Buffer.from(`\u0000${this.username}\u0000${this.password}`, 'utf8');
  }

  evaluate(_challenge: Buffer): Buffer | null {
    if (!this.sent) throw new SaslClientError('PLAIN: server spoke before the client');
    return null;
  }
}
