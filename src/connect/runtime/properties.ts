import { readFile } from 'node:fs/promises';

/**
 * Java .properties files (java.util.Properties.load): `key=value`, `key: value` or `key value`,
 * `#`/`!` comments, backslash line continuation, \t \n \r \f \uXXXX escapes. Connector files may also be
 * JSON, in either of Kafka's forms: `{"name":…,"config":{…}}` (the REST create body) or a flat map.
 */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    // A line ending in an odd number of backslashes continues on the next (leading blanks dropped).
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    let k = 0;
    while (k < line.length && !'=: \t\f'.includes(line[k]!)) k += line[k] === '\\' ? 2 : 1;
    const key = line.slice(0, k);
    let v = k;
    while (v < line.length && ' \t\f'.includes(line[v]!)) v++;
    if (v < line.length && '=:'.includes(line[v]!)) v++;
    while (v < line.length && ' \t\f'.includes(line[v]!)) v++;
    out[unescape(key)] = unescape(line.slice(v));
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[e] ?? e;
  });
}

/** A connector config file: properties, or JSON ({"name","config"} or flat). All values become strings. */
export async function loadConnectorFile(path: string): Promise<Record<string, string>> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot read connector config ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  if (path.endsWith('.json') || text.trimStart().startsWith('{')) {
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch (e) {
      throw new Error(`${path}: invalid JSON: ${(e as Error).message}`);
    }
    if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new Error(`${path}: expected a JSON object`);
    const o = j as Record<string, unknown>;
    const flat = o.config && typeof o.config === 'object' ? { ...(o.config as Record<string, unknown>), ...(typeof o.name === 'string' ? { name: o.name } : {}) } : o;
    return Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }
  return parseProperties(text);
}

export async function loadPropertiesFile(path: string): Promise<Record<string, string>> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot read worker config ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  return parseProperties(text);
}
