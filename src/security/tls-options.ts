import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';

/** ssl.* settings of one listener, already resolved (listener.name.<l>.ssl.* over ssl.*). */
export interface SslSettings {
  get(name: string): string;
}

export class TlsConfigError extends Error {
  override name = 'TlsConfigError';
}

export type ClientAuth = 'none' | 'requested' | 'required';

export interface TlsServerOptions {
  readonly context: SecureContextOptions;
  readonly clientAuth: ClientAuth;
}

function readSetting(listener: string, name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsConfigError(`listener ${listener}: cannot read ${name} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

/**
 * node:tls options from Kafka's ssl.* settings: a PEM keystore (file with chain and key, or both
 * inline), or PKCS12; a PEM truststore for client certificates; ssl.client.auth; ssl.enabled.protocols.
 * Errors name the listener and the setting.
 */
export function tlsServerOptions(listener: string, s: SslSettings): TlsServerOptions {
  const ctx: { -readonly [K in keyof SecureContextOptions]: SecureContextOptions[K] } = {};
  const ksType = s.get('ssl.keystore.type');
  const location = s.get('ssl.keystore.location');
  const chain = s.get('ssl.keystore.certificate.chain');
  const key = s.get('ssl.keystore.key');
  const keyPassword = s.get('ssl.key.password');
  if (location === '' && chain === '') {
    throw new TlsConfigError(`listener ${listener} uses TLS but has no certificate: set ssl.keystore.type=PEM with ssl.keystore.location (or ssl.keystore.certificate.chain and ssl.keystore.key), or run kstream serve --tls-self-signed`);
  }
  if (ksType === 'JKS') {
    throw new TlsConfigError(`listener ${listener}: ssl.keystore.type=JKS is Java-only; set ssl.keystore.type=PEM (or PKCS12) — convert with: keytool -importkeystore -srckeystore ks.jks -destkeystore ks.p12 -deststoretype PKCS12`);
  }
  if (ksType === 'PKCS12') {
    if (location === '') throw new TlsConfigError(`listener ${listener}: ssl.keystore.type=PKCS12 needs ssl.keystore.location`);
    ctx.pfx = readSetting(listener, 'ssl.keystore.location', location);
    ctx.passphrase = s.get('ssl.keystore.password');
  } else if (chain !== '') {
    if (key === '') throw new TlsConfigError(`listener ${listener}: ssl.keystore.certificate.chain needs ssl.keystore.key`);
    ctx.cert = chain;
    ctx.key = key;
    if (keyPassword !== '') ctx.passphrase = keyPassword;
  } else {
    // Kafka's PEM keystore file holds the private key and the certificate chain in one file.
    const pem = readSetting(listener, 'ssl.keystore.location', location).toString('utf8');
    if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw new TlsConfigError(`listener ${listener}: ssl.keystore.location ${location} holds no PEM certificate`);
    if (!/-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/.test(pem)) throw new TlsConfigError(`listener ${listener}: ssl.keystore.location ${location} holds no PEM private key`);
    ctx.cert = pem;
    ctx.key = pem;
    if (keyPassword !== '') ctx.passphrase = keyPassword;
  }
  const tsType = s.get('ssl.truststore.type');
  const tsLocation = s.get('ssl.truststore.location');
  const tsInline = s.get('ssl.truststore.certificates');
  if (tsLocation !== '' || tsInline !== '') {
    if (tsType === 'JKS' && tsInline === '' && !/\.(pem|crt|cer)$/i.test(tsLocation)) {
      throw new TlsConfigError(`listener ${listener}: ssl.truststore.type=JKS is Java-only; set ssl.truststore.type=PEM with a PEM file of CA certificates`);
    }
    if (tsType === 'PKCS12') throw new TlsConfigError(`listener ${listener}: PKCS12 truststores are not supported; use ssl.truststore.type=PEM`);
    ctx.ca = tsInline !== '' ? tsInline : readSetting(listener, 'ssl.truststore.location', tsLocation);
  }
  const versions = s.get('ssl.enabled.protocols').split(',').map((v) => v.trim()).filter((v) => v !== '');
  const known = versions.filter((v): v is (typeof TLS_VERSIONS)[number] => (TLS_VERSIONS as readonly string[]).includes(v));
  if (known.length === 0) throw new TlsConfigError(`listener ${listener}: ssl.enabled.protocols names no TLS version this broker knows (${TLS_VERSIONS.join(', ')})`);
  const order = (v: string) => TLS_VERSIONS.indexOf(v as (typeof TLS_VERSIONS)[number]);
  known.sort((a, b) => order(a) - order(b));
  ctx.minVersion = known[0];
  ctx.maxVersion = known[known.length - 1];
  const clientAuth = s.get('ssl.client.auth') as ClientAuth;
  if (clientAuth !== 'none' && ctx.ca === undefined) {
    throw new TlsConfigError(`listener ${listener}: ssl.client.auth=${clientAuth} needs a truststore (ssl.truststore.type=PEM with ssl.truststore.location) to check client certificates against`);
  }
  return { context: ctx, clientAuth };
}
