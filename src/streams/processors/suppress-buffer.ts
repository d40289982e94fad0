/**
 * The suppress operator's buffer as a named state store (Kafka's KTABLE-SUPPRESS-STATE-STORE-…), so the
 * topology lists it like Kafka does and the runtime can changelog it. Held in memory for now.
 */
import type { StateStore, StoreBuilder } from "../state/state-store.ts";

export interface BufferedEntry<R, V> {
  time: number;
  record: R;
  prior: V | null;
}

export class SuppressBufferStore<R, V> implements StateStore {
  private readonly storeName: string;
  private open = false;
  /** Insertion-ordered by key identity. */
  readonly entries = new Map<string, BufferedEntry<R, V>>();
  observedStreamTime = -1;
  constructor(name: string) {
    this.storeName = name;
  }
  name(): string { return this.storeName; }
  init(): void { this.open = true; }
  persistent(): boolean { return false; }
  isOpen(): boolean { return this.open; }
  flush(): void {}
  close(): void { this.open = false; }
}

export function suppressBufferBuilder(name: string): StoreBuilder<SuppressBufferStore<unknown, unknown>> {
  let logging = true;
  const b: StoreBuilder<SuppressBufferStore<unknown, unknown>> = {
    name: () => name,
    build: () => new SuppressBufferStore(name),
    loggingEnabled: () => logging,
    logConfig: () => ({}),
    withLoggingEnabled: () => { logging = true; return b; },
    withLoggingDisabled: () => { logging = false; return b; },
    withCachingEnabled: () => b,
    withCachingDisabled: () => b,
  };
  return b;
}
