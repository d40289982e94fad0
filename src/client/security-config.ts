import { readFileSync } from 'node:fs';
import { unsecuredJws, type UnsecuredTokenOptions } from '../security/oauthbearer-client.ts';
import { JaasConfigError, parseJaasConfig } from '../security/jaas.ts';
import { SASL_MECHANISMS, SECURITY_PROTOCOLS, usesSasl, usesTls, type ClientSasl, type ClientSecurity, type SaslMechanismName, type SecretSource, type SecurityProtocol } from './security.ts';

/**
 * Kafka's client security config keys (Java and librdkafka names) → the client's ClientSecurity. One
 * table for every client-side entry point: the CLI's -X and profiles (src/cli/security-settings.ts
 * adds flags, environment and the password prompt), Streams and Connect worker configs.
 *
 *   securityFromConfig({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-256',
 *     'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="…";',
 *     'ssl.truststore.type': 'PEM', 'ssl.truststore.location': 'ca.pem' })
 */

/** The settings as given, before files are read; flat so layers merge with a spread. */
export interface SecurityProperties {
  securityProtocol?: SecurityProtocol;
  saslMechanism?: SaslMechanismName;
  saslUsername?: string;
  saslPassword?: string;
  /** OAUTHBEARER unsecured-token options (JAAS unsecuredLogin* or librdkafka sasl.oauthbearer.config). */
  saslOauth?: OAuthSettings;
  sslCaLocation?: string;
  sslCertificateLocation?: string;
  sslKeyLocation?: string;
  sslKeyPassword?: string;
  sslVerify?: boolean;
  sslCheckHostname?: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type OAuthSettings = Mutable<Omit<UnsecuredTokenOptions, 'principal'>> & { principal?: string };

export class SecurityConfigError extends Error {
  override name = 'SecurityConfigError';
}

type Setter = (p: SecurityProperties, value: string) => void;

function bool(set: (p: SecurityProperties, b: boolean) => void): Setter {
  return (p, v) => {
    const t = v.trim().toLowerCase();
    if (t !== 'true' && t !== 'false') throw new SecurityConfigError(`"${v}" is not true or false`);
    set(p, t === 'true');
  };
}

function pemOnly(what: string): Setter {
  return (_p, v) => {
    if (v.trim().toUpperCase() !== 'PEM') throw new SecurityConfigError(`${what} "${v}" is not supported: kstream's client reads PEM files only (convert with openssl/keytool)`);
  };
}

export function parseProtocol(v: string): SecurityProtocol {
  const t = v.trim().toUpperCase();
  if (!(SECURITY_PROTOCOLS as readonly string[]).includes(t)) throw new SecurityConfigError(`"${v}" is not one of ${SECURITY_PROTOCOLS.join(', ')}`);
  return t as SecurityProtocol;
}

export function parseMechanism(v: string): SaslMechanismName {
  const t = v.trim().toUpperCase();
  if (t === 'GSSAPI') throw new SecurityConfigError('GSSAPI (Kerberos) is not supported by kstream; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER');
  if (!(SASL_MECHANISMS as readonly string[]).includes(t)) throw new SecurityConfigError(`"${v}" is not one of ${SASL_MECHANISMS.join(', ')}`);
  return t as SaslMechanismName;
}

/** librdkafka's sasl.oauthbearer.config for unsecured tokens: `principal=alice scope=a,b lifeSeconds=600`. */
function oauthConfig(p: SecurityProperties, v: string): void {
  const o: OAuthSettings = { ...p.saslOauth };
  const claims: Record<string, string> = { ...(o.stringClaims ?? {}) };
  for (const part of v.trim().split(/\s+/).filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new SecurityConfigError(`"${part}" is not name=value`);
    const [k, val] = [part.slice(0, eq), part.slice(eq + 1)];
    if (k === 'principal') o.principal = val;
    else if (k === 'scope') o.scope = val.split(',');
    else if (k === 'lifeSeconds') o.lifetimeSeconds = Number(val);
    else if (k === 'principalClaimName') o.principalClaimName = val;
    else if (k === 'scopeClaimName') o.scopeClaimName = val;
    else if (k.startsWith('extension_')) continue;
    else claims[k] = val;
  }
  if (Object.keys(claims).length > 0) o.stringClaims = claims;
  p.saslOauth = o;
}

/** sasl.jaas.config: Plain/ScramLoginModule username+password; OAuthBearerLoginModule unsecuredLogin* options. */
function jaas(p: SecurityProperties, v: string): void {
  let entry;
  try {
    entry = parseJaasConfig(v);
  } catch (e) {
    throw new SecurityConfigError(e instanceof JaasConfigError ? e.message.replace(/^sasl\.jaas\.config: /, '') : String(e));
  }
  const module = entry.loginModule.split('.').pop()!;
  const opt = (k: string) => entry.options.get(k);
  if (module === 'PlainLoginModule' || module === 'ScramLoginModule') {
    if (opt('username') !== undefined) p.saslUsername = opt('username');
    if (opt('password') !== undefined) p.saslPassword = opt('password');
    if (module === 'PlainLoginModule') p.saslMechanism ??= 'PLAIN';
  } else if (module === 'OAuthBearerLoginModule') {
    const o: OAuthSettings = { ...p.saslOauth };
    const claims: Record<string, string> = {};
    for (const [k, val] of entry.options) {
      if (k === 'unsecuredLoginLifetimeSeconds') o.lifetimeSeconds = Number(val);
      else if (k === 'unsecuredLoginPrincipalClaimName') o.principalClaimName = val;
      else if (k === 'unsecuredLoginScopeClaimName') o.scopeClaimName = val;
      else if (k.startsWith('unsecuredLoginListClaim_')) {
        // Kafka: the first character of the value is the separator ("|a|b" or ",a,b").
        const items = val.length > 1 ? val.slice(1).split(val[0]!) : [];
        if (k.slice('unsecuredLoginListClaim_'.length) === (o.scopeClaimName ?? 'scope')) o.scope = items;
      } else if (k.startsWith('unsecuredLoginStringClaim_')) claims[k.slice('unsecuredLoginStringClaim_'.length)] = val;
    }
    const principalClaim = o.principalClaimName ?? 'sub';
    if (claims[principalClaim] !== undefined) o.principal = claims[principalClaim];
    delete claims[principalClaim];
    if (Object.keys(claims).length > 0) o.stringClaims = claims;
    p.saslOauth = o;
    p.saslMechanism ??= 'OAUTHBEARER';
  } else {
    throw new SecurityConfigError(`login module ${entry.loginModule} is not supported (PlainLoginModule, ScramLoginModule, OAuthBearerLoginModule)`);
  }
}

/** Kafka / librdkafka client security keys kstream honours. */
export const SECURITY_KEYS: Readonly<Record<string, Setter>> = {
  'security.protocol': (p, v) => (p.securityProtocol = parseProtocol(v)),
  'sasl.mechanism': (p, v) => (p.saslMechanism = parseMechanism(v)),
  'sasl.mechanisms': (p, v) => (p.saslMechanism = parseMechanism(v)),
  'sasl.username': (p, v) => (p.saslUsername = v),
  'sasl.password': (p, v) => (p.saslPassword = v),
  'sasl.jaas.config': jaas,
  'sasl.oauthbearer.config': oauthConfig,
  'enable.sasl.oauthbearer.unsecure.jwt': bool(() => undefined),
  'ssl.ca.location': (p, v) => (p.sslCaLocation = v),
  'ssl.truststore.location': (p, v) => (p.sslCaLocation = v),
  'ssl.truststore.type': pemOnly('ssl.truststore.type'),
  'ssl.certificate.location': (p, v) => (p.sslCertificateLocation = v),
  'ssl.key.location': (p, v) => (p.sslKeyLocation = v),
  // Kafka's PEM keystore: certificate chain and private key in one file.
  'ssl.keystore.location': (p, v) => {
    p.sslCertificateLocation = v;
    p.sslKeyLocation = v;
  },
  'ssl.keystore.type': pemOnly('ssl.keystore.type'),
  'ssl.key.password': (p, v) => (p.sslKeyPassword = v),
  'enable.ssl.certificate.verification': bool((p, b) => (p.sslVerify = b)),
  'ssl.endpoint.identification.algorithm': (p, v) => {
    const t = v.trim().toLowerCase();
    if (t !== '' && t !== 'https' && t !== 'none') throw new SecurityConfigError(`"${v}" is not https or empty`);
    p.sslCheckHostname = t === 'https';
  },
};

/** Applies one Kafka config key; false when the key is not a security key. */
export function applySecurityKey(p: SecurityProperties, key: string, value: string): boolean {
  const set = SECURITY_KEYS[key];
  if (!set) return false;
  set(p, value);
  return true;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new SecurityConfigError(`cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export interface ResolveOptions {
  /** Where the password comes from when the properties hold none (a terminal prompt); absent = required. */
  passwordFallback?: (username: string) => SecretSource | undefined;
  /** What to tell the user when no password can be found. */
  passwordHint?: string;
}

/**
 * The ClientSecurity for merged properties. Without security.protocol it follows from what is set:
 * SASL settings → SASL_PLAINTEXT, TLS settings → SSL, both → SASL_SSL (Kafka would silently use
 * PLAINTEXT and ignore them). Reads the PEM files now, so a bad path fails before connecting.
 */
export function resolveSecurity(p: SecurityProperties, opts: ResolveOptions = {}): ClientSecurity {
  const anySasl = p.saslMechanism !== undefined || p.saslUsername !== undefined;
  const anyTls = p.sslCaLocation !== undefined || p.sslCertificateLocation !== undefined || p.sslVerify === false;
  const protocol: SecurityProtocol = p.securityProtocol ?? (anySasl ? (anyTls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : anyTls ? 'SSL' : 'PLAINTEXT');
  const security: ClientSecurity = { protocol };
  if (usesTls(protocol)) {
    if ((p.sslCertificateLocation === undefined) !== (p.sslKeyLocation === undefined)) {
      throw new SecurityConfigError('a client certificate needs both a certificate and a key (--tls-cert and --tls-key; ssl.certificate.location and ssl.key.location)');
    }
    security.tls = {
      ...(p.sslCaLocation !== undefined ? { ca: readPem(p.sslCaLocation, 'CA file') } : {}),
      ...(p.sslCertificateLocation !== undefined ? { cert: readPem(p.sslCertificateLocation, 'client certificate') } : {}),
      ...(p.sslKeyLocation !== undefined ? { key: readPem(p.sslKeyLocation, 'client key') } : {}),
      ...(p.sslKeyPassword !== undefined ? { keyPassword: p.sslKeyPassword } : {}),
      ...(p.sslVerify === false ? { verify: false } : {}),
      ...(p.sslCheckHostname === false ? { checkHostname: false } : {}),
    };
  } else if (anyTls) {
    throw new SecurityConfigError(`TLS settings are given but security.protocol is ${protocol}; use SSL or SASL_SSL`);
  }
  if (usesSasl(protocol)) security.sasl = saslFor(p, protocol, opts);
  else if (anySasl && p.securityProtocol !== undefined) {
    throw new SecurityConfigError(`SASL settings are given but security.protocol is ${protocol}; use SASL_PLAINTEXT or SASL_SSL`);
  }
  return security;
}

function saslFor(p: SecurityProperties, protocol: SecurityProtocol, opts: ResolveOptions): ClientSasl {
  const mechanism = p.saslMechanism;
  if (mechanism === undefined) throw new SecurityConfigError(`${protocol} needs a SASL mechanism: --sasl-mechanism (sasl.mechanism) PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER`);
  if (mechanism === 'OAUTHBEARER') {
    const o = p.saslOauth ?? {};
    const principal = o.principal ?? p.saslUsername;
    if (principal === undefined || principal === '') {
      throw new SecurityConfigError('OAUTHBEARER needs a principal for its unsecured development token: --sasl-username, sasl.oauthbearer.config=principal=<name>, or unsecuredLoginStringClaim_sub in sasl.jaas.config');
    }
    // A fresh token for every (re-)authentication, as Kafka's login refresh would give.
    return { mechanism, token: async () => unsecuredJws({ ...o, principal }) };
  }
  const username = p.saslUsername;
  if (username === undefined || username === '') throw new SecurityConfigError(`SASL ${mechanism} needs a user name: --sasl-username (sasl.username, or username in sasl.jaas.config)`);
  const password = p.saslPassword ?? opts.passwordFallback?.(username);
  if (password === undefined) throw new SecurityConfigError(`no SASL password for ${username}: ${opts.passwordHint ?? 'set sasl.password or password in sasl.jaas.config'}`);
  return { mechanism, username, password };
}

/**
 * Streams / Connect: the security keys of a Kafka client config map (other keys are ignored here;
 * their own config classes check them). PLAINTEXT when none is set.
 */
export function securityFromConfig(config: Readonly<Record<string, string | number | boolean | undefined>>, prefix = ''): ClientSecurity {
  const p: SecurityProperties = {};
  // sasl.jaas.config first, so explicit sasl.mechanism/username given beside it win.
  const keys = Object.keys(SECURITY_KEYS).sort((a, b) => (a === 'sasl.jaas.config' ? -1 : b === 'sasl.jaas.config' ? 1 : 0));
  for (const key of keys) {
    const v = config[prefix + key];
    if (v === undefined) continue;
    try {
      SECURITY_KEYS[key]!(p, String(v));
    } catch (e) {
      throw new SecurityConfigError(`${prefix}${key}: ${(e as Error).message}`);
    }
  }
  return resolveSecurity(p);
}
