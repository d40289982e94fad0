import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConnectorClass } from '../api.ts';
import { FileStreamSink } from '../connectors/file-stream-sink.ts';
import { FileStreamSource } from '../connectors/file-stream-source.ts';
import { HttpSink } from '../connectors/http/http-sink.ts';
import { HttpSource } from '../connectors/http/http-source.ts';
import { JdbcSink } from '../connectors/jdbc/jdbc-sink.ts';
import { JdbcSource } from '../connectors/jdbc/jdbc-source.ts';
import { KAFKA_VERSION } from '../version.ts';

/**
 * Connector plugins: the built-in ones by Kafka's class name and aliases (simple name, and simple name
 * without "Connector", as Kafka's plugin aliases), and users' own from a `.ts`/`.js`/`.mjs` file whose
 * default export is a ConnectorClass.
 */

/** Sorted by class name, as Kafka's plugin scanner lists them (GET /connector-plugins). */
export const BUILTIN: ConnectorClass[] = [FileStreamSink, FileStreamSource, JdbcSink, JdbcSource, HttpSink, HttpSource].sort((a, b) => (a.className < b.className ? -1 : 1));

function aliases(c: ConnectorClass): string[] {
  const simple = c.className.slice(c.className.lastIndexOf('.') + 1);
  return [c.className, simple, simple.replace(/Connector$/, '')];
}

export function isPluginFile(name: string): boolean {
  return /\.(m?js|ts)$/.test(name);
}

export async function resolveConnectorClass(name: string | undefined): Promise<ConnectorClass> {
  if (!name || name.trim() === '') throw new PluginError('Connector config {} contains no connector type'.replace('{}', ''));
  const n = name.trim();
  for (const c of BUILTIN) if (aliases(c).includes(n)) return c;
  if (isPluginFile(n)) {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(resolve(n)).href)) as { default?: unknown };
    } catch (e) {
      throw new PluginError(`Failed to load connector class ${n}: ${(e as Error).message}`);
    }
    const c = mod.default as ConnectorClass | undefined;
    if (!c || typeof c.create !== 'function' || (c.type !== 'source' && c.type !== 'sink') || typeof c.className !== 'string') {
      throw new PluginError(`${n}: default export must be a connector class { className, type: 'source'|'sink', create() }`);
    }
    return c;
  }
  throw new PluginError(
    `Failed to find any class that implements Connector and which name matches ${n}, available connectors are: ${BUILTIN.map((c) => `PluginDesc{klass=class ${c.className}, name='${c.className}', version='${KAFKA_VERSION}', type=${c.type}}`).join(', ')}`,
  );
}

/** A bad connector.class: the REST API answers 400 for it (as Kafka's ConnectException on validation). */
export class PluginError extends Error {
  override name = 'PluginError';
}
