/**
 * Test PKI: a private CA, a server certificate for localhost/127.0.0.1 and a client certificate for
 * mTLS, written as PEM files into a temp dir (removed by the broker helpers' closeAll()).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate, type KeyAndCertificate } from '../../src/security/self-signed.ts';
import { tempDir } from '../helpers/index.ts';

export interface TestPki {
  readonly dir: string;
  readonly ca: KeyAndCertificate;
  /** CA certificate file (truststore / ssl.ca.location). */
  readonly caFile: string;
  /** Server certificate and key in one PEM file (Kafka's PEM keystore). */
  readonly serverKeystore: string;
  readonly client: KeyAndCertificate;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

export async function makePki(): Promise<TestPki> {
  const dir = await tempDir('kstream-pki-');
  const ca = createCertificateAuthority('kstream test CA');
  const server = issueCertificate(ca, { commonName: 'localhost', hosts: ['localhost', '127.0.0.1'] });
  const client = issueCertificate(ca, { commonName: 'alice', subject: [{ shortName: 'OU', value: 'eng' }, { shortName: 'O', value: 'Acme' }] });
  const caFile = join(dir, 'ca.pem');
  const serverKeystore = join(dir, 'server.pem');
  const clientCertFile = join(dir, 'client.crt');
  const clientKeyFile = join(dir, 'client.key');
  await writeFile(caFile, ca.cert);
  await writeFile(serverKeystore, server.cert + server.key);
  await writeFile(clientCertFile, client.cert);
  await writeFile(clientKeyFile, client.key);
  return { dir, ca, caFile, serverKeystore, client, clientCertFile, clientKeyFile };
}

export const JAAS_PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

/** Broker settings for four listeners at once, every protocol; first is PLAINTEXT (startTestBroker binds it on 127.0.0.1:0). */
export function fourListeners(pki: TestPki): Record<string, string> {
  return {
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': pki.serverKeystore,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': pki.caFile,
    'listener.name.ssl.ssl.client.auth': 'required',
    'sasl.jaas.config': JAAS_PLAIN,
    'connection.failed.authentication.delay.ms': '10',
  };
}
