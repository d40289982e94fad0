/**
 * The slice of node-forge's API that self-signed.ts uses (node-forge ships no types, and one
 * dependency is all the project takes for certificate generation).
 */
declare module 'node-forge' {
  export interface ForgeKey {
    readonly __forgeKey: unique symbol;
  }
  export interface CertificateAttribute {
    name?: string;
    shortName?: string;
    value: string;
  }
  export interface Certificate {
    publicKey: ForgeKey;
    serialNumber: string;
    validity: { notBefore: Date; notAfter: Date };
    setSubject(attrs: CertificateAttribute[]): void;
    setIssuer(attrs: CertificateAttribute[]): void;
    setExtensions(exts: Record<string, unknown>[]): void;
    sign(key: ForgeKey, md: unknown): void;
    subject: { attributes: CertificateAttribute[] };
  }
  const forge: {
    pki: {
      createCertificate(): Certificate;
      certificateToPem(cert: Certificate): string;
      certificateFromPem(pem: string): Certificate;
      privateKeyFromPem(pem: string): ForgeKey;
      publicKeyFromPem(pem: string): ForgeKey;
    };
    md: { sha256: { create(): unknown } };
  };
  export default forge;
}
