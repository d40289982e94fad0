/**
 * Kafka's listener settings: `listeners`, `advertised.listeners`, `listener.security.protocol.map`
 * and `inter.broker.listener.name`, parsed and cross-checked the way Kafka's KafkaConfig does.
 * Pure: strings in, listener descriptions out.
 */

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export const DEFAULT_PROTOCOL_MAP = 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL';

export class ListenerConfigError extends Error {
  override name = 'ListenerConfigError';
}

/** One `NAME://host:port` entry; host '' means every interface. */
export interface EndpointSpec {
  /** Listener name, upper case as Kafka normalizes it (also the key of the protocol map). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface ListenerSpec extends EndpointSpec {
  readonly protocol: SecurityProtocol;
  /** What Metadata tells clients that connected here; null = the bound host/port. */
  readonly advertised: { host: string; port: number } | null;
}

export function usesTls(p: SecurityProtocol): boolean {
  return p === 'SSL' || p === 'SASL_SSL';
}

export function usesSasl(p: SecurityProtocol): boolean {
  return p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';
}

/** Parses a comma-separated `NAME://host:port` list (`setting` names it in errors). */
export function parseEndpoints(setting: string, text: string): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(entry);
    if (!m) throw new ListenerConfigError(`${setting}: expected NAME://host:port (e.g. PLAINTEXT://127.0.0.1:9092), got "${entry}"`);
    const port = Number(m[3]);
    if (port > 65535) throw new ListenerConfigError(`${setting}: port ${port} of "${entry}" is out of range`);
    const name = m[1]!.toUpperCase();
    if (out.some((e) => e.name === name)) throw new ListenerConfigError(`${setting}: listener name ${name} appears more than once`);
    out.push({ name, host: m[2]!.replace(/^\[|\]$/g, ''), port });
  }
  return out;
}

/** `NAME:PROTOCOL,...` → map (names upper-cased); unknown protocols are refused. */
export function parseProtocolMap(text: string): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_]+)$/.exec(entry);
    if (!m) throw new ListenerConfigError(`listener.security.protocol.map: expected NAME:PROTOCOL, got "${entry}"`);
    const protocol = m[2]!.toUpperCase();
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new ListenerConfigError(`listener.security.protocol.map: unknown security protocol ${m[2]} (known: ${SECURITY_PROTOCOLS.join(', ')})`);
    }
    out.set(m[1]!.toUpperCase(), protocol as SecurityProtocol);
  }
  return out;
}

export interface ListenerSettings {
  readonly listeners: string;
  readonly advertisedListeners: string;
  readonly protocolMap: string;
  readonly interBrokerListenerName: string;
  /** `controller.listener.names`: KRaft controller listeners, which a single kstream node does not open. */
  readonly controllerListenerNames?: string;
}

/**
 * The listeners to open, each with its protocol and advertised endpoint. Empty when `listeners` is
 * unset (the caller then serves one PLAINTEXT listener). Kafka's checks: every listener name has a
 * protocol; advertised names are listeners; the inter-broker listener exists.
 */
export function resolveListeners(s: ListenerSettings): ListenerSpec[] {
  const controllers = new Set((s.controllerListenerNames ?? '').split(',').map((n) => n.trim().toUpperCase()).filter((n) => n !== ''));
  const map = parseProtocolMap(s.protocolMap);
  // Kafka's combined-mode sample files list a CONTROLLER listener; kstream has no separate controller
  // to serve on it, so it is skipped (when named in controller.listener.names, or unmapped CONTROLLER).
  const endpoints = parseEndpoints('listeners', s.listeners).filter((e) => !controllers.has(e.name) && !(e.name === 'CONTROLLER' && !map.has(e.name)));
  const advertised = parseEndpoints('advertised.listeners', s.advertisedListeners).filter((e) => !controllers.has(e.name));
  const ports = new Map<number, string>();
  for (const e of endpoints) {
    if (e.port !== 0) {
      const other = ports.get(e.port);
      if (other !== undefined) throw new ListenerConfigError(`listeners: ${other} and ${e.name} both use port ${e.port}`);
      ports.set(e.port, e.name);
    }
  }
  for (const a of advertised) {
    if (!endpoints.some((e) => e.name === a.name)) {
      throw new ListenerConfigError(`advertised.listeners: ${a.name} is not one of the listeners (${endpoints.map((e) => e.name).join(', ') || 'none'})`);
    }
  }
  const out = endpoints.map((e): ListenerSpec => {
    const protocol = map.get(e.name);
    if (protocol === undefined) {
      throw new ListenerConfigError(
        `listener ${e.name} has no security protocol: name it PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, or map it in listener.security.protocol.map (e.g. ${e.name}:SASL_SSL)`,
      );
    }
    const adv = advertised.find((a) => a.name === e.name);
    return { ...e, protocol, advertised: adv ? { host: adv.host, port: adv.port } : null };
  });
  const ibl = s.interBrokerListenerName.trim().toUpperCase();
  if (ibl !== '' && out.length > 0 && !out.some((l) => l.name === ibl)) {
    throw new ListenerConfigError(`inter.broker.listener.name: ${ibl} is not one of the listeners (${out.map((l) => l.name).join(', ')})`);
  }
  return out;
}
