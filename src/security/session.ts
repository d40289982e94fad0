import { ErrorCode } from '../protocol/error-codes.ts';
import { usesSasl } from './listeners.ts';
import type { ListenerSecurity } from './listener-settings.ts';
import { ANONYMOUS, tlsPrincipal } from './principal.ts';
import { SaslAuthenticationError, type SaslServer } from './sasl-server.ts';

// API keys that matter before authentication (Kafka's SaslServerAuthenticator).
const SASL_HANDSHAKE = 17;
const API_VERSIONS = 18;
const SASL_AUTHENTICATE = 36;

export type HandshakeOutcome = { errorCode: number; mechanisms: string[]; closeReason: string | null };

export type AuthenticateOutcome =
  | { ok: true; bytes: Buffer; complete: boolean; sessionLifetimeMs: number }
  | { ok: false; errorCode: number; message: string; logReason: string; mechanism: string };

type State = 'open' | 'handshake' | 'authenticate' | 'authenticated' | 'failed';

/**
 * One connection's security state: who it is (principal) and where it is in Kafka's SASL exchange.
 * Sans-io: the broker asks it whether a request may be served (`admit`), feeds it handshakes and
 * tokens, and acts on the outcomes (respond, delay, close).
 *
 * On a SASL listener only ApiVersions and SaslHandshake are served until a handshake, then only
 * SaslAuthenticate until it completes; anything else closes the connection, as Kafka does. A v0
 * handshake switches the connection to raw tokens (length-prefixed SASL bytes, no Kafka header).
 */
export class ConnectionSecurity {
  readonly listener: ListenerSecurity;
  private _principal = ANONYMOUS;
  private state: State;
  private server: SaslServer | null = null;
  private rawTokens = false;
  private mechanism: string | null = null;
  private reauthenticating = false;
  private sessionExpiresAt: number | null = null;

  constructor(listener: ListenerSecurity) {
    this.listener = listener;
    this.state = usesSasl(listener.protocol) ? 'handshake' : 'open';
  }

  /** `User:<name>`, `User:<mapped certificate DN>` or `User:ANONYMOUS`. */
  get principal(): string {
    return this._principal;
  }

  get authenticated(): boolean {
    return this.state === 'open' || this.state === 'authenticated' || (this.reauthenticating && this.state === 'authenticate');
  }

  /** After a SaslHandshake v0 the next frames are raw SASL tokens, not Kafka requests. */
  get expectsRawToken(): boolean {
    return this.rawTokens && this.state === 'authenticate';
  }

  /**
   * The TLS handshake finished: on an SSL listener the principal comes from the client certificate
   * (DER, or null without one). Throws (the connection must close) when no mapping rule applies.
   */
  tlsEstablished(peerCertificate: Buffer | null): void {
    if (this.listener.protocol === 'SSL') this._principal = tlsPrincipal(peerCertificate, this.listener.principalMapper);
  }

  /** null when a request with `apiKey` may be served now; otherwise why the connection must close. */
  admit(apiKey: number, now: number): string | null {
    switch (this.state) {
      case 'open':
        return null;
      case 'handshake':
        if (apiKey === API_VERSIONS || apiKey === SASL_HANDSHAKE) return null;
        return `unexpected request (api key ${apiKey}) before SASL authentication on listener ${this.listener.name}: only ApiVersions and SaslHandshake are served until authenticated`;
      case 'authenticate':
        if (apiKey === SASL_AUTHENTICATE) return null;
        if (this.reauthenticating) return this.expiry(apiKey, now);
        return `unexpected request (api key ${apiKey}) during SASL authentication on listener ${this.listener.name}: expected SaslAuthenticate`;
      case 'authenticated':
        return this.expiry(apiKey, now);
      case 'failed':
        return `request after failed authentication on listener ${this.listener.name}`;
    }
  }

  private expiry(apiKey: number, now: number): string | null {
    if (this.sessionExpiresAt === null || now < this.sessionExpiresAt) return null;
    if (apiKey === SASL_HANDSHAKE || apiKey === SASL_AUTHENTICATE) return null;
    return `SASL session of ${this._principal} expired (connections.max.reauth.ms=${this.listener.reauthMs}) without re-authentication`;
  }

  /** SaslHandshake: picks the mechanism for the exchange that follows (also re-authentication, KIP-368). */
  handshake(mechanism: string, version: number): HandshakeOutcome {
    const enabled = [...this.listener.mechanisms];
    if (this.state === 'open') {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [], closeReason: null };
    }
    const reauth = this.state === 'authenticated';
    if (!(this.state === 'handshake' || (reauth && version >= 1))) {
      this.state = 'failed';
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: enabled, closeReason: `unexpected SaslHandshake v${version} on listener ${this.listener.name}` };
    }
    if (!enabled.includes(mechanism) || (reauth && mechanism !== this.mechanism)) {
      this.state = 'failed';
      const why = reauth && enabled.includes(mechanism)
        ? `SASL mechanism '${mechanism}' requested by client is not supported for re-authentication of mechanism '${this.mechanism}'`
        : `unsupported SASL mechanism ${mechanism} (enabled on listener ${this.listener.name}: ${enabled.join(', ')})`;
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled, closeReason: why };
    }
    this.server = this.listener.newSaslServer(mechanism);
    this.mechanism = mechanism;
    this.reauthenticating = reauth;
    this.rawTokens = version === 0;
    this.state = 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms: enabled, closeReason: null };
  }

  /** One SASL token (SaslAuthenticate's auth bytes, or a raw token after a v0 handshake). */
  authenticate(token: Buffer, now: number): AuthenticateOutcome {
    const mechanism = this.mechanism ?? '-';
    if (this.state !== 'authenticate' || this.server === null) {
      this.state = 'failed';
      return { ok: false, errorCode: ErrorCode.ILLEGAL_SASL_STATE, message: 'Unexpected SaslAuthenticate request: no SaslHandshake selected a mechanism', logReason: 'SaslAuthenticate before SaslHandshake', mechanism };
    }
    let bytes: Buffer;
    try {
      bytes = this.server.evaluate(token);
    } catch (err) {
      this.state = 'failed';
      const what = this.reauthenticating ? 're-authentication' : 'authentication';
      // Kafka shows SaslAuthenticationException messages to the client; any other failure gets a
      // fixed message, so a client cannot learn whether a user exists.
      const message = err instanceof SaslAuthenticationError ? err.message : `Authentication failed during ${what} due to invalid credentials with SASL mechanism ${mechanism}`;
      return { ok: false, errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, message, logReason: (err instanceof SaslAuthenticationError && err.detail) || (err as Error).message, mechanism };
    }
    if (!this.server.complete) return { ok: true, bytes, complete: false, sessionLifetimeMs: 0 };
    const principal = `User:${this.server.authorizationId}`;
    if (this.reauthenticating && principal !== this._principal) {
      this.state = 'failed';
      return {
        ok: false,
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        message: `Cannot change principals during re-authentication from ${this._principal}: ${principal}`,
        logReason: `principal changed during re-authentication from ${this._principal} to ${principal}`,
        mechanism,
      };
    }
    this._principal = principal;
    this.state = 'authenticated';
    this.rawTokens = false;
    this.reauthenticating = false;
    const sessionLifetimeMs = this.sessionLifetime(now);
    this.sessionExpiresAt = sessionLifetimeMs > 0 ? now + sessionLifetimeMs : null;
    this.server = null;
    return { ok: true, bytes, complete: true, sessionLifetimeMs };
  }

  /** KIP-368: connections.max.reauth.ms, shortened to the credential's own expiry; 0 = no limit. */
  private sessionLifetime(now: number): number {
    const expires = this.server?.credentialExpiresAt ?? null;
    const limits: number[] = [];
    if (this.listener.reauthMs > 0) limits.push(this.listener.reauthMs);
    if (expires !== null) limits.push(Math.max(1, expires - now));
    return limits.length === 0 ? 0 : Math.min(...limits);
  }
}
