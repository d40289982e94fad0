import { SECURITY_KEYS, applySecurityKey, type SecurityProperties } from '../client/security-config.ts';
import type { CompressionName } from '../protocol/records/compression/index.ts';
import { UsageError } from './parse.ts';

/**
 * Client properties by their Kafka / librdkafka names, as `-X key=value` (kcat) and config-file
 * profiles give them. Only what kstream's client honours is accepted; an unknown key is an error
 * naming it (a typo must not be silently ignored). Security keys (security.protocol, sasl.*, ssl.*) are
 * the client's table (src/client/security-config.ts); src/cli/security-settings.ts resolves them.
 */

export interface ClientProperties extends SecurityProperties {
  bootstrapServers?: string;
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  acks?: 0 | 1 | -1;
  compression?: CompressionName;
  lingerMs?: number;
  batchSize?: number;
  idempotence?: boolean;
  retries?: number;
  retryBackoffMs?: number;
  checkCrcs?: boolean;
}

type Setter = (p: ClientProperties, value: string, where: string) => void;

function int(min: number, set: (p: ClientProperties, n: number) => void): Setter {
  return (p, v, where) => {
    const t = v.trim();
    if (!/^-?\d+$/.test(t) || Number(t) < min) throw new UsageError(`${where}: "${v}" is not an integer ≥ ${min}`);
    set(p, Number(t));
  };
}

function bool(set: (p: ClientProperties, b: boolean) => void): Setter {
  return (p, v, where) => {
    const t = v.trim().toLowerCase();
    if (t !== 'true' && t !== 'false') throw new UsageError(`${where}: "${v}" is not true or false`);
    set(p, t === 'true');
  };
}

const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** Canonical name → setter; aliases (librdkafka's names) map onto canonical names below. */
const SETTERS: Record<string, Setter> = {
  'bootstrap.servers': (p, v, where) => {
    if (v.trim() === '') throw new UsageError(`${where}: no broker address given`);
    p.bootstrapServers = v;
  },
  'client.id': (p, v, where) => {
    if (v === '') throw new UsageError(`${where}: the client id is empty`);
    p.clientId = v;
  },
  'request.timeout.ms': int(1, (p, n) => (p.requestTimeoutMs = n)),
  'socket.connection.setup.timeout.ms': int(1, (p, n) => (p.connectTimeoutMs = n)),
  acks: (p, v, where) => {
    const t = v.trim().toLowerCase();
    if (t === 'all' || t === '-1') p.acks = -1;
    else if (t === '0' || t === '1') p.acks = Number(t) as 0 | 1;
    else throw new UsageError(`${where}: "${v}" is not 0, 1, all or -1`);
  },
  'compression.type': (p, v, where) => {
    const t = v.trim().toLowerCase();
    if (!COMPRESSIONS.includes(t)) throw new UsageError(`${where}: "${v}" is not one of ${COMPRESSIONS.join(', ')}`);
    p.compression = t as CompressionName;
  },
  'linger.ms': int(0, (p, n) => (p.lingerMs = n)),
  'batch.size': int(1, (p, n) => (p.batchSize = n)),
  'enable.idempotence': bool((p, b) => (p.idempotence = b)),
  retries: int(0, (p, n) => (p.retries = n)),
  'retry.backoff.ms': int(0, (p, n) => (p.retryBackoffMs = n)),
  'check.crcs': bool((p, b) => (p.checkCrcs = b)),
};

/** librdkafka / kcat spellings of the same settings. */
const ALIASES: Record<string, string> = {
  'metadata.broker.list': 'bootstrap.servers',
  'request.required.acks': 'acks',
  'compression.codec': 'compression.type',
  'queue.buffering.max.ms': 'linger.ms',
  'message.send.max.retries': 'retries',
};

/** The property names accepted, for messages and docs. */
export const PROPERTY_NAMES: readonly string[] = [...Object.keys(SETTERS), ...Object.keys(ALIASES), ...Object.keys(SECURITY_KEYS)].sort();

/** Applies one property; `where` names its origin in errors ("-X linger.ms", "profile prod in …"). */
export function applyProperty(p: ClientProperties, key: string, value: string, where: string): void {
  const k = key.trim();
  const name = ALIASES[k] ?? k;
  const set = SETTERS[name];
  if (set) return set(p, value, `${where} ${k}`);
  try {
    if (applySecurityKey(p, k, value)) return;
  } catch (e) {
    throw new UsageError(`${where} ${k}: ${(e as Error).message}`);
  }
  throw new UsageError(`${where}: unknown client property "${k}" (kstream honours: ${PROPERTY_NAMES.join(', ')})`);
}

/** `-X key=value` values, in order (a later one wins). */
export function parseProperties(list: string[] | undefined, into: ClientProperties = {}): ClientProperties {
  for (const s of list ?? []) {
    const i = s.indexOf('=');
    if (i <= 0) throw new UsageError(`-X: "${s}" is not key=value (e.g. -X client.id=me)`);
    applyProperty(into, s.slice(0, i), s.slice(i + 1), '-X');
  }
  return into;
}
