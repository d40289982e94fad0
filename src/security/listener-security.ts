/**
 * Builds the security of TLS and SASL listeners (PLAINTEXT ones: listener-settings.ts, which imports this
 * module only when such a listener is configured).
 */
import { parseJaasConfig, plainUsers } from './jaas.ts';
import { listenerSetting, optionalListenerSetting, principalMapperOf, SecurityConfigError, type ListenerSecurity, type SecuritySettingsSource } from './listener-settings.ts';
import { usesSasl, usesTls, type ListenerSpec } from './listeners.ts';
import { PlainSaslServer } from './plain-server.ts';
import { DEFAULT_UNSECURED_VALIDATOR, OAuthBearerSaslServer } from './oauthbearer-server.ts';
import type { CredentialLookup, SaslServer } from './sasl-server.ts';
import { scramMechanismByName } from './scram.ts';
import type { ScramCredentialStore } from './scram-credential-store.ts';
import { ScramSaslServer } from './scram-server.ts';
import { tlsServerOptions } from './tls-options.ts';

export const SUPPORTED_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

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
  const principalMapper = principalMapperOf(spec, src);
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
