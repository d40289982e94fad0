import type { JsonRecord } from './record-json.ts';

/**
 * `consume --format template --template '{{key}}\t{{value}}'`. Placeholders: {{topic}} {{partition}}
 * {{offset}} {{timestamp}} {{timestamp:iso}} {{timestamp.type}} (CreateTime,
 * LogAppendTime or NoTimestampType, Kafka's names) {{key}} {{value}} {{size}} {{key.size}} (bytes, -1 for
 * null) {{headers}} (k=v,k=v) and {{header.NAME}} (first value of that header). Backslash escapes \t \n \r \\ are expanded, since shells pass them literally.
 * Key and value bytes are written as they are (no re-encoding), like kcat's -f; null prints nothing.
 * The template is compiled once into a list of parts so rendering a record is a few Buffer pushes.
 */

export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Part = Buffer | ((r: JsonRecord, out: Buffer[]) => void);
export type RenderFn = (r: JsonRecord, out: Buffer[]) => void;

const FIELDS = ['topic', 'partition', 'offset', 'timestamp', 'timestamp:iso', 'timestamp.type', 'key', 'value', 'size', 'key.size', 'headers'] as const;

/** Kafka's TimestampType names (org.apache.kafka.common.record.TimestampType). */
const TIMESTAMP_TYPES: Record<string, Buffer> = { '0': Buffer.from('CreateTime'), '1': Buffer.from('LogAppendTime') };
const NO_TIMESTAMP_TYPE = Buffer.from('NoTimestampType');

export function unescape(s: string): string {
  return s.replace(/\\(.)/g, (m, c: string) => {
    switch (c) {
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case '\\':
        return '\\';
      default:
        return m;
    }
  });
}

export function formatHeaders(headers: JsonRecord['headers']): string {
  return headers.map(([k, v]) => (v === null ? k : `${k}=${v.toString('utf8')}`)).join(',');
}

function field(name: string): (r: JsonRecord, out: Buffer[]) => void {
  switch (name) {
    case 'topic':
      return (r, out) => void out.push(Buffer.from(r.topic));
    case 'partition':
      return (r, out) => void out.push(Buffer.from(String(r.partition)));
    case 'offset':
      return (r, out) => void out.push(Buffer.from(String(r.offset)));
    case 'timestamp':
      return (r, out) => void out.push(Buffer.from(String(r.timestamp)));
    case 'timestamp:iso':
      return (r, out) => void out.push(Buffer.from(new Date(Number(r.timestamp)).toISOString()));
    case 'timestamp.type':
      return (r, out) => void out.push(TIMESTAMP_TYPES[String(r.timestampType ?? 0)] ?? NO_TIMESTAMP_TYPE);
    case 'size':
      // Value bytes, -1 for a tombstone (Kafka's on-wire length for null).
      return (r, out) => void out.push(Buffer.from(String(r.value === null ? -1 : r.value.length)));
    case 'key.size':
      return (r, out) => void out.push(Buffer.from(String(r.key === null ? -1 : r.key.length)));
    case 'key':
      return (r, out) => void (r.key !== null && out.push(r.key));
    case 'value':
      return (r, out) => void (r.value !== null && out.push(r.value));
    case 'headers':
      return (r, out) => void out.push(Buffer.from(formatHeaders(r.headers)));
  }
  if (name.startsWith('header.') && name.length > 'header.'.length) {
    const wanted = name.slice('header.'.length);
    return (r, out) => {
      const h = r.headers.find(([k]) => k === wanted);
      if (h?.[1]) out.push(h[1]);
    };
  }
  throw new TemplateError(
    `unknown placeholder {{${name}}} in --template; use ${FIELDS.map((f) => `{{${f}}}`).join(' ')} or {{header.NAME}}`,
  );
}

export function compileTemplate(template: string): RenderFn {
  const parts: Part[] = [];
  const re = /\{\{\s*([^}]*?)\s*\}\}/g;
  let last = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m.index > last) parts.push(Buffer.from(unescape(template.slice(last, m.index))));
    parts.push(field(m[1]!));
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(Buffer.from(unescape(template.slice(last))));
  return (r, out) => {
    for (const p of parts) {
      if (typeof p === 'function') p(r, out);
      else out.push(p);
    }
  };
}
