import { UsageError } from './parse.ts';

/** `producer_byte_rate=1048576 request_percentage=12.5` → values (the broker checks keys and ranges). */
export function parseQuotaValues(args: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new UsageError(`"${a}" is not KEY=VALUE (e.g. producer_byte_rate=1048576)`);
    const key = a.slice(0, i);
    const text = a.slice(i + 1).trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) throw new UsageError(`${key}: "${text}" is not a number`);
    out[key] = value;
  }
  return out;
}

