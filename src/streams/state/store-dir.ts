/** Where a persistent store's files go, shared by the key-value, window and session stores. */
import { join } from "node:path";
import type { StateStoreContext } from "./state-store.ts";

/**
 * The task directory under the broker runtime, else <state.dir>/<application.id>; undefined when there
 * is neither. `mode` true (the user asked for a persistent store) makes that an error; "auto" (the
 * DSL's default, persistent as Kafka's when it can be) leaves the caller to fall back to memory.
 */
export function storeDir(ctx: StateStoreContext, name: string, mode: true | "auto"): string | undefined {
  const dir = ctx.taskDir?.() ?? (ctx.stateDir?.() ? join(ctx.stateDir()!, ctx.applicationId()) : undefined);
  if (!dir && mode === true) throw new Error(`Persistent state store '${name}' needs state.dir to be set`);
  return dir;
}
