/**
 * Kafka's AbstractReadOnlyDecorator: what a stream processor gets from `getStateStore` for a global
 * store. Only the global thread writes a global store (from its source topic); a write from a task
 * would make one instance's copy differ from every other's, so reads pass through and every write or
 * lifecycle call throws Kafka's UnsupportedOperationException message.
 */
import type { StateStore } from "./state-store.ts";

export const READ_ONLY_MESSAGE = "Global store is read only";

export class UnsupportedOperationException extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedOperationException";
  }
}

/** Writes (key-value, window, session) and the lifecycle the owner alone drives. */
const DENIED = new Set(["put", "putIfAbsent", "putAll", "delete", "remove", "flush", "init", "close"]);

export function readOnlyStore<S extends StateStore>(store: S): S {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (typeof prop === "string" && DENIED.has(prop)) {
        return () => {
          throw new UnsupportedOperationException(READ_ONLY_MESSAGE);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      // Methods run against the store itself (private fields would not resolve through the proxy).
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
