import { parseMechanism, parseProtocol, resolveSecurity, SecurityConfigError, type SecurityProperties } from '../client/security-config.ts';
import { memoSecret, type ClientSecurity } from '../client/security.ts';
import { UsageError } from './parse.ts';

/**
 * The CLI's one place that turns security settings into the client's ClientSecurity. Layers, lowest
 * first: the profile's properties, the environment (KSTREAM_SECURITY_PROTOCOL, KSTREAM_SASL_MECHANISM,
 * KSTREAM_SASL_USERNAME, KSTREAM_SASL_PASSWORD, KSTREAM_TLS_CA, KSTREAM_TLS_CERT, KSTREAM_TLS_KEY),
 * `-X` properties, then flags. A SASL password is never required on the command line: without one in
 * any layer it is asked for on the terminal (no echo) when the first connection needs it.
 */

export interface SecurityFlags {
  'security-protocol'?: string;
  'sasl-mechanism'?: string;
  'sasl-username'?: string;
  'sasl-password'?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-insecure'?: boolean;
}

const nonEmpty = (v: string | undefined): string | undefined => (v !== undefined && v !== '' ? v : undefined);

function wrap<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SecurityConfigError) throw new UsageError(`${where}: ${e.message}`);
    throw e;
  }
}

/** The environment's layer, as properties. */
export function securityFromEnv(env: NodeJS.ProcessEnv): SecurityProperties {
  const p: SecurityProperties = {};
  const protocol = nonEmpty(env.KSTREAM_SECURITY_PROTOCOL);
  if (protocol) p.securityProtocol = wrap('KSTREAM_SECURITY_PROTOCOL', () => parseProtocol(protocol));
  const mechanism = nonEmpty(env.KSTREAM_SASL_MECHANISM);
  if (mechanism) p.saslMechanism = wrap('KSTREAM_SASL_MECHANISM', () => parseMechanism(mechanism));
  if (nonEmpty(env.KSTREAM_SASL_USERNAME)) p.saslUsername = env.KSTREAM_SASL_USERNAME;
  if (env.KSTREAM_SASL_PASSWORD !== undefined) p.saslPassword = env.KSTREAM_SASL_PASSWORD;
  if (nonEmpty(env.KSTREAM_TLS_CA)) p.sslCaLocation = env.KSTREAM_TLS_CA;
  if (nonEmpty(env.KSTREAM_TLS_CERT)) p.sslCertificateLocation = env.KSTREAM_TLS_CERT;
  if (nonEmpty(env.KSTREAM_TLS_KEY)) p.sslKeyLocation = env.KSTREAM_TLS_KEY;
  return p;
}

/** The flags' layer, as properties. */
export function securityFromFlags(f: SecurityFlags): SecurityProperties {
  const p: SecurityProperties = {};
  if (f['security-protocol'] !== undefined) p.securityProtocol = wrap('--security-protocol', () => parseProtocol(f['security-protocol']!));
  if (f['sasl-mechanism'] !== undefined) p.saslMechanism = wrap('--sasl-mechanism', () => parseMechanism(f['sasl-mechanism']!));
  if (f['sasl-username'] !== undefined) p.saslUsername = f['sasl-username'];
  if (f['sasl-password'] !== undefined) p.saslPassword = f['sasl-password'];
  if (f['tls-ca'] !== undefined) p.sslCaLocation = f['tls-ca'];
  if (f['tls-cert'] !== undefined) p.sslCertificateLocation = f['tls-cert'];
  if (f['tls-key'] !== undefined) p.sslKeyLocation = f['tls-key'];
  if (f['tls-insecure']) p.sslVerify = false;
  return p;
}

const SECURITY_FIELDS: ReadonlyArray<keyof SecurityProperties> = [
  'securityProtocol', 'saslMechanism', 'saslUsername', 'saslPassword', 'saslOauth', 'sslCaLocation',
  'sslCertificateLocation', 'sslKeyLocation', 'sslKeyPassword', 'sslVerify', 'sslCheckHostname',
];

/** Only the security fields of merged client properties. */
export function pickSecurity(p: SecurityProperties): SecurityProperties {
  const out: Record<string, unknown> = {};
  for (const k of SECURITY_FIELDS) if (p[k] !== undefined) out[k] = p[k];
  return out as SecurityProperties;
}

export interface PromptOptions {
  /** Whether a human can be asked (stdin and stderr are terminals). */
  interactive: boolean;
  ask: (message: string) => Promise<string>;
}

/** Asks on the terminal without echo, on stderr so a piped stdout stays clean. */
export async function askPassword(message: string): Promise<string> {
  const { default: password } = await import('@inquirer/password');
  try {
    return await password({ message }, { output: process.stderr });
  } catch (e) {
    if ((e as Error).name === 'ExitPromptError') throw Object.assign(new Error('cancelled'), { exitCode: 130 });
    throw e;
  }
}

export const terminalPrompt = (): PromptOptions => ({ interactive: process.stdin.isTTY === true && process.stderr.isTTY === true, ask: askPassword });

/**
 * The ClientSecurity from the layers (`lower` already merges profile < env < -X as properties; the
 * flags go on top). The prompt runs at most once, when the first connection authenticates.
 */
export function resolveCliSecurity(merged: SecurityProperties, flags: SecurityFlags, prompt: PromptOptions = terminalPrompt()): ClientSecurity {
  const p: SecurityProperties = { ...merged, ...securityFromFlags(flags) };
  return wrap('security settings', () =>
    resolveSecurity(p, {
      passwordFallback: (user) => (prompt.interactive ? memoSecret(() => prompt.ask(`SASL password for ${user}:`)) : undefined),
      passwordHint: 'give it with KSTREAM_SASL_PASSWORD, -X sasl.password, a profile, or --sasl-password, or run on a terminal to be asked',
    }),
  );
}

/**
 * The security flags and environment as Kafka client config keys, for commands that hand a Kafka
 * config to a client of their own (`streams run` → KafkaStreams). Only what is given; no prompt.
 */
export function securityConfigOverrides(flags: SecurityFlags, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const p: SecurityProperties = { ...securityFromEnv(env), ...securityFromFlags(flags) };
  const out: Record<string, string> = {};
  if (p.securityProtocol) out['security.protocol'] = p.securityProtocol;
  if (p.saslMechanism) out['sasl.mechanism'] = p.saslMechanism;
  if (p.saslUsername !== undefined) out['sasl.username'] = p.saslUsername;
  if (p.saslPassword !== undefined) out['sasl.password'] = p.saslPassword;
  if (p.sslCaLocation !== undefined) out['ssl.ca.location'] = p.sslCaLocation;
  if (p.sslCertificateLocation !== undefined) out['ssl.certificate.location'] = p.sslCertificateLocation;
  if (p.sslKeyLocation !== undefined) out['ssl.key.location'] = p.sslKeyLocation;
  if (p.sslVerify === false) out['enable.ssl.certificate.verification'] = 'false';
  return out;
}
