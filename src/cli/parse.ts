/**
 * Parsers for flag values. Each throws UsageError with a message naming the flag and the accepted
 * forms, which the base command prints as one line.
 */

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface BrokerAddress {
  host: string;
  port: number;
}

/** "host:port,host2:port2"; "[::1]:9092" for IPv6; a bare host gets port 9092. */
export function parseBootstrap(list: string): BrokerAddress[] {
  const out: BrokerAddress[] = [];
  for (const raw of list.split(',')) {
    const s = raw.trim();
    if (s === '') continue;
    let host: string;
    let portText: string | undefined;
    const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
    if (v6) {
      host = v6[1]!;
      portText = v6[2];
    } else {
      const i = s.lastIndexOf(':');
      host = i === -1 ? s : s.slice(0, i);
      portText = i === -1 ? undefined : s.slice(i + 1);
    }
    const port = portText === undefined ? 9092 : Number(portText);
    if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new UsageError(`--bootstrap-server: "${s}" is not host:port (e.g. 127.0.0.1:9092)`);
    }
    out.push({ host, port });
  }
  if (out.length === 0) throw new UsageError('--bootstrap-server: no broker address given (e.g. 127.0.0.1:9092)');
  return out;
}

/** "-H key=value": splits at the first '='; "key" alone is a header with a null value. */
export function parseHeader(s: string): [string, string | null] {
  const i = s.indexOf('=');
  if (i === 0) throw new UsageError(`--header: "${s}" has an empty key (use key=value)`);
  return i === -1 ? [s, null] : [s.slice(0, i), s.slice(i + 1)];
}

/** "--config key=value". */
export function parseConfig(s: string, flag = '--config'): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new UsageError(`${flag}: "${s}" is not key=value (e.g. retention.ms=86400000)`);
  return [s.slice(0, i), s.slice(i + 1)];
}

export function parseConfigs(list: string[] | undefined, flag = '--config'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list ?? []) {
    const [k, v] = parseConfig(s, flag);
    out[k] = v;
  }
  return out;
}

export type OffsetSpec =
  | { type: 'earliest' }
  | { type: 'latest' }
  | { type: 'offset'; offset: bigint }
  | { type: 'last'; count: number }
  | { type: 'timestamp'; timestamp: number };

/** "--offset earliest|latest|N|-N" (-N = the last N records of each partition). */
export function parseOffset(s: string): OffsetSpec {
  const t = s.trim().toLowerCase();
  if (t === 'earliest' || t === 'beginning' || t === 'oldest') return { type: 'earliest' };
  if (t === 'latest' || t === 'end' || t === 'newest') return { type: 'latest' };
  if (/^-\d+$/.test(t)) return { type: 'last', count: Number(t.slice(1)) };
  if (/^\d+$/.test(t)) return { type: 'offset', offset: BigInt(t) };
  throw new UsageError(`--offset: "${s}" is not earliest, latest, an offset N or -N (last N per partition)`);
}

/** "--from-timestamp 2024-01-01T00:00:00Z | 1704067200000" → ms since the epoch. */
export function parseTimestamp(s: string, flag = '--from-timestamp'): number {
  const t = s.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: "${s}" is neither milliseconds since the epoch nor an ISO date`);
  return ms;
}

/** "0,1,3" or "0-2". */
export function parsePartitions(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const p = part.trim();
    const range = /^(\d+)-(\d+)$/.exec(p);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a) throw new UsageError(`--partition: range "${p}" goes backwards`);
      for (let i = a; i <= b; i++) out.push(i);
    } else if (/^\d+$/.test(p)) out.push(Number(p));
    else throw new UsageError(`--partition: "${part}" is not a partition number (e.g. 0 or 0,2 or 0-3)`);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** ISO-8601 duration (PnDTnHnMnS, as Kafka's --by-duration takes it) → milliseconds. */
export function parseDuration(s: string, flag: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s.trim());
  if (!m || s.trim().toUpperCase() === 'P' || /T$/i.test(s.trim())) throw new UsageError(`${flag}: "${s}" is not an ISO-8601 duration like PT1H, PT30M or P1DT12H`);
  const [, d, h, min, sec] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Math.round(Number(sec ?? 0) * 1000);
}

/** "-D" delimiters: backslash escapes \n \t \r \0 \\ expanded (shells pass them literally). */
export function parseDelimiter(s: string, flag: string): Buffer {
  const b = Buffer.from(s.replace(/\\(.)/g, (m, c: string) => ({ n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\' })[c] ?? m), 'utf8');
  if (b.length === 0) throw new UsageError(`${flag}: the delimiter is empty (e.g. -D '\\0' or -D ';')`);
  return b;
}
