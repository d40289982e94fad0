/**
 * Principals from TLS client certificates, as Kafka's DefaultKafkaPrincipalBuilder and
 * SslPrincipalMapper: the certificate subject as Java's X500Principal.getName(RFC2253) prints it
 * (`CN=alice,OU=eng,O=Acme,C=US`: last RDN first), then `ssl.principal.mapping.rules`.
 */

export const ANONYMOUS = 'User:ANONYMOUS';

/** The attribute types Java's RFC 2253 output names by keyword; others print as `OID=#hex`. */
const KEYWORDS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

interface Tlv {
  tag: number;
  start: number; // first byte of the TLV
  valueStart: number;
  end: number;
}

function readTlv(buf: Buffer, at: number): Tlv {
  if (at + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) throw new Error('truncated DER');
  return { tag, start: at, valueStart: p, end: p + len };
}

function children(buf: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.valueStart; p < t.end; ) {
    const c = readTlv(buf, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

function oidToString(bytes: Buffer): string {
  const parts: number[] = [];
  let v = 0;
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

/** RFC 2253 §2.4 escaping, as Java's X500Name does it for string values. */
export function escapeRfc2253(value: string): string {
  let out = value.replace(/[,+"\\<>;]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

function decodeString(tag: number, bytes: Buffer): string | null {
  switch (tag) {
    case 0x0c: // UTF8String
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString (latin-1 in practice)
      return tag === 0x0c ? bytes.toString('utf8') : bytes.toString('latin1');
    case 0x1e: // BMPString: UTF-16BE
      return Buffer.from(bytes).swap16().toString('utf16le');
    default:
      return null;
  }
}

/** The subject of a DER certificate as an RFC 2253 string (Java's X500Principal.RFC2253 form). */
export function subjectRfc2253(der: Buffer): string {
  const cert = readTlv(der, 0);
  const tbs = children(der, cert)[0];
  if (!tbs) throw new Error('certificate has no TBSCertificate');
  const fields = children(der, tbs);
  // [0] version is optional; then serial, signature, issuer, validity, subject.
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (!subject || subject.tag !== 0x30) throw new Error('certificate has no subject');
  const rdns = children(der, subject).map((set) =>
    children(der, set)
      .map((atv) => {
        const [oidTlv, valueTlv] = children(der, atv);
        if (!oidTlv || !valueTlv) throw new Error('bad attribute in subject');
        const oid = oidToString(der.subarray(oidTlv.valueStart, oidTlv.end));
        const keyword = KEYWORDS[oid];
        const text = keyword ? decodeString(valueTlv.tag, der.subarray(valueTlv.valueStart, valueTlv.end)) : null;
        if (keyword && text !== null) return `${keyword}=${escapeRfc2253(text)}`;
        return `${keyword ?? oid}=#${der.subarray(valueTlv.start, valueTlv.end).toString('hex')}`;
      })
      .join('+'),
  );
  return rdns.reverse().join(',');
}

interface Rule {
  readonly isDefault: boolean;
  readonly pattern?: RegExp;
  readonly replacement?: string;
  readonly lower?: boolean;
  readonly upper?: boolean;
  readonly text: string;
}

// SslPrincipalMapper.RULE_PATTERN: DEFAULT, or RULE:pattern/replacement/[LU] with \-escapes.
const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?).*?|(.*?)`;
const RULE_SPLITTER = new RegExp(String.raw`\s*(` + RULE_PATTERN + String.raw`)\s*(?:,\s*|$)`, 'gy');

export class PrincipalMappingError extends Error {
  override name = 'PrincipalMappingError';
}

/** `ssl.principal.mapping.rules`: the first rule that matches the whole DN names the principal. */
export class SslPrincipalMapper {
  private readonly rules: Rule[];

  constructor(rulesText: string) {
    this.rules = parseRules(rulesText);
  }

  /** The principal name for a DN; throws when no rule applies (Kafka then fails the TLS connection). */
  name(dn: string): string {
    for (const r of this.rules) {
      if (r.isDefault) return dn;
      if (!r.pattern!.test(dn)) continue;
      const unanchored = new RegExp(r.pattern!.source.slice(4, -2), 'g');
      let out = dn.replace(unanchored, r.replacement!);
      if (r.lower) out = out.toLowerCase();
      else if (r.upper) out = out.toUpperCase();
      return out;
    }
    throw new PrincipalMappingError(`No rules apply to ${dn}, rules ${this.rules.map((r) => r.text).join(', ')}`);
  }
}

function parseRules(text: string): Rule[] {
  const rules: Rule[] = [];
  const s = text.trim();
  RULE_SPLITTER.lastIndex = 0;
  while (RULE_SPLITTER.lastIndex < s.length) {
    const at = RULE_SPLITTER.lastIndex;
    const m = RULE_SPLITTER.exec(s);
    if (!m || m[0] === '') {
      throw new PrincipalMappingError(`ssl.principal.mapping.rules: invalid rule at "${s.slice(at)}"`);
    }
    const rule = m[1]!;
    if (m[2] !== undefined) rules.push({ isDefault: true, text: 'DEFAULT' });
    else if (m[3] !== undefined) {
      // Kafka refuses text after the case flag ("unmatched substring").
      if (!/^RULE:(?:\\.|[^\\/])*\/(?:\\.|[^\\/])*\/[LU]?$/.test(rule)) {
        throw new PrincipalMappingError(`ssl.principal.mapping.rules: invalid rule "${rule}": unexpected text after the last /`);
      }
      // Kafka's Rule: a Java regex matched against the whole DN; $n back-references in the replacement.
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${m[3]})$`);
      } catch (err) {
        throw new PrincipalMappingError(`ssl.principal.mapping.rules: invalid pattern in "${rule}": ${(err as Error).message}`);
      }
      rules.push({ isDefault: false, pattern, replacement: m[4]!, lower: m[5] === 'L', upper: m[5] === 'U', text: rule });
    } else if (rule.trim() !== '') {
      throw new PrincipalMappingError(`ssl.principal.mapping.rules: invalid rule "${rule}"`);
    }
  }
  return rules;
}

/** Kafka's principal for an SSL connection: `User:<mapped DN>`, or ANONYMOUS without a client certificate. */
export function tlsPrincipal(der: Buffer | null, mapper: SslPrincipalMapper): string {
  if (der === null) return ANONYMOUS;
  return `User:${mapper.name(subjectRfc2253(der))}`;
}
