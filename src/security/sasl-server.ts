/**
 * The server half of a SASL mechanism: one instance per authentication exchange on one connection.
 * Mechanisms see bytes and a credential lookup, never sockets or the Kafka protocol.
 */
export interface SaslServer {
  readonly mechanism: string;
  /** Evaluates the client's next token and returns the server's reply (empty when there is none). */
  evaluate(token: Buffer): Buffer;
  /** True once the exchange has succeeded. */
  readonly complete: boolean;
  /** The authenticated user name (valid once complete). */
  readonly authorizationId: string;
  /** When the credential itself expires (OAUTHBEARER's `exp`), ms since the epoch; null for none. */
  readonly credentialExpiresAt: number | null;
}

/**
 * A failure whose message may be shown to the client (Kafka's SaslAuthenticationException): it names
 * what was wrong without revealing whether the user exists.
 */
export class SaslAuthenticationError extends Error {
  override name = 'SaslAuthenticationError';
  /** More detail for the broker log than the client is shown (never a secret). */
  readonly detail: string | undefined;
  constructor(message: string, detail?: string) {
    super(message);
    this.detail = detail;
  }
}

/**
 * A failure whose detail is for the broker log only (Kafka's SaslException): the client is told just
 * "Authentication failed during authentication due to invalid credentials with SASL mechanism M".
 */
export class SaslCredentialError extends Error {
  override name = 'SaslCredentialError';
}

/** Where mechanisms look users up. Implementations never log or return secrets. */
export interface CredentialLookup {
  /** The password of `user` for SASL/PLAIN on this listener, or undefined. */
  plainPassword(user: string): string | undefined;
  /** The SCRAM credential of `user` for `mechanism`, or undefined. */
  scramCredential(mechanism: string, user: string): import('./scram.ts').ScramCredential | undefined;
}
