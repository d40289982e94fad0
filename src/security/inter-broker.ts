/**
 * How this broker connects to the other brokers of its cluster (replica fetchers, WriteTxnMarkers):
 * Kafka's `inter.broker.listener.name` / `security.inter.broker.protocol` (one or the other) pick the
 * listener; its protocol decides TLS and SASL; `sasl.mechanism.inter.broker.protocol` the mechanism.
 * The credentials are the listener's own, as Kafka's broker-side login takes them: the `username` /
 * `password` options of `listener.name.<l>.<mechanism>.sasl.jaas.config` (else `sasl.jaas.config`);
 * TLS trusts the listener's truststore and presents its keystore (mTLS peers). The registration in the
 * metadata store carries this listener's advertised address, so peers dial exactly that listener.
 *
 * Pure apart from reading the PEM files named by the settings: every mistake is found at start-up.
 */
import { readFileSync } from 'node:fs';
import type { ClientSecurity, ClientTlsOptions } from '../client/security.ts';
import { parseJaasConfig } from './jaas.ts';
import { listenerSetting } from './listener-settings.ts';
import { INTER_BROKER_SETTINGS, InterBrokerConfigError, singleNodeInterBroker, type InterBrokerSettingsSource } from './inter-broker-listener.ts';
import { usesSasl, usesTls, type ListenerSpec, type SecurityProtocol } from './listeners.ts';
import { unsecuredJws } from './oauthbearer-client.ts';

export interface InterBrokerSecurity {
  /** The listener other brokers reach this one on (and whose address is registered). */
  readonly listenerName: string;
  readonly protocol: SecurityProtocol;
  /** How this broker's own connections to its peers are secured (our client's settings). */
  readonly client: ClientSecurity;
  /** For log lines: protocol, mechanism and user (never a secret). */
  readonly description: string;
  /**
   * Set when no inter-broker setting was given and the implied listener cannot be used as is (e.g.
   * its SASL has no broker login): the broker warns at start instead of refusing, so a one-broker
   * cluster or an existing config keeps starting; connections to peers then fail with this reason.
   */
  readonly warning?: string;
}

/**
 * Builds the client side of inter-broker connections for `listener`. `clusterMode` false (a single
 * node makes no inter-broker connections): Kafka's SASL checks are skipped, PLAINTEXT is returned as
 * it would never be used. Errors name the setting to fix.
 */
export function buildInterBrokerSecurity(src: InterBrokerSettingsSource, listener: Pick<ListenerSpec, 'name' | 'protocol'>, clusterMode: boolean): InterBrokerSecurity {
  try {
    return build(src, listener, clusterMode);
  } catch (err) {
    const explicit = INTER_BROKER_SETTINGS.some((name) => src.setValue(name) !== null);
    if (explicit || !(err instanceof InterBrokerConfigError)) throw err;
    const warning = `inter-broker connections use listener ${listener.name} (${listener.protocol}) because no inter-broker setting is given, but ${err.message}; set security.inter.broker.protocol or inter.broker.listener.name and sasl.mechanism.inter.broker.protocol`;
    return { listenerName: listener.name, protocol: listener.protocol, client: { protocol: listener.protocol }, description: `${listener.name} (${listener.protocol}), unusable`, warning };
  }
}

function build(src: InterBrokerSettingsSource, listener: Pick<ListenerSpec, 'name' | 'protocol'>, clusterMode: boolean): InterBrokerSecurity {
  const protocol = listener.protocol;
  const get = (s: string) => listenerSetting(src, listener.name, s);
  if (!clusterMode) return singleNodeInterBroker(listener);
  const client: { -readonly [K in keyof ClientSecurity]: ClientSecurity[K] } = { protocol };
  let description = `${listener.name} (${protocol})`;
  if (usesTls(protocol)) client.tls = clientTls(listener.name, get);
  if (usesSasl(protocol)) {
    const mechanism = src.string('sasl.mechanism.inter.broker.protocol').trim().toUpperCase();
    const enabled = get('sasl.enabled.mechanisms').split(',').map((m) => m.trim().toUpperCase()).filter((m) => m !== '');
    if (!enabled.includes(mechanism)) {
      throw new InterBrokerConfigError(
        `sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication (it is ${mechanism}; listener ${listener.name} enables ${enabled.join(', ') || 'none'})`,
      );
    }
    const setting = `listener.name.${listener.name.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
    const jaasText = src.perListener.get(setting) ?? [...src.perListener].find(([k]) => k.toLowerCase() === setting)?.[1] ?? src.string('sasl.jaas.config');
    if (jaasText.trim() === '') {
      throw new InterBrokerConfigError(`inter-broker SASL/${mechanism} on listener ${listener.name} needs this broker's credentials: set ${setting} with username="…" password="…"`);
    }
    let options: ReadonlyMap<string, string>;
    try {
      options = parseJaasConfig(jaasText, setting).options;
    } catch (err) {
      throw new InterBrokerConfigError((err as Error).message);
    }
    if (mechanism === 'OAUTHBEARER') {
      // Kafka's unsecured login handler: the principal from unsecuredLoginStringClaim_sub.
      const principal = options.get('unsecuredLoginStringClaim_sub');
      if (!principal) throw new InterBrokerConfigError(`inter-broker SASL/OAUTHBEARER on listener ${listener.name} needs unsecuredLoginStringClaim_sub="<principal>" in ${setting}`);
      client.sasl = { mechanism: 'OAUTHBEARER', token: async () => unsecuredJws({ principal }) };
      description += `, SASL OAUTHBEARER as ${principal}`;
    } else {
      const username = options.get('username');
      const password = options.get('password');
      if (username === undefined || password === undefined) {
        throw new InterBrokerConfigError(`inter-broker SASL/${mechanism} on listener ${listener.name} needs username="…" and password="…" in ${setting} (this broker's own login)`);
      }
      client.sasl = { mechanism: mechanism as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username, password };
      description += `, SASL ${mechanism} as ${username}`;
    }
  }
  return { listenerName: listener.name, protocol, client, description };
}

/**
 * TLS client options from the listener's ssl.* settings: its truststore is what peers' certificates
 * must chain to (Node's default roots when it has none, as the JVM's default truststore), its PEM
 * keystore is presented to peers that ask for a certificate, and
 * `ssl.endpoint.identification.algorithm` ('' = off, Kafka's https default = on) checks host names.
 */
function clientTls(listener: string, get: (s: string) => string): ClientTlsOptions {
  const read = (setting: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new InterBrokerConfigError(`listener ${listener}: cannot read ${setting} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const tls: { -readonly [K in keyof ClientTlsOptions]: ClientTlsOptions[K] } = {};
  const tsInline = get('ssl.truststore.certificates');
  const tsLocation = get('ssl.truststore.location');
  if (tsInline !== '') tls.ca = tsInline;
  else if (tsLocation !== '') tls.ca = read('ssl.truststore.location', tsLocation);
  if (get('ssl.keystore.type') !== 'PKCS12') {
    const chain = get('ssl.keystore.certificate.chain');
    const location = get('ssl.keystore.location');
    if (chain !== '') {
      tls.cert = chain;
      tls.key = get('ssl.keystore.key');
    } else if (location !== '') {
      const pem = read('ssl.keystore.location', location);
      tls.cert = pem;
      tls.key = pem;
    }
    const keyPassword = get('ssl.key.password');
    if (keyPassword !== '' && tls.key !== undefined) tls.keyPassword = keyPassword;
  }
  tls.checkHostname = get('ssl.endpoint.identification.algorithm').trim() !== '';
  return tls;
}
