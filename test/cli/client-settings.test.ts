import { describe, expect, it } from 'vitest';
import { parseProperties } from '../../src/cli/client-properties.ts';
import { resolveClientSettings } from '../../src/cli/connect.ts';
import { checkProfileFile, configFilePath, selectProfile } from '../../src/cli/profiles.ts';

/** The layers behind every client command: profile < KSTREAM_BOOTSTRAP_SERVER < -X < flags. */

describe('client properties (-X)', () => {
  it('kcat aliases map to the names kstream honours; later values win', () => {
    expect(parseProperties(['compression.codec=lz4', 'request.required.acks=1', 'queue.buffering.max.ms=7', 'metadata.broker.list=h:1', 'linger.ms=9'])).toEqual({
      compression: 'lz4',
      acks: 1,
      lingerMs: 9,
      bootstrapServers: 'h:1',
    });
    expect(parseProperties(['enable.idempotence=FALSE', 'check.crcs=true', 'acks=all'])).toEqual({ idempotence: false, checkCrcs: true, acks: -1 });
  });

  it('refuses what it cannot honour, naming the key', () => {
    expect(() => parseProperties(['fetch.wait.max.ms=5'])).toThrow(/unknown client property "fetch\.wait\.max\.ms"/);
    expect(() => parseProperties(['sasl.mechanism=KERBEROS'])).toThrow(/-X sasl\.mechanism: "KERBEROS" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER/);
    expect(() => parseProperties(['ssl.truststore.type=JKS'])).toThrow(/reads PEM files only/);
    expect(() => parseProperties(['batch.size=0'])).toThrow(/-X batch\.size: "0" is not an integer ≥ 1/);
    expect(() => parseProperties(['=x'])).toThrow(/is not key=value/);
  });
});

describe('profiles and precedence', () => {
  const file = checkProfileFile('/cfg.yaml', {
    'default-profile': 'a',
    profiles: { a: { 'bootstrap-servers': ['h1:1', 'h2:2'], properties: { 'client.id': 'pa', 'request.timeout.ms': 5000 } }, b: null },
  });

  it('reads lists, checks names, picks explicit over default', () => {
    expect(selectProfile(file, undefined)).toEqual({ name: 'a', props: { bootstrapServers: 'h1:1,h2:2', clientId: 'pa', requestTimeoutMs: 5000 } });
    expect(selectProfile(file, 'b')).toEqual({ name: 'b', props: {} });
    expect(() => selectProfile(file, 'c')).toThrow('profile "c" is not in /cfg.yaml (profiles: a, b)');
    expect(selectProfile(null, undefined)).toEqual({ name: null, props: {} });
    expect(() => checkProfileFile('/x', { profiles: { p: { properties: { 'client.id': { nested: 1 } } } } })).toThrow(/property "client\.id" must be a single value/);
  });

  it('XDG_CONFIG_HOME, then HOME/.config; KSTREAM_CONFIG overrides both', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/kstream/config.yaml');
    expect(configFilePath({ HOME: '/h' })).toBe('/h/.config/kstream/config.yaml');
    expect(configFilePath({ KSTREAM_CONFIG: '/c.yaml', XDG_CONFIG_HOME: '/x' })).toBe('/c.yaml');
  });

  it('flags beat -X, -X beats the environment, which beats defaults', () => {
    const env = { KSTREAM_BOOTSTRAP_SERVER: 'env:1' };
    expect(resolveClientSettings({}, {})).toMatchObject({ bootstrapServers: '127.0.0.1:9092', clientId: 'kstream', requestTimeoutMs: 30000, connectTimeoutMs: 10000, profile: null });
    expect(resolveClientSettings({}, env).bootstrapServers).toBe('env:1');
    expect(resolveClientSettings({ property: ['bootstrap.servers=x:1'] }, env).bootstrapServers).toBe('x:1');
    expect(resolveClientSettings({ 'bootstrap-server': 'f:1', property: ['bootstrap.servers=x:1'] }, env).bootstrapServers).toBe('f:1');
    expect(resolveClientSettings({ 'client-id': 'flag', property: ['client.id=x'] }, {}).clientId).toBe('flag');
    expect(resolveClientSettings({ property: ['request.timeout.ms=4000'] }, {})).toMatchObject({ requestTimeoutMs: 4000, connectTimeoutMs: 4000 });
  });
});
