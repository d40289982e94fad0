/**
 * Runs a user's Streams app file (TypeScript via Node 24's type stripping, or JavaScript) with the
 * specifier `kstream/streams` resolved to this copy of the library — no npm install in the app's
 * directory — through a synchronous module resolution hook (node:module registerHooks).
 */
import { existsSync } from "node:fs";
import module from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as library from "../index.ts";
import { appRegistry } from "./app-registry.ts";
import type { AppRegistry } from "./app-registry.ts";

export const STREAMS_SPECIFIER = "kstream/streams";
/** The app's `kstream/streams` is a synthetic module re-exporting the library loaded here. */
const LIB_URL = "kstream-internal:streams";
const LIB_KEY = Symbol.for("kstream.streams.library");
let registered = false;

/**
 * Points `kstream/streams` at the library this CLI already loaded — no file path involved, so it works
 * from the sources, from dist/ and from inside the single binary's bundle alike, and the app shares the
 * CLI's copy (one registry of started instances).
 */
export function registerStreamsResolution(): void {
  if (registered) return;
  registered = true;
  (globalThis as { [LIB_KEY]?: unknown })[LIB_KEY] = library;
  const names = Object.keys(library).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
  const source = `const lib = globalThis[Symbol.for("kstream.streams.library")];\n${names.map((n) => `export const ${n} = lib.${n};`).join("\n")}\n`;
  const hooks = (module as unknown as { registerHooks?: (h: object) => unknown }).registerHooks;
  if (!hooks) throw new Error(`this Node.js (${process.version}) has no module.registerHooks; kstream streams run needs Node.js ≥ 22.15`);
  hooks({
    resolve(specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) {
      if (specifier === STREAMS_SPECIFIER) return { url: LIB_URL, shortCircuit: true };
      return next(specifier, context);
    },
    load(url: string, context: unknown, next: (u: string, c: unknown) => unknown) {
      if (url === LIB_URL) return { format: "module", source, shortCircuit: true };
      return next(url, context);
    },
  });
}

/** Loads the app (its top level builds topologies and starts KafkaStreams instances). */
export async function loadApp(file: string, opts: { overrides?: { [key: string]: string }; describeOnly?: boolean } = {}): Promise<AppRegistry> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`app file not found: ${file}`);
  if (!/\.(ts|mts|js|mjs)$/.test(path)) throw new Error(`app file must be .ts, .mts, .js or .mjs: ${file}`);
  registerStreamsResolution();
  const reg = appRegistry();
  reg.overrides = { ...(opts.overrides ?? {}) };
  reg.describeOnly = opts.describeOnly ?? false;
  await importFile(pathToFileURL(path).href);
  return reg;
}

/**
 * import() of a file. Inside the single binary (a Node SEA) import() only knows built-in modules, so
 * the import runs in a script that uses the main context's default ESM loader (type stripping included).
 */
async function importFile(url: string): Promise<unknown> {
  const sea = await import("node:sea").catch(() => null);
  if (sea?.isSea()) {
    const vm = await import("node:vm");
    // Node marks this loader option experimental; the warning would be noise on every app start.
    const emit = process.emitWarning;
    process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
      if (!String(typeof w === "string" ? w : w.message).includes("USE_MAIN_CONTEXT_DEFAULT_LOADER")) (emit as (...a: unknown[]) => void).call(process, w, ...rest);
    }) as typeof process.emitWarning;
    try {
      const script = new vm.Script(`import(${JSON.stringify(url)})`, { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
      return await (script.runInThisContext() as Promise<unknown>);
    } finally {
      process.emitWarning = emit;
    }
  }
  return import(url);
}

/** `--config k=v` pairs; a pair without '=' is an error naming it. */
export function parseConfigPairs(pairs: string[]): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw new Error(`--config expects key=value, got "${p}"`);
    out[p.slice(0, i).trim()] = p.slice(i + 1);
  }
  return out;
}
