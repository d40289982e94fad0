/**
 * How the client secures its connections, by Kafka's model: a security protocol (security.protocol),
 * TLS settings for SSL/SASL_SSL and a SASL mechanism with its credentials for SASL_*. The CLI builds
 * this from flags, profiles, -X properties and the environment (src/cli/security-settings.ts);
 * Streams and Connect from Kafka's client config keys (src/client/security-config.ts).
 */

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanismName = (typeof SASL_MECHANISMS)[number];

export const usesTls = (p: SecurityProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol): boolean => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

export interface ClientTlsOptions {
  /** CA certificates (PEM) the broker's certificate must chain to; Node's default roots when absent. */
  ca?: string | Buffer;
  /** Client certificate chain and key (PEM) for mTLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Passphrase of an encrypted key (ssl.key.password). */
  keyPassword?: string;
  /** false: accept any certificate (enable.ssl.certificate.verification=false; testing only). */
  verify?: boolean;
  /** false: do not check that the certificate names the host (ssl.endpoint.identification.algorithm=""). */
  checkHostname?: boolean;
}

/** A password given directly, or asked for once when first needed (a terminal prompt). */
export type SecretSource = string | (() => Promise<string>);

export type ClientSasl =
  | { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: SecretSource }
  /** OAUTHBEARER: a token per authentication (re-authentication asks again, so a provider may refresh it). */
  | { mechanism: 'OAUTHBEARER'; token: SecretSource };

export interface ClientSecurity {
  protocol: SecurityProtocol;
  tls?: ClientTlsOptions;
  sasl?: ClientSasl;
}

export const PLAINTEXT: ClientSecurity = { protocol: 'PLAINTEXT' };

/** Resolves a secret source once; later calls reuse the answer (one prompt per process). */
export function memoSecret(source: SecretSource): () => Promise<string> {
  if (typeof source === 'string') return () => Promise.resolve(source);
  let p: Promise<string> | null = null;
  return () => (p ??= source());
}

/** What a message says about the settings (never a secret). */
export function describeSecurity(s: ClientSecurity): string {
  return s.sasl ? `${s.protocol}, SASL ${s.sasl.mechanism}${'username' in s.sasl ? ` as ${s.sasl.username}` : ''}` : s.protocol;
}
