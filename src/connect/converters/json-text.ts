/**
 * JSON text as Jackson writes it for Kafka's JsonConverter: compact, object keys in insertion order,
 * int64 values exact (bigint), doubles with a fraction part ("1.0", as Java's Double.toString) and
 * bytes as base64. JSON.parse loses int64 precision, so parsing keeps integers outside the safe range
 * as bigints (the reviver's source text, Node 21+).
 */

/** A double that must print as one (1 → "1.0"), as Jackson's DoubleNode does. */
export class JsonDouble {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export type JsonValue = null | boolean | string | number | bigint | JsonDouble | JsonValue[] | { [key: string]: JsonValue };

export function writeJson(v: JsonValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
    case 'bigint':
      return v.toString();
  }
  if (v instanceof JsonDouble) return javaDouble(v.value);
  if (Array.isArray(v)) return `[${v.map(writeJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) parts.push(`${JSON.stringify(k)}:${writeJson(x)}`);
  return `{${parts.join(',')}}`;
}

/** Java's Double.toString for the common range: integers get ".0", large/small values use E notation. */
export function javaDouble(d: number): string {
  if (Number.isNaN(d)) return '"NaN"';
  if (!Number.isFinite(d)) return d > 0 ? '"Infinity"' : '"-Infinity"';
  const abs = Math.abs(d);
  if (abs !== 0 && (abs >= 1e7 || abs < 1e-3)) {
    const [mant, exp] = d.toExponential().split('e');
    const m = mant!.includes('.') ? mant! : `${mant}.0`;
    return `${m}E${Number(exp)}`;
  }
  const s = String(d);
  return Number.isInteger(d) ? `${s}.0` : s;
}

interface ReviverContext {
  source?: string;
}

export function parseJson(text: string): unknown {
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: ReviverContext) {
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown);
}
