import { randomBytes } from 'node:crypto';
import { SaslClientError, type SaslClient } from './sasl-client.ts';
import { clientKey, encodeSaslName, hmac, sameBytes, saltedPassword, serverKey, storedKey, xor, type ScramMechanism } from './scram.ts';

// RFC 5802 server-first: r=<nonce>,s=<salt>,i=<iterations>[,extensions]; server-final: v=<sig> or e=<error>.
const SERVER_FIRST = /^(?:m=[^,]*,)?r=([^,]+),s=([^,]+),i=(\d+)(?:,.*)?$/;
const SERVER_FINAL = /^(?:v=([^,]+)|e=([^,]*))(?:,.*)?$/;

/** A printable client nonce (RFC 5802: printable ASCII without ','); base64url never has one. */
export function clientNonce(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The client side of SCRAM-SHA-256/512 (RFC 5802, RFC 7677) as Kafka's ScramSaslClient speaks it: no
 * channel binding (`n,,`), client-first → server-first → client-final (proof) → server-final, whose
 * signature is verified so a server that does not hold our credential cannot pass as the broker.
 * The arithmetic is the server half's (scram.ts).
 */
export class ScramSaslClient implements SaslClient {
  readonly mechanism: string;
  private state: 'initial' | 'first' | 'final' | 'done' = 'initial';
  private readonly m: ScramMechanism;
  private readonly username: string;
  private readonly password: string;
  private readonly nonce: string;
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | null = null;

  constructor(m: ScramMechanism, username: string, password: string, nonce: string = clientNonce()) {
    this.m = m;
    this.mechanism = m.name;
    this.username = username;
    this.password = password;
    this.nonce = nonce;
  }

  initialResponse(): Buffer {
    if (this.state !== 'initial') throw new SaslClientError(`${this.mechanism}: exchange already started`);
    this.clientFirstBare = `n=${encodeSaslName(this.username)},r=${this.nonce}`;
    this.state = 'first';
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  evaluate(challenge: Buffer): Buffer | null {
    const msg = challenge.toString('utf8');
    if (this.state === 'first') return this.onServerFirst(msg);
    if (this.state === 'final') {
      this.onServerFinal(msg);
      return null;
    }
    throw new SaslClientError(`${this.mechanism}: unexpected server message in state ${this.state}`);
  }

  private onServerFirst(msg: string): Buffer {
    const m = SERVER_FIRST.exec(msg);
    if (!m) throw new SaslClientError(`${this.mechanism}: invalid server-first message`);
    const [, nonce, saltB64, iterText] = m as unknown as [string, string, string, string];
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) throw new SaslClientError(`${this.mechanism}: the server's nonce does not extend the client's`);
    const iterations = Number(iterText);
    if (iterations < this.m.minIterations) throw new SaslClientError(`${this.mechanism}: the server asks for ${iterations} iterations, fewer than the minimum ${this.m.minIterations}`);
    const salt = Buffer.from(saltB64, 'base64');
    const salted = saltedPassword(this.m, this.password, salt, iterations);
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${msg},${withoutProof}`;
    const ck = clientKey(this.m, salted);
    const proof = xor(ck, hmac(this.m, storedKey(this.m, ck), authMessage));
    this.expectedServerSignature = hmac(this.m, serverKey(this.m, salted), authMessage);
    this.state = 'final';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  private onServerFinal(msg: string): void {
    const m = SERVER_FINAL.exec(msg);
    if (!m) throw new SaslClientError(`${this.mechanism}: invalid server-final message`);
    if (m[2] !== undefined) throw new SaslClientError(`${this.mechanism}: the server refused: ${m[2]}`);
    if (!sameBytes(Buffer.from(m[1]!, 'base64'), this.expectedServerSignature!)) {
      throw new SaslClientError(`${this.mechanism}: the server's signature does not verify (it does not hold this user's credential)`);
    }
    this.state = 'done';
  }
}
