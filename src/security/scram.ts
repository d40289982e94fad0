/**
 * node:crypto on first use: the broker loads this module at start (the SCRAM credential store) and
 * need not load node:crypto (and OpenSSL's setup) until a SCRAM user is made or authenticates.
 */
const crypto = () => process.getBuiltinModule('node:crypto');

/**
 * SCRAM (RFC 5802 / RFC 7677) arithmetic and Kafka's credential shape, as Kafka's ScramFormatter and
 * ScramCredential hold it: the broker keeps salt, iterations, StoredKey and ServerKey — never the
 * password nor the salted password.
 */

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ScramMechanism {
  readonly name: ScramMechanismName;
  /** Kafka's ScramMechanism type byte, used by Describe/AlterUserScramCredentials. */
  readonly type: number;
  /** node:crypto digest name. */
  readonly hash: 'sha256' | 'sha512';
  readonly minIterations: number;
}

/** Kafka's ScramMechanism: both need at least 4096 iterations (RFC 7677). */
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [
  { name: 'SCRAM-SHA-256', type: 1, hash: 'sha256', minIterations: 4096 },
  { name: 'SCRAM-SHA-512', type: 2, hash: 'sha512', minIterations: 4096 },
];

/** The most iterations AlterUserScramCredentials accepts (Kafka's ScramControlManager: 16384). */
export const MAX_ITERATIONS = 16384;

export function scramMechanismByName(name: string): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === name);
}

export function scramMechanismByType(type: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.type === type);
}

export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

export function hmac(m: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return crypto().createHmac(m.hash, key).update(data).digest();
}

export function hash(m: ScramMechanism, data: Buffer): Buffer {
  return crypto().createHash(m.hash).update(data).digest();
}

/** Hi(password, salt, i) of RFC 5802 is PBKDF2 with HMAC-H and the hash's output length. */
export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  const len = m.hash === 'sha256' ? 32 : 64;
  // RFC 5802 asks for SASLprep; Kafka's ScramFormatter.normalize only UTF-8-encodes, and so do we.
  return crypto().pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, len, m.hash);
}

export function clientKey(m: ScramMechanism, salted: Buffer): Buffer {
  return hmac(m, salted, 'Client Key');
}

export function serverKey(m: ScramMechanism, salted: Buffer): Buffer {
  return hmac(m, salted, 'Server Key');
}

export function storedKey(m: ScramMechanism, clientKeyBytes: Buffer): Buffer {
  return hash(m, clientKeyBytes);
}

/** The credential AlterUserScramCredentials stores: from the salted password the client computed. */
export function credentialFromSaltedPassword(m: ScramMechanism, salt: Buffer, salted: Buffer, iterations: number): ScramCredential {
  return { salt, iterations, storedKey: storedKey(m, clientKey(m, salted)), serverKey: serverKey(m, salted) };
}

/** A credential for a password (tests, `kstream serve` bootstrap users); a fresh random salt unless given. */
export function credentialFromPassword(m: ScramMechanism, password: string, iterations = m.minIterations, salt: Buffer = crypto().randomBytes(32)): ScramCredential {
  return credentialFromSaltedPassword(m, salt, saltedPassword(m, password, salt, iterations), iterations);
}

export function xor(a: Buffer, b: Buffer): Buffer {
  if (a.length !== b.length) throw new Error(`xor of ${a.length} and ${b.length} bytes`);
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Constant-time comparison of two byte strings of possibly different lengths. */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && crypto().timingSafeEqual(a, b);
}

/**
 * RFC 5802 saslname: ',' and '=' in a username travel as '=2C' and '=3D'. Any other '=' is malformed.
 */
export function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new Error('invalid username encoding');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export function encodeSaslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Kafka's ScramCredentialUtils.credentialToString: `salt=…,stored_key=…,server_key=…,iterations=…` (base64). */
export function credentialToString(c: ScramCredential): string {
  return `salt=${c.salt.toString('base64')},stored_key=${c.storedKey.toString('base64')},server_key=${c.serverKey.toString('base64')},iterations=${c.iterations}`;
}

export function credentialFromString(s: string): ScramCredential {
  const fields = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid SCRAM credential: "${part}"`);
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const need = (k: string) => {
    const v = fields.get(k);
    if (v === undefined) throw new Error(`invalid SCRAM credential: no ${k}`);
    return v;
  };
  const iterations = Number(need('iterations'));
  if (!Number.isInteger(iterations) || iterations <= 0) throw new Error('invalid SCRAM credential: bad iterations');
  return {
    salt: Buffer.from(need('salt'), 'base64'),
    storedKey: Buffer.from(need('stored_key'), 'base64'),
    serverKey: Buffer.from(need('server_key'), 'base64'),
    iterations,
  };
}
