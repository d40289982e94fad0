import { isIP } from 'node:net';
import { ConfigError } from './config.ts';
import type { BrokerConfig } from './config.ts';

/**
 * Kafka's connection limits (SocketServer/ConnectionQuotas), single listener:
 * - `max.connections`: connections served at once. As Kafka's acceptor, a connection beyond it waits
 *   (TCP accepted but not read) until one closes; it is not refused.
 * - `max.connections.per.ip` with `max.connections.per.ip.overrides`: a connection from an address at
 *   its limit is closed at once (Kafka's TooManyConnectionsException), after it got its broker slot.
 * - `connections.max.idle.ms`: a connection with no bytes either way and no request in progress for
 *   this long is closed (Kafka's Selector idle expiry); -1 never.
 */
export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Per-address limits by normalized IP address. */
  readonly perIpOverrides: ReadonlyMap<string, number>;
  /** <= 0: never close idle connections. */
  readonly idleMs: number;
}

export const NO_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: Number.POSITIVE_INFINITY,
  maxConnectionsPerIp: Number.POSITIVE_INFINITY,
  perIpOverrides: new Map(),
  idleMs: 0,
};

export function connectionLimitsFrom(config: BrokerConfig): ConnectionLimits {
  return {
    maxConnections: config.number('max.connections'),
    maxConnectionsPerIp: config.number('max.connections.per.ip'),
    perIpOverrides: parsePerIpOverrides(config.string('max.connections.per.ip.overrides')),
    idleMs: config.number('connections.max.idle.ms'),
  };
}

/**
 * `ip:count,ip:count` (IPv6 addresses keep their colons: the count follows the last one). Only IP
 * addresses: Kafka also resolves host names once at start, which would make a limit depend on DNS at
 * the moment of start; an address says exactly which clients it means.
 */
export function parsePerIpOverrides(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const colon = item.lastIndexOf(':');
    const host = colon > 0 ? item.slice(0, colon).replace(/^\[(.*)\]$/, '$1') : '';
    const count = colon > 0 ? item.slice(colon + 1) : '';
    if (isIP(host) === 0 || !/^\d+$/.test(count)) {
      throw new ConfigError(`max.connections.per.ip.overrides: expected ip:count, got "${item}"`);
    }
    out.set(normalizeAddress(host), Number(count));
  }
  return out;
}

/** The address a limit is keyed by: IPv4 clients of a dual-stack listener show up as ::ffff:a.b.c.d. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address.toLowerCase();
}

/** The limit for one address. */
export function limitForAddress(limits: ConnectionLimits, address: string): number {
  return limits.perIpOverrides.get(normalizeAddress(address)) ?? limits.maxConnectionsPerIp;
}
