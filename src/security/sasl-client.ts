/**
 * The client half of a SASL mechanism: one instance per authentication exchange on one connection.
 * Like the server halves (sasl-server.ts) it sees bytes only; src/client/sasl-authenticator.ts carries
 * the tokens in SaslAuthenticate requests.
 */
export interface SaslClient {
  readonly mechanism: string;
  /** The first token the client sends (every mechanism kstream speaks is client-first). */
  initialResponse(): Buffer;
  /**
   * The server's reply to the last token: the next token to send, or null once the exchange is
   * complete on the client's side. Throws SaslClientError when the server's reply is unacceptable
   * (a SCRAM server signature that does not verify: the server does not know our password).
   */
  evaluate(challenge: Buffer): Buffer | null;
}

/** The server's answer broke the mechanism's rules; the client refuses to go on. */
export class SaslClientError extends Error {
  override name = 'SaslClientError';
}
