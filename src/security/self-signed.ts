import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge, { type Certificate } from 'node-forge';

/**
 * Certificates for local testing (`kstream serve --tls-self-signed`, the tests): a private CA and
 * certificates it signs. node:crypto makes the RSA keys; node-forge writes the X.509 certificates,
 * which node:crypto cannot. Not for production: the CA key sits beside the certificates.
 */

export interface KeyAndCertificate {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM private key (PKCS#8, unencrypted). */
  readonly key: string;
}

export interface IssueOptions {
  readonly commonName: string;
  /** Extra subject attributes after CN, e.g. [{ shortName: 'O', value: 'Acme' }]. */
  readonly subject?: readonly { shortName: string; value: string }[];
  /** DNS names and IP addresses for subjectAltName (servers). */
  readonly hosts?: readonly string[];
  readonly days?: number;
  readonly now?: Date;
}

function rsaKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function validity(cert: Certificate, days: number, now: Date): void {
  // A minute of slack for clocks of clients on other machines.
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  // Positive serial: clear the top bit.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
}

/** A CA certificate and key (10 years by default). */
export function createCertificateAuthority(commonName = 'kstream local CA', days = 3650, now = new Date()): KeyAndCertificate {
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  validity(cert, days, now);
  const attrs = [{ shortName: 'CN', value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privatePem };
}

/** A certificate signed by `ca`, good for TLS servers (with `hosts`) and clients (mTLS) alike. */
export function issueCertificate(ca: KeyAndCertificate, opts: IssueOptions): KeyAndCertificate {
  const keys = rsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  validity(cert, opts.days ?? 825, opts.now ?? new Date());
  cert.setSubject([{ shortName: 'CN', value: opts.commonName }, ...(opts.subject ?? []).map((a) => ({ ...a }))]);
  cert.setIssuer(caCert.subject.attributes);
  const exts: Record<string, unknown>[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
  ];
  const hosts = opts.hosts ?? [];
  if (hosts.length > 0) {
    exts.push({ name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) });
  }
  cert.setExtensions(exts);
  cert.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privatePem };
}

/** True when `pem` is a certificate valid at `now` for at least another day. */
export function stillValid(pem: string, now = new Date()): boolean {
  try {
    const c = new X509Certificate(pem);
    return new Date(c.validTo).getTime() - now.getTime() > 86_400_000 && new Date(c.validFrom).getTime() <= now.getTime();
  } catch {
    return false;
  }
}

export interface LocalCertificates {
  /** The CA certificate clients trust (ssl.ca.location, kafkajs `ssl.ca`). */
  readonly caFile: string;
  /** Server certificate chain + key in one PEM file (ssl.keystore.location with ssl.keystore.type=PEM). */
  readonly keystoreFile: string;
  /** False when certificates from an earlier run were still valid for these hosts and reused. */
  readonly created: boolean;
}

/**
 * The certificates of `kstream serve --tls-self-signed` in `dir` (the data dir's tls/): reused while
 * valid and covering `hosts`, else a new CA and server certificate. Keys are written 0600.
 */
export async function ensureLocalCertificates(dir: string, hosts: readonly string[], now = new Date()): Promise<LocalCertificates> {
  const { mkdir, readFile, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const caFile = join(dir, 'ca.pem');
  const caKeyFile = join(dir, 'ca.key');
  const keystoreFile = join(dir, 'server.pem');
  try {
    const [caPem, serverPem] = await Promise.all([readFile(caFile, 'utf8'), readFile(keystoreFile, 'utf8')]);
    const server = new X509Certificate(serverPem);
    const covered = hosts.every((h) => (isIP(h) ? server.checkIP(h) !== undefined : server.checkHost(h) !== undefined));
    if (stillValid(caPem, now) && stillValid(serverPem, now) && covered && server.checkIssued(new X509Certificate(caPem))) {
      return { caFile, keystoreFile, created: false };
    }
  } catch {
    // Missing or unreadable: make new ones.
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = createCertificateAuthority('kstream local CA', 3650, now);
  const server = issueCertificate(ca, { commonName: hosts[0] ?? 'localhost', hosts, now });
  await writeFile(caKeyFile, ca.key, { mode: 0o600 });
  await writeFile(caFile, ca.cert);
  await writeFile(keystoreFile, server.cert + server.key, { mode: 0o600 });
  return { caFile, keystoreFile, created: true };
}
