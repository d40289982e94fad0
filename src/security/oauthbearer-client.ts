import { SaslClientError, type SaslClient } from './sasl-client.ts';

/**
 * SASL/OAUTHBEARER (RFC 7628), client side, as Kafka's OAuthBearerSaslClient: the initial response
 * `n,,\x01auth=Bearer <token>\x01\x01`. An invalid token gets a JSON error challenge, answered with
 * %x01, after which the server fails the exchange with that JSON as its message.
 */
export class OAuthBearerSaslClient implements SaslClient {
  readonly mechanism = 'OAUTHBEARER';
  private readonly token: string;
  private sent = false;
  private refused = false;

  constructor(token: string) {
    if (!/^[-_~+/.a-zA-Z0-9]+=*$/.test(token)) throw new SaslClientError('OAUTHBEARER token has characters a bearer token may not contain');
    this.token = token;
  }

  initialResponse(): Buffer {
    this.sent = true;
    return Buffer.from(`n,,\x01auth=Bearer ${this.token}\x01\x01`, 'utf8');
  }

  evaluate(challenge: Buffer): Buffer | null {
    if (!this.sent) throw new SaslClientError('OAUTHBEARER: server spoke before the client');
    if (challenge.length === 0) return null;
    if (this.refused) throw new SaslClientError(`OAUTHBEARER: the server refused the token: ${challenge.toString('utf8')}`);
    // RFC 7628 §3.2.3: the error challenge is acknowledged with a single %x01.
    this.refused = true;
    return Buffer.from([0x01]);
  }
}

/** Options of Kafka's OAuthBearerUnsecuredLoginCallbackHandler (the client's development tokens). */
export interface UnsecuredTokenOptions {
  /** unsecuredLoginStringClaim_sub: the principal. */
  readonly principal: string;
  /** unsecuredLoginLifetimeSeconds (default 3600). */
  readonly lifetimeSeconds?: number;
  /** unsecuredLoginPrincipalClaimName (default sub). */
  readonly principalClaimName?: string;
  /** unsecuredLoginScopeClaimName (default scope) and its values (unsecuredLoginListClaim_scope). */
  readonly scopeClaimName?: string;
  readonly scope?: readonly string[];
  /** Other unsecuredLoginStringClaim_<name> options. */
  readonly stringClaims?: Readonly<Record<string, string>>;
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');

/**
 * An unsecured JWS (`alg: none`, empty signature) as Kafka's development login handler builds it:
 * iat and exp in seconds, the principal claim, optional scope. Anyone can mint one — development only.
 */
export function unsecuredJws(opts: UnsecuredTokenOptions, now: number = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const claims: Record<string, unknown> = { ...(opts.stringClaims ?? {}) };
  claims.iat = iat;
  claims.exp = iat + (opts.lifetimeSeconds ?? 3600);
  claims[opts.principalClaimName ?? 'sub'] = opts.principal;
  if (opts.scope && opts.scope.length > 0) claims[opts.scopeClaimName ?? 'scope'] = [...opts.scope];
  return `${b64url({ alg: 'none' })}.${b64url(claims)}.`;
}
