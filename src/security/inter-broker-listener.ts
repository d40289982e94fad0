/**
 * Which listener carries inter-broker traffic (Kafka's `inter.broker.listener.name` /
 * `security.inter.broker.protocol` rules). Apart from inter-broker.ts, which builds the client side of
 * those connections: a single node needs only the listener (its address is the broker's own), not TLS
 * or SASL client settings.
 */
import type { InterBrokerSecurity } from './inter-broker.ts';
import type { ListenerSpec } from './listeners.ts';
import type { SecuritySettingsSource } from './listener-settings.ts';

export class InterBrokerConfigError extends Error {
  override name = 'InterBrokerConfigError';
}

/** The settings read here (BrokerConfig is one). */
export interface InterBrokerSettingsSource extends SecuritySettingsSource {
  /** The value set at start-up or at runtime, null when left at Kafka's default. */
  setValue(name: string): string | null;
}

/** The settings that choose the inter-broker listener and mechanism (explicit → errors, not warnings). */
export const INTER_BROKER_SETTINGS = ['inter.broker.listener.name', 'security.inter.broker.protocol', 'sasl.mechanism.inter.broker.protocol'];

/**
 * The inter-broker listener's name among `listeners` (already resolved), by Kafka's rules:
 * `inter.broker.listener.name` if set, else the listener named after `security.inter.broker.protocol`;
 * both set → Kafka's "Only one of … should be set." Neither set: Kafka's default PLAINTEXT listener if
 * there is one, else (kstream's zero-config habit) the first listener.
 */
export function interBrokerListener(src: InterBrokerSettingsSource, listeners: readonly Pick<ListenerSpec, 'name' | 'protocol'>[]): Pick<ListenerSpec, 'name' | 'protocol'> {
  const byName = src.setValue('inter.broker.listener.name');
  const byProtocol = src.setValue('security.inter.broker.protocol');
  if (byName !== null && byName.trim() !== '' && byProtocol !== null) {
    throw new InterBrokerConfigError('Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
  }
  const names = listeners.map((l) => l.name).join(',');
  if (byName !== null && byName.trim() !== '') {
    const name = byName.trim().toUpperCase();
    const l = listeners.find((x) => x.name === name);
    if (!l) throw new InterBrokerConfigError(`inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${names}`);
    return l;
  }
  if (byProtocol !== null) {
    // ListenerName.forSecurityProtocol: the listener named exactly like the protocol.
    const name = byProtocol.trim().toUpperCase();
    const l = listeners.find((x) => x.name === name);
    if (!l) throw new InterBrokerConfigError(`inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${names}`);
    return l;
  }
  return listeners.find((l) => l.name === 'PLAINTEXT') ?? listeners[0]!;
}


/** A single node makes no inter-broker connections: the listener only names the broker's own address. */
export function singleNodeInterBroker(listener: Pick<ListenerSpec, 'name' | 'protocol'>): InterBrokerSecurity {
  return { listenerName: listener.name, protocol: listener.protocol, client: { protocol: 'PLAINTEXT' }, description: `${listener.name} (${listener.protocol}), unused on a single node` };
}
