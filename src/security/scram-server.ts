import { randomBytes } from 'node:crypto';
import { SaslAuthenticationError, SaslCredentialError, type CredentialLookup, type SaslServer } from './sasl-server.ts';
import { decodeSaslName, hash, hmac, sameBytes, xor, type ScramCredential, type ScramMechanism } from './scram.ts';

// Kafka's ScramMessages patterns: only the "n" GS2 flag (no channel binding), optional authzid.
const CLIENT_FIRST = /^n,(?:a=([^,]*))?,(n=([^,]*),r=([^,]*)((?:,[^,]*)*))$/;
const CLIENT_FINAL = /^(c=([^,]*),r=([^,]*)((?:,[^,]*)*?)),p=([^,]*)$/;

/** A printable server nonce (RFC 5802: any printable ASCII but ','); Kafka uses a random alphanumeric string. */
export function randomNonce(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The server side of SCRAM-SHA-256/512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer: two rounds,
 * client-first → server-first (nonce, salt, iterations), client-final (proof) → server-final
 * (signature). Failures that could reveal whether a user exists are SaslCredentialError, whose detail
 * stays in the broker log.
 */
export class ScramSaslServer implements SaslServer {
  readonly mechanism: string;
  readonly credentialExpiresAt = null;
  complete = false;
  authorizationId = '';

  private state: 'first' | 'final' | 'done' | 'failed' = 'first';
  private readonly m: ScramMechanism;
  private readonly users: CredentialLookup;
  private readonly newNonce: () => string;
  private credential: ScramCredential | null = null;
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';
  private nonce = '';

  constructor(m: ScramMechanism, users: CredentialLookup, newNonce: () => string = randomNonce) {
    this.m = m;
    this.mechanism = m.name;
    this.users = users;
    this.newNonce = newNonce;
  }

  evaluate(token: Buffer): Buffer {
    try {
      if (this.state === 'first') return this.onClientFirst(token.toString('utf8'));
      if (this.state === 'final') return this.onClientFinal(token.toString('utf8'));
      throw new SaslCredentialError(`unexpected SCRAM message in state ${this.state}`);
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }

  private onClientFirst(msg: string): Buffer {
    const m = CLIENT_FIRST.exec(msg);
    if (!m) throw new SaslCredentialError('invalid SCRAM client-first message');
    const [, authzid, bare, rawName, clientNonce, extensions] = m as unknown as [string, string | undefined, string, string, string, string];
    let username: string;
    try {
      username = decodeSaslName(rawName);
    } catch {
      throw new SaslCredentialError('invalid SCRAM username encoding');
    }
    if (clientNonce === '') throw new SaslCredentialError('empty client nonce');
    // Kafka's only extension is tokenauth=true (delegation tokens), which kstream does not issue.
    if (/(^|,)tokenauth=true(,|$)/i.test(extensions)) throw new SaslCredentialError(`delegation token authentication is not supported (user ${username})`);
    const credential = this.users.scramCredential(this.m.name, username);
    if (credential === undefined) throw new SaslCredentialError(`no ${this.m.name} credential for user ${username}`);
    if (authzid !== undefined && authzid !== '' && decodeSaslName(authzid) !== username) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    if (credential.iterations < this.m.minIterations) {
      throw new SaslCredentialError(`iterations ${credential.iterations} is less than the minimum ${this.m.minIterations} for ${this.m.name}`);
    }
    this.credential = credential;
    this.authorizationId = username;
    this.clientFirstBare = bare;
    this.gs2Header = msg.slice(0, msg.length - bare.length);
    this.nonce = clientNonce + this.newNonce();
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = 'final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private onClientFinal(msg: string): Buffer {
    const m = CLIENT_FINAL.exec(msg);
    if (!m) throw new SaslCredentialError('invalid SCRAM client-final message');
    const [, withoutProof, channel, nonce, , proofB64] = m as unknown as [string, string, string, string, string, string];
    // Kafka checks endsWith, not equality: librdkafka sends its client nonce again in front of the
    // combined nonce, and the proof covers what it sent, so this stays as strict as Kafka.
    if (!nonce.endsWith(this.nonce)) throw new SaslCredentialError('Invalid client nonce in the final client message.');
    if (channel !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) throw new SaslCredentialError('channel binding does not match the GS2 header');
    const c = this.credential!;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.m, c.storedKey, authMessage);
    // Strict base64, as Java's decoder: Node's skips characters outside the alphabet, which would let a
    // proof with stray bytes pass as the clean one.
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(proofB64)) throw new SaslCredentialError(`malformed client proof for user ${this.authorizationId}`);
    const proof = Buffer.from(proofB64, 'base64');
    if (proof.length !== clientSignature.length) throw new SaslCredentialError(`invalid client proof for user ${this.authorizationId}`);
    const computedStoredKey = hash(this.m, xor(proof, clientSignature));
    if (!sameBytes(computedStoredKey, c.storedKey)) throw new SaslCredentialError(`invalid client credentials for user ${this.authorizationId}`);
    const serverSignature = hmac(this.m, c.serverKey, authMessage);
    this.state = 'done';
    this.complete = true;
    return Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8');
  }
}
