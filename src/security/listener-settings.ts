/**
 * What a listener's security is made of (ListenerSecurity), the settings it reads (`listener.name.<l>.*`
 * over the plain setting), and the security of a PLAINTEXT listener. Kept apart from
 * listener-security.ts, which builds TLS and SASL listeners: a broker whose listeners are all PLAINTEXT
 * (the default) never loads the SASL servers, JAAS parsing or PEM reading (see listenerSecurities).
 */
import type { ListenerSpec, SecurityProtocol } from './listeners.ts';
import { usesSasl, usesTls } from './listeners.ts';
import { SslPrincipalMapper } from './principal.ts';
import type { SaslServer } from './sasl-server.ts';
import type { ScramCredentialStore } from './scram-credential-store.ts';
import type { TlsServerOptions } from './tls-options.ts';

export class SecurityConfigError extends Error {
  override name = 'SecurityConfigError';
}

/** The broker settings security reads: plain settings and the listener.name.<l>.* overrides. */
export interface SecuritySettingsSource {
  string(name: string): string;
  number(name: string): number;
  readonly perListener: ReadonlyMap<string, string>;
}

/** Everything one listener needs to secure its connections, built once at start-up. */
export interface ListenerSecurity {
  readonly name: string;
  readonly protocol: SecurityProtocol;
  /** TLS server options; null on PLAINTEXT and SASL_PLAINTEXT. */
  readonly tls: TlsServerOptions | null;
  /** Mechanisms offered (SaslHandshake lists them); empty when the listener has no SASL. */
  readonly mechanisms: readonly string[];
  readonly principalMapper: SslPrincipalMapper;
  /** connections.max.reauth.ms (0 = sessions never expire). */
  readonly reauthMs: number;
  readonly failedAuthDelayMs: number;
  /** A fresh server half for one exchange of `mechanism` (one of `mechanisms`). */
  newSaslServer(mechanism: string): SaslServer;
}

/** `listener.name.<listener>.<setting>` (listener names match case-insensitively, as Kafka's lower-case prefix), else `<setting>`. */
export function listenerSetting(src: SecuritySettingsSource, listener: string, setting: string): string {
  return optionalListenerSetting(src, listener, setting) ?? src.string(setting);
}

/** `listener.name.<listener>.<setting>` only; undefined when that override is not set. */
export function optionalListenerSetting(src: SecuritySettingsSource, listener: string, setting: string): string | undefined {
  const prefix = `listener.name.${listener.toLowerCase()}.${setting}`.toLowerCase();
  for (const [k, v] of src.perListener) if (k.toLowerCase() === prefix) return v;
  return undefined;
}

/** The mapping rules of a listener, parsed now so a bad rule fails the start naming the listener. */
export function principalMapperOf(spec: Pick<ListenerSpec, 'name'>, src: SecuritySettingsSource): SslPrincipalMapper {
  try {
    return new SslPrincipalMapper(listenerSetting(src, spec.name, 'ssl.principal.mapping.rules'));
  } catch (err) {
    throw new SecurityConfigError(`listener ${spec.name}: ${(err as Error).message}`);
  }
}

/** A PLAINTEXT listener: no TLS, no SASL (every client is ANONYMOUS). */
export function plaintextListenerSecurity(spec: Pick<ListenerSpec, 'name' | 'protocol'>, src: SecuritySettingsSource): ListenerSecurity {
  return {
    name: spec.name,
    protocol: spec.protocol,
    tls: null,
    mechanisms: [],
    principalMapper: principalMapperOf(spec, src),
    reauthMs: Number(listenerSetting(src, spec.name, 'connections.max.reauth.ms')),
    failedAuthDelayMs: src.number('connection.failed.authentication.delay.ms'),
    newSaslServer(mechanism: string): SaslServer {
      throw new SecurityConfigError(`listener ${spec.name} is ${spec.protocol}: no SASL server for ${mechanism}`);
    },
  };
}

/**
 * Every listener's security, in order. TLS and SASL listeners are built by listener-security.ts, imported
 * only when one is configured; PLAINTEXT listeners need nothing from it.
 */
export async function listenerSecurities(
  specs: readonly Pick<ListenerSpec, 'name' | 'protocol'>[],
  src: SecuritySettingsSource,
  scram: ScramCredentialStore,
  warn: (message: string) => void,
  now: () => number,
): Promise<ListenerSecurity[]> {
  const secured = specs.some((s) => usesTls(s.protocol) || usesSasl(s.protocol));
  const full = secured ? await import('./listener-security.ts') : undefined;
  return specs.map((s) => (full ? full.buildListenerSecurity(s, src, scram, warn, now) : plaintextListenerSecurity(s, src)));
}
