import { describe, expect, it } from 'vitest';
import { ScramSaslServer } from '../../src/security/scram-server.ts';
import { PlainSaslServer } from '../../src/security/plain-server.ts';
import { SaslAuthenticationError, SaslCredentialError, type CredentialLookup } from '../../src/security/sasl-server.ts';
import {
  clientKey, credentialFromPassword, credentialFromString, credentialToString, decodeSaslName, encodeSaslName, hash, hmac,
  saltedPassword, scramMechanismByName, serverKey, xor, type ScramCredential,
} from '../../src/security/scram.ts';

const sha256 = scramMechanismByName('SCRAM-SHA-256')!;
const sha512 = scramMechanismByName('SCRAM-SHA-512')!;

function lookup(creds: Record<string, ScramCredential>, plain: Record<string, string> = {}): CredentialLookup {
  return { scramCredential: (_m, u) => creds[u], plainPassword: (u) => plain[u] };
}

describe('SCRAM-SHA-256: RFC 7677 section 3 example', () => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const cred = credentialFromPassword(sha256, 'pencil', 4096, salt);
  const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';

  it('answers the RFC client messages with the RFC server messages', () => {
    const s = new ScramSaslServer(sha256, lookup({ user: cred }), () => serverNonce);
    const first = s.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')).toString();
    expect(first).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const final = s.evaluate(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')).toString();
    expect(final).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(s.complete).toBe(true);
    expect(s.authorizationId).toBe('user');
  });

  it('refuses a wrong proof without saying why to the client', () => {
    const s = new ScramSaslServer(sha256, lookup({ user: cred }), () => serverNonce);
    s.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    const badProof = Buffer.alloc(32, 7).toString('base64');
    expect(() => s.evaluate(Buffer.from(`c=biws,r=rOprNGfwEbeRWgbNEkqO${serverNonce},p=${badProof}`))).toThrow(SaslCredentialError);
    expect(s.complete).toBe(false);
  });

  it('refuses a changed nonce, an unknown user, a malformed first message', () => {
    const s = new ScramSaslServer(sha256, lookup({ user: cred }), () => serverNonce);
    s.evaluate(Buffer.from('n,,n=user,r=abc'));
    expect(() => s.evaluate(Buffer.from('c=biws,r=abcXYZ,p=AAAA'))).toThrow(/nonce/);
    expect(() => new ScramSaslServer(sha256, lookup({})).evaluate(Buffer.from('n,,n=nobody,r=abc'))).toThrow(SaslCredentialError);
    expect(() => new ScramSaslServer(sha256, lookup({ user: cred })).evaluate(Buffer.from('p=tls-unique,,n=user,r=abc'))).toThrow(SaslCredentialError);
    expect(() => new ScramSaslServer(sha256, lookup({ user: cred })).evaluate(Buffer.from('n,,n=user,r=abc,tokenauth=true'))).toThrow(/delegation token/);
  });

  it('refuses an authorization id other than the user (a message the client may see)', () => {
    const s = new ScramSaslServer(sha256, lookup({ user: cred }));
    expect(() => s.evaluate(Buffer.from('n,a=admin,n=user,r=abc'))).toThrow(SaslAuthenticationError);
  });
});

/** A SCRAM client, written from RFC 5802, to drive the server with SHA-512. */
function clientExchange(server: ScramSaslServer, m: typeof sha512, user: string, password: string): string {
  const cnonce = 'fyko+d2lbbFgONRv9qkxdawL';
  const bare = `n=${encodeSaslName(user)},r=${cnonce}`;
  const serverFirst = server.evaluate(Buffer.from(`n,,${bare}`)).toString();
  const [, nonce, saltB64, iter] = /^r=([^,]*),s=([^,]*),i=(\d+)$/.exec(serverFirst)!;
  const salted = saltedPassword(m, password, Buffer.from(saltB64!, 'base64'), Number(iter));
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const ck = clientKey(m, salted);
  const proof = xor(ck, hmac(m, hash(m, ck), authMessage));
  const final = server.evaluate(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)).toString();
  expect(final).toBe(`v=${hmac(m, serverKey(m, salted), authMessage).toString('base64')}`);
  return final;
}

describe('SCRAM-SHA-512 and names', () => {
  it('authenticates a user whose name needs saslname escaping', () => {
    const user = 'a,b=c';
    const s = new ScramSaslServer(sha512, lookup({ [user]: credentialFromPassword(sha512, 'secret', 4096) }));
    clientExchange(s, sha512, user, 'secret');
    expect(s.authorizationId).toBe(user);
  });

  it('the wrong password fails at the proof', () => {
    const s = new ScramSaslServer(sha512, lookup({ u: credentialFromPassword(sha512, 'secret', 4096) }));
    expect(() => clientExchange(s, sha512, 'u', 'guess')).toThrow(SaslCredentialError);
  });

  it('saslname and Kafka credential strings round-trip', () => {
    expect(decodeSaslName('a=2Cb=3Dc')).toBe('a,b=c');
    expect(() => decodeSaslName('a=b')).toThrow();
    const c = credentialFromPassword(sha256, 'x', 8192);
    expect(credentialToString(c)).toMatch(/^salt=[^,]+,stored_key=[^,]+,server_key=[^,]+,iterations=8192$/);
    expect(credentialFromString(credentialToString(c))).toEqual(c);
  });
});

describe('SASL/PLAIN', () => {
  const users = lookup({}, { alice: 'alice-secret' });
  it('accepts the right password, with or without an authzid equal to the user', () => {
    const s = new PlainSaslServer(users);
    expect(s.evaluate(Buffer.from('\0alice\0alice-secret')).length).toBe(0);
    expect(s.complete && s.authorizationId).toBe('alice');
    expect(new PlainSaslServer(users).evaluate(Buffer.from('alice\0alice\0alice-secret')).length).toBe(0);
  });
  it('refuses with Kafka\'s messages', () => {
    expect(() => new PlainSaslServer(users).evaluate(Buffer.from('\0alice\0nope'))).toThrow('Authentication failed: Invalid username or password');
    expect(() => new PlainSaslServer(users).evaluate(Buffer.from('\0bob\0alice-secret'))).toThrow('Authentication failed: Invalid username or password');
    expect(() => new PlainSaslServer(users).evaluate(Buffer.from('alice-secret'))).toThrow('Invalid SASL/PLAIN response: expected 3 tokens, got 1');
    expect(() => new PlainSaslServer(users).evaluate(Buffer.from('\0\0x'))).toThrow('username not specified');
    expect(() => new PlainSaslServer(users).evaluate(Buffer.from('bob\0alice\0alice-secret'))).toThrow(/authorization id that is different/);
  });
});

describe('SCRAM client half (RFC 7677 example)', () => {
  it('sends the RFC client-final for the RFC server-first and verifies the server signature', async () => {
    const { ScramSaslClient } = await import('../../src/security/scram-client.ts');
    const m = scramMechanismByName('SCRAM-SHA-256')!;
    const c = new ScramSaslClient(m, 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    expect(c.initialResponse().toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = c.evaluate(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    expect(final!.toString()).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(c.evaluate(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBeNull();
  });

  it('refuses a server that does not know the credential, a nonce it did not extend, too few iterations', async () => {
    const { ScramSaslClient } = await import('../../src/security/scram-client.ts');
    const m = scramMechanismByName('SCRAM-SHA-256')!;
    const fresh = () => {
      const c = new ScramSaslClient(m, 'user', 'pencil', 'abc');
      c.initialResponse();
      return c;
    };
    const c = fresh();
    c.evaluate(Buffer.from('r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    expect(() => c.evaluate(Buffer.from('v=AAAA'))).toThrow(/signature does not verify/);
    expect(() => fresh().evaluate(Buffer.from('r=xyz,s=W22Z,i=4096'))).toThrow(/nonce does not extend/);
    expect(() => fresh().evaluate(Buffer.from('r=abcdef,s=W22Z,i=10'))).toThrow(/fewer than the minimum 4096/);
    const d = fresh();
    d.evaluate(Buffer.from('r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    expect(() => d.evaluate(Buffer.from('e=invalid-proof'))).toThrow(/the server refused: invalid-proof/);
  });
});
