/**
 * Inter-broker security settings, as Kafka's KafkaConfig validates them: which listener peers use,
 * which SASL mechanism and whose login, which CA and certificate — every mistake refused at start
 * with Kafka's message (or one naming the setting to fix).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BrokerConfig } from '../../src/broker/config.ts';
import { buildInterBrokerSecurity } from '../../src/security/inter-broker.ts';
import { interBrokerListener } from '../../src/security/inter-broker-listener.ts';
import { makePki, type TestPki } from './pki.ts';

let pki: TestPki;
beforeAll(async () => {
  pki = await makePki();
});

const login = (mech: string, user: string, password: string) =>
  `org.apache.kafka.common.security.${mech}.${mech === 'plain' ? 'PlainLoginModule' : 'ScramLoginModule'} required username="${user}" password="${password}";`;

function resolve(settings: Record<string, string>, clusterMode = true) {
  const config = new BrokerConfig(settings);
  return buildInterBrokerSecurity(config, interBrokerListener(config, config.listenerSpecs()), clusterMode);
}

describe('inter-broker listener and security', () => {
  it('refuses inter.broker.listener.name together with security.inter.broker.protocol (Kafka\'s message)', () => {
    expect(() => resolve({ listeners: 'PLAINTEXT://127.0.0.1:0', 'inter.broker.listener.name': 'PLAINTEXT', 'security.inter.broker.protocol': 'PLAINTEXT' })).toThrow(
      'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.',
    );
  });

  it('security.inter.broker.protocol names the listener of that name; missing → Kafka\'s message with the valid options', () => {
    expect(() => resolve({ listeners: 'SASL_SSL://127.0.0.1:0', 'security.inter.broker.protocol': 'SSL' })).toThrow(
      'inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are SASL_SSL',
    );
    const r = resolve({ listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'security.inter.broker.protocol': 'SSL', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pki.serverKeystore, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': pki.caFile });
    expect(r.listenerName).toBe('SSL');
    expect(r.client.protocol).toBe('SSL');
    expect(r.client.tls?.ca?.toString()).toBe(readFileSync(pki.caFile, 'utf8'));
    // The listener's PEM keystore is presented to peers that ask (mTLS), and host names are checked.
    expect(r.client.tls?.cert).toBeDefined();
    expect(r.client.tls?.checkHostname).toBe(true);
  });

  it('neither set: the PLAINTEXT listener when there is one, else the first', () => {
    expect(resolve({ listeners: 'SASL_SSL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pki.serverKeystore }).listenerName).toBe('PLAINTEXT');
    expect(resolve({ listeners: 'INTERNAL://127.0.0.1:0', 'listener.security.protocol.map': 'INTERNAL:PLAINTEXT' }).listenerName).toBe('INTERNAL');
  });

  it('SASL: the mechanism must be enabled on the listener (Kafka\'s message), the login comes from the listener\'s JAAS', () => {
    const base = { listeners: 'BROKERS://127.0.0.1:0', 'listener.security.protocol.map': 'BROKERS:SASL_PLAINTEXT', 'inter.broker.listener.name': 'BROKERS' };
    expect(() => resolve(base)).toThrow(/^sasl\.mechanism\.inter\.broker\.protocol must be included in sasl\.enabled\.mechanisms when SASL is used for inter-broker communication/);
    expect(() => resolve({ ...base, 'sasl.mechanism.inter.broker.protocol': 'PLAIN' })).toThrow(/needs this broker's credentials: set listener\.name\.brokers\.plain\.sasl\.jaas\.config/);
    expect(() => resolve({ ...base, 'sasl.mechanism.inter.broker.protocol': 'PLAIN', 'listener.name.brokers.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";' })).toThrow(
      /needs username="…" and password="…" in listener\.name\.brokers\.plain\.sasl\.jaas\.config/,
    );
    const scram = resolve({ ...base, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-256', 'listener.name.brokers.scram-sha-256.sasl.jaas.config': login('scram', 'broker', 's3cret') });
    expect(scram.client).toEqual({ protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: 'broker', password: 's3cret' } });
    expect(scram.description).toBe('BROKERS (SASL_PLAINTEXT), SASL SCRAM-SHA-256 as broker');
    expect(scram.description).not.toContain('s3cret');
  });

  it('TLS without a truststore uses the default roots; ssl.endpoint.identification.algorithm="" turns the host name check off', () => {
    const r = resolve({
      listeners: 'SSL://127.0.0.1:0', 'security.inter.broker.protocol': 'SSL', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pki.serverKeystore, 'ssl.endpoint.identification.algorithm': '',
    });
    expect(r.client.tls?.ca).toBeUndefined();
    expect(r.client.tls?.checkHostname).toBe(false);
  });

  it('nothing set and the implied listener needs a SASL login: a start-up warning, not a refusal; a single node needs nothing', () => {
    const settings = { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";' };
    const r = resolve(settings);
    expect(r.warning).toMatch(/inter-broker connections use listener SASL_PLAINTEXT .* because no inter-broker setting is given, but sasl\.mechanism\.inter\.broker\.protocol must be included/);
    expect(resolve(settings, false).warning).toBeUndefined();
    // Set explicitly, the same mistake refuses the start.
    expect(() => resolve({ ...settings, 'security.inter.broker.protocol': 'SASL_PLAINTEXT' })).toThrow(/must be included in sasl\.enabled\.mechanisms/);
  });
});
