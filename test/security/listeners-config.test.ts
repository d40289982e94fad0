import { describe, expect, it } from 'vitest';
import { brokerConfigEntries } from '../../src/broker/described-configs.ts';
import { buildConfig } from '../../src/broker/config.ts';
import { parseJaasConfig, plainUsers } from '../../src/security/jaas.ts';
import { resolveListeners } from '../../src/security/listeners.ts';
import { buildListenerSecurity } from '../../src/security/listener-security.ts';
import { ScramCredentialStore } from '../../src/security/scram-credential-store.ts';

const base = { advertisedListeners: '', protocolMap: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', interBrokerListenerName: '' };

describe('listener settings', () => {
  it('several listeners, custom names through the protocol map, advertised per listener', () => {
    const l = resolveListeners({
      ...base,
      listeners: 'PLAINTEXT://127.0.0.1:9092,internal://:9093,[::1]:9094'.replace(',[::1]:9094', ',EXTERNAL://[::1]:9094'),
      advertisedListeners: 'EXTERNAL://kafka.example:19094',
      protocolMap: `${base.protocolMap},INTERNAL:SASL_SSL,EXTERNAL:SSL`,
      interBrokerListenerName: 'internal',
    });
    expect(l).toEqual([
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, protocol: 'PLAINTEXT', advertised: null },
      { name: 'INTERNAL', host: '', port: 9093, protocol: 'SASL_SSL', advertised: null },
      { name: 'EXTERNAL', host: '::1', port: 9094, protocol: 'SSL', advertised: { host: 'kafka.example', port: 19094 } },
    ]);
  });

  it('errors name the setting and the listener', () => {
    expect(() => resolveListeners({ ...base, listeners: 'FOO://h:1' })).toThrow(/listener FOO has no security protocol/);
    expect(() => resolveListeners({ ...base, listeners: 'PLAINTEXT://h:1,PLAINTEXT://h:2' })).toThrow(/PLAINTEXT appears more than once/);
    expect(() => resolveListeners({ ...base, listeners: 'PLAINTEXT://h:1,SSL://h:1' })).toThrow(/PLAINTEXT and SSL both use port 1/);
    expect(() => resolveListeners({ ...base, listeners: 'PLAINTEXT://h:1', advertisedListeners: 'SSL://x:2' })).toThrow(/advertised\.listeners: SSL is not one of the listeners/);
    expect(() => resolveListeners({ ...base, listeners: 'PLAINTEXT://h:1', interBrokerListenerName: 'SSL' })).toThrow(/inter\.broker\.listener\.name: SSL/);
    expect(() => resolveListeners({ ...base, listeners: 'PLAINTEXT://h:1', protocolMap: 'PLAINTEXT:TLS' })).toThrow(/unknown security protocol TLS/);
  });

  it('listener.name.<l>.* settings are validated and win over the plain setting', () => {
    const c = buildConfig({ extra: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'SCRAM-SHA-512', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'x required;' } });
    const sec = buildListenerSecurity(c.listenerSpecs()[0]!, c, ScramCredentialStore.inMemory());
    expect(sec.mechanisms).toEqual(['SCRAM-SHA-512']);
    expect(() => buildConfig({ extra: { 'listener.name.ssl.ssl.client.auth': 'sometimes' } })).toThrow(/^listener\.name\.ssl\.ssl\.client\.auth: Invalid value sometimes for configuration ssl\.client\.auth: String must be one of: none, requested, required$/);
    expect(() => buildConfig({ extra: { 'listener.name.ssl.ssl.nope': 'x' } })).toThrow(/unknown broker setting "ssl\.nope" for listener ssl/);
  });

  it('TLS and SASL mistakes are refused at start-up, naming the listener and the setting', () => {
    const store = ScramCredentialStore.inMemory();
    const build = (extra: Record<string, string>) => {
      const c = buildConfig({ extra });
      return buildListenerSecurity(c.listenerSpecs()[0]!, c, store);
    };
    expect(() => build({ listeners: 'SSL://127.0.0.1:0' })).toThrow(/listener SSL uses TLS but has no certificate/);
    expect(() => build({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': '/nonexistent.jks' })).toThrow(/ssl\.keystore\.type=JKS is Java-only/);
    expect(() => build({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': '/nonexistent.pem' })).toThrow(/listener SSL: cannot read ssl\.keystore\.location \/nonexistent\.pem: ENOENT/);
    expect(() => build({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'GSSAPI' })).toThrow(/SASL mechanism GSSAPI is not supported/);
    expect(() => build({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.jaas.config': 'org.Foo required user_a="b"' })).toThrow(/missing the closing ";"/);
    expect(() => build({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.jaas.config': 'x required;', 'ssl.principal.mapping.rules': 'RULE:x' })).toThrow(/ssl\.principal\.mapping\.rules/);
  });
});

describe('JAAS config', () => {
  it('reads PlainLoginModule users, quoted and escaped values', () => {
    const e = parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required\n  username="admin" password="a\\"b" user_admin="a\\"b" user_bob=plain-pw ;');
    expect(e.loginModule).toBe('org.apache.kafka.common.security.plain.PlainLoginModule');
    expect([...plainUsers(e)]).toEqual([['admin', 'a"b'], ['bob', 'plain-pw']]);
    expect(() => parseJaasConfig('user_a="b";')).toThrow(/expected "<LoginModule class> required/);
  });
});

describe('DescribeConfigs of security settings', () => {
  it('PASSWORD settings are described as sensitive with no value, in the entry and its synonyms (Kafka\'s ConfigHelper)', () => {
    const c = buildConfig({ extra: { 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";', 'ssl.client.auth': 'required' } });
    const entries = brokerConfigEntries(c, 'broker');
    const jaas = entries.find((e) => e.name === 'sasl.jaas.config')!;
    expect(jaas).toMatchObject({ isSensitive: true, value: null, configSource: 4 });
    expect(jaas.synonyms.length).toBeGreaterThan(0);
    for (const syn of jaas.synonyms) expect(syn.value).toBeNull();
    expect(JSON.stringify(entries)).not.toContain('alice-secret');
    expect(entries.find((e) => e.name === 'ssl.client.auth')).toMatchObject({ isSensitive: false, value: 'required' });
  });
});
