import { parseJaasConfig, plainUsers } from './jaas.ts';
import { usesSasl, usesTls, type ListenerSpec, type SecurityProtocol } from './listeners.ts';
import { PlainSaslServer } from './plain-server.ts';
import { DEFAULT_UNSECURED_VALIDATOR, OAuthBearerSaslServer } from './oauthbearer-server.ts';
import { SslPrincipalMapper } from './principal.ts';
import type { CredentialLookup, SaslServer } from './sasl-server.ts';
import { scramMechanismByName } from './scram.ts';
import type { ScramCredentialStore } from './scram-credential-store.ts';
import { ScramSaslServer } from './scram-server.ts';
import { tlsServerOptions, type TlsServerOptions } from './tls-options.ts';

export const SUPPORTED_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

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
  const prefix = `listener.name.${listener.toLowerCase()}.${setting}`;
  for (const [k, v] of src.perListener) if (k.toLowerCase() === prefix.toLowerCase()) return v;
  return src.string(setting);
}

function optionalListenerSetting(src: SecuritySettingsSource, listener: string, setting: string): string | undefined {
  const prefix = `listener.name.${listener.toLowerCase()}.${setting}`;
  for (const [k, v] of src.perListener) if (k.toLowerCase() === prefix.toLowerCase()) return v;
  return undefined;
}

/**
 * Builds a listener's security from the settings: reads PEM files, parses JAAS users and mapping
 * rules, so every mistake is reported at start-up naming the listener and the setting.
 */
export function buildListenerSecurity(
  spec: Pick<ListenerSpec, 'name' | 'protocol'>,
  src: SecuritySettingsSource,
  scram: ScramCredentialStore,
  warn: (message: string) => void = () => {},
  now: () => number = Date.now,
): ListenerSecurity {
  const get = (s: string) => listenerSetting(src, spec.name, s);
  const tls = usesTls(spec.protocol) ? tlsServerOptions(spec.name, { get }) : null;
  let principalMapper: SslPrincipalMapper;
  try {
    principalMapper = new SslPrincipalMapper(get('ssl.principal.mapping.rules'));
  } catch (err) {
    throw new SecurityConfigError(`listener ${spec.name}: ${(err as Error).message}`);
  }
  const mechanisms: string[] = [];
  const plain = new Map<string, string>();
  if (usesSasl(spec.protocol)) {
    for (const raw of get('sasl.enabled.mechanisms').split(',')) {
      const m = raw.trim().toUpperCase();
      if (m === '') continue;
      if (!(SUPPORTED_MECHANISMS as readonly string[]).includes(m)) {
        throw new SecurityConfigError(`listener ${spec.name}: SASL mechanism ${m} is not supported (sasl.enabled.mechanisms may name ${SUPPORTED_MECHANISMS.join(', ')})`);
      }
      if (!mechanisms.includes(m)) mechanisms.push(m);
    }
    if (mechanisms.length === 0) throw new SecurityConfigError(`listener ${spec.name} is ${spec.protocol} but sasl.enabled.mechanisms is empty`);
    if (mechanisms.includes('PLAIN')) {
      const jaasText = optionalListenerSetting(src, spec.name, 'plain.sasl.jaas.config') ?? get('sasl.jaas.config');
      if (jaasText.trim() === '') {
        warn(`listener ${spec.name}: SASL/PLAIN has no users (set listener.name.${spec.name.toLowerCase()}.plain.sasl.jaas.config with user_<name>="<password>")`);
      } else {
        try {
          for (const [u, p] of plainUsers(parseJaasConfig(jaasText))) plain.set(u, p);
        } catch (err) {
          throw new SecurityConfigError(`listener ${spec.name}: ${(err as Error).message}`);
        }
      }
    }
  }
  let oauth = DEFAULT_UNSECURED_VALIDATOR;
  if (mechanisms.includes('OAUTHBEARER')) {
    const jaasText = optionalListenerSetting(src, spec.name, 'oauthbearer.sasl.jaas.config') ?? get('sasl.jaas.config');
    if (jaasText.trim() !== '') {
      try {
        const o = parseJaasConfig(jaasText).options;
        const skew = Number(o.get('unsecuredValidatorAllowableClockSkewMs') ?? '0');
        if (!Number.isInteger(skew) || skew < 0) throw new Error('unsecuredValidatorAllowableClockSkewMs must be a non-negative integer');
        oauth = {
          principalClaimName: o.get('unsecuredValidatorPrincipalClaimName') || 'sub',
          scopeClaimName: o.get('unsecuredValidatorScopeClaimName') || 'scope',
          requiredScope: (o.get('unsecuredValidatorRequiredScope') ?? '').split(/[ ,]+/).filter((x) => x !== ''),
          allowableClockSkewMs: skew,
        };
      } catch (err) {
        throw new SecurityConfigError(`listener ${spec.name}: OAUTHBEARER: ${(err as Error).message}`);
      }
    }
    warn(`listener ${spec.name}: OAUTHBEARER uses Kafka's unsecured JWS validator: anyone can mint a token (development only)`);
  }
  const users: CredentialLookup = {
    plainPassword: (u) => plain.get(u),
    scramCredential: (m, u) => scram.get(m, u),
  };
  return {
    name: spec.name,
    protocol: spec.protocol,
    tls,
    mechanisms,
    principalMapper,
    reauthMs: Number(get('connections.max.reauth.ms')),
    failedAuthDelayMs: src.number('connection.failed.authentication.delay.ms'),
    newSaslServer(mechanism: string): SaslServer {
      if (mechanism === 'PLAIN') return new PlainSaslServer(users);
      if (mechanism === 'OAUTHBEARER') return new OAuthBearerSaslServer(oauth, now);
      const scramMech = scramMechanismByName(mechanism);
      if (scramMech) return new ScramSaslServer(scramMech, users);
      throw new SecurityConfigError(`no SASL server for ${mechanism}`);
    },
  };
}
