import { SaslAuthenticationError, SaslCredentialError, type SaslServer } from './sasl-server.ts';

/** Options of Kafka's OAuthBearerUnsecuredValidatorCallbackHandler (from the OAUTHBEARER JAAS config). */
export interface UnsecuredValidatorOptions {
  /** unsecuredValidatorPrincipalClaimName (default `sub`). */
  readonly principalClaimName: string;
  /** unsecuredValidatorScopeClaimName (default `scope`). */
  readonly scopeClaimName: string;
  /** unsecuredValidatorRequiredScope: space-separated scopes every token must carry. */
  readonly requiredScope: readonly string[];
  /** unsecuredValidatorAllowableClockSkewMs (default 0). */
  readonly allowableClockSkewMs: number;
}

export const DEFAULT_UNSECURED_VALIDATOR: UnsecuredValidatorOptions = { principalClaimName: 'sub', scopeClaimName: 'scope', requiredScope: [], allowableClockSkewMs: 0 };

// OAuthBearerClientInitialResponse: gs2 header, then \x01-separated key=value pairs with auth=<scheme> <token>.
const INITIAL = /^n,(?:a=((?:[\x01-\x7F]|=2C|=3D)+?))?,\x01((?:[A-Za-z]+=[\x21-\x7E \t\r\n]+\x01)*)\x01$/;
const AUTH = /^(\w+) +([-_~+/.a-zA-Z0-9]+=*)$/;

class InvalidToken extends Error {
  readonly status: string;
  readonly scope: string | undefined;
  constructor(status: string, message: string, scope?: string) {
    super(message);
    this.status = status;
    this.scope = scope;
  }
}

function b64json(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidToken('invalid_token', `${what} is not base64url-encoded JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidToken('invalid_token', `${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Validates an unsecured JWS (alg none) as Kafka's development validator does; returns principal and expiry (ms). */
export function validateUnsecuredJws(token: string, opts: UnsecuredValidatorOptions, now: number): { principal: string; expiresAt: number } {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[2] !== '') throw new InvalidToken('invalid_token', 'an unsecured JWS has three dot-separated parts, the last empty');
  const header = b64json(parts[0]!, 'JOSE header');
  if (header.alg !== 'none') throw new InvalidToken('invalid_token', 'unsecured JWS must have alg "none"');
  const claims = b64json(parts[1]!, 'JWT payload');
  const exp = claims.exp;
  if (typeof exp !== 'number') throw new InvalidToken('invalid_token', 'required claim "exp" is missing or not a number');
  const expiresAt = Math.floor(exp * 1000);
  if (now >= expiresAt + opts.allowableClockSkewMs) throw new InvalidToken('invalid_token', `token expired at ${new Date(expiresAt).toISOString()}`);
  const iat = claims.iat;
  if (iat !== undefined && (typeof iat !== 'number' || iat * 1000 > now + opts.allowableClockSkewMs)) throw new InvalidToken('invalid_token', 'claim "iat" is not a number or in the future');
  const principal = claims[opts.principalClaimName];
  if (typeof principal !== 'string' || principal.trim() === '') throw new InvalidToken('invalid_token', `required principal claim "${opts.principalClaimName}" is missing or empty`);
  if (opts.requiredScope.length > 0) {
    const raw = claims[opts.scopeClaimName];
    const scope = typeof raw === 'string' ? raw.split(' ').filter((s) => s !== '') : Array.isArray(raw) ? raw.map(String) : [];
    const missing = opts.requiredScope.filter((s) => !scope.includes(s));
    if (missing.length > 0) throw new InvalidToken('insufficient_scope', `token lacks required scope ${missing.join(' ')}`, opts.requiredScope.join(' '));
  }
  return { principal, expiresAt };
}

/**
 * SASL/OAUTHBEARER (RFC 7628) with Kafka's *unsecured* JWS validator, for development only: anyone can
 * mint such a token. An invalid token gets Kafka's JSON error challenge (`{"status":"invalid_token"}`);
 * the client answers %x01 and the exchange fails with that JSON as the message. The token's `exp`
 * bounds the session (KIP-368).
 */
export class OAuthBearerSaslServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER';
  complete = false;
  authorizationId = '';
  credentialExpiresAt: number | null = null;
  private errorMessage: string | null = null;
  private readonly opts: UnsecuredValidatorOptions;
  private readonly now: () => number;

  constructor(opts: UnsecuredValidatorOptions, now: () => number) {
    this.opts = opts;
    this.now = now;
  }

  evaluate(token: Buffer): Buffer {
    if (token.length === 1 && token[0] === 0x01 && this.errorMessage !== null) throw new SaslAuthenticationError(this.errorMessage, this.invalidReason ?? undefined);
    this.errorMessage = null;
    const m = INITIAL.exec(token.toString('utf8'));
    if (!m) throw new SaslCredentialError('invalid OAUTHBEARER client first message');
    const authzid = m[1] ?? '';
    const pairs = new Map<string, string>();
    for (const kv of (m[2] ?? '').split('\x01').filter((s) => s !== '')) {
      const eq = kv.indexOf('=');
      pairs.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    const auth = AUTH.exec(pairs.get('auth') ?? '');
    if (!auth) throw new SaslCredentialError('OAUTHBEARER client first message has no auth=Bearer <token>');
    if (auth[1]!.toLowerCase() !== 'bearer') throw new SaslCredentialError(`Invalid scheme in OAUTHBEARER client first message: ${auth[1]}`);
    let result: { principal: string; expiresAt: number };
    try {
      result = validateUnsecuredJws(auth[2]!, this.opts, this.now());
    } catch (err) {
      if (!(err instanceof InvalidToken)) throw err;
      this.errorMessage = JSON.stringify(err.scope ? { status: err.status, scope: err.scope } : { status: err.status });
      this.invalidReason = err.message;
      return Buffer.from(this.errorMessage, 'utf8');
    }
    if (authzid !== '' && authzid !== result.principal) {
      throw new SaslAuthenticationError(`Authentication failed: Client requested an authorization id (${authzid}) that is different from the token's principal name (${result.principal})`);
    }
    this.authorizationId = result.principal;
    this.credentialExpiresAt = result.expiresAt;
    this.complete = true;
    return Buffer.alloc(0);
  }

  /** Why the last token was refused (broker log only). */
  invalidReason: string | null = null;
}
