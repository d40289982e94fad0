import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { applyProperty, type ClientProperties } from './client-properties.ts';
import { UsageError } from './parse.ts';

/**
 * The client config file with named profiles, like rpk's profiles:
 *
 *   # ~/.config/kstream/config.yaml  ($XDG_CONFIG_HOME/kstream/config.yaml; $KSTREAM_CONFIG overrides)
 *   default-profile: local
 *   profiles:
 *     local:
 *       bootstrap-servers: 127.0.0.1:9092
 *     prod:
 *       bootstrap-servers: [kafka-1:9092, kafka-2:9092]
 *       properties: { client.id: reporting, request.timeout.ms: 60000 }
 *
 * The profile used is --profile, else $KSTREAM_PROFILE, else default-profile, else none. The file is
 * read (and its YAML parsed) once, in BaseCommand.init, before anything connects; the file system
 * root comes in through the environment (XDG_CONFIG_HOME / HOME) so tests point it at a temp dir.
 */

export interface ProfileFile {
  path: string;
  defaultProfile: string | null;
  profiles: Map<string, ClientProperties>;
}

export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KSTREAM_CONFIG) return env.KSTREAM_CONFIG;
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(base, 'kstream', 'config.yaml');
}

let loaded: ProfileFile | null | undefined;

/** Reads and checks the config file (null when there is none); cached for the process. */
export async function loadProfileFile(env: NodeJS.ProcessEnv = process.env): Promise<ProfileFile | null> {
  if (loaded !== undefined) return loaded;
  const path = configFilePath(env);
  if (!existsSync(path)) {
    if (env.KSTREAM_CONFIG) throw new UsageError(`KSTREAM_CONFIG: ${path} does not exist`);
    return (loaded = null);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the config file ${path}: ${(e as Error).message}`);
  }
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UsageError(`config file ${path}: not valid YAML: ${(e as Error).message.split('\n')[0]!.replace(/:$/, '')}`);
  }
  return (loaded = checkProfileFile(path, doc));
}

/** Already-loaded file (loadProfileFile must have run; BaseCommand.init does it). */
export function loadedProfileFile(): ProfileFile | null {
  return loaded ?? null;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkProfileFile(path: string, doc: unknown): ProfileFile {
  const file: ProfileFile = { path, defaultProfile: null, profiles: new Map() };
  if (doc === null || doc === undefined) return file;
  if (!isMap(doc)) throw new UsageError(`config file ${path}: expected a mapping with "profiles" (see docs/cli.md)`);
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'default-profile') {
      if (typeof v !== 'string' || v === '') throw new UsageError(`config file ${path}: default-profile must be a profile name`);
      file.defaultProfile = v;
    } else if (k === 'profiles') {
      if (!isMap(v)) throw new UsageError(`config file ${path}: "profiles" must map names to profiles`);
      for (const [name, body] of Object.entries(v)) file.profiles.set(name, checkProfile(path, name, body));
    } else throw new UsageError(`config file ${path}: unknown key "${k}" (expected default-profile, profiles)`);
  }
  if (file.defaultProfile !== null && !file.profiles.has(file.defaultProfile)) {
    throw new UsageError(`config file ${path}: default-profile "${file.defaultProfile}" is not among the profiles (${[...file.profiles.keys()].join(', ') || 'none'})`);
  }
  return file;
}

function checkProfile(path: string, name: string, body: unknown): ClientProperties {
  const where = `config file ${path}, profile "${name}"`;
  const p: ClientProperties = {};
  if (body === null || body === undefined) return p;
  if (!isMap(body)) throw new UsageError(`${where}: expected bootstrap-servers and properties`);
  for (const [k, v] of Object.entries(body)) {
    if (k === 'bootstrap-servers') {
      const list = Array.isArray(v) ? v.map(String).join(',') : typeof v === 'string' ? v : null;
      if (list === null) throw new UsageError(`${where}: bootstrap-servers must be host:port or a list of them`);
      applyProperty(p, 'bootstrap.servers', list, where);
    } else if (k === 'properties') {
      if (!isMap(v)) throw new UsageError(`${where}: properties must map Kafka client property names to values`);
      for (const [pk, pv] of Object.entries(v)) {
        if (isMap(pv) || Array.isArray(pv)) throw new UsageError(`${where}: property "${pk}" must be a single value`);
        applyProperty(p, pk, String(pv), where);
      }
    } else throw new UsageError(`${where}: unknown key "${k}" (expected bootstrap-servers, properties)`);
  }
  return p;
}

/** The selected profile's properties, or {} when no profile is selected. */
export function selectProfile(file: ProfileFile | null, explicit: string | undefined): { name: string | null; props: ClientProperties } {
  const name = explicit !== undefined && explicit !== '' ? explicit : (file?.defaultProfile ?? null);
  if (name === null) return { name: null, props: {} };
  if (!file) throw new UsageError(`profile "${name}" given but there is no config file (${configFilePath()}); see docs/cli.md for its format`);
  const props = file.profiles.get(name);
  if (!props) throw new UsageError(`profile "${name}" is not in ${file.path} (profiles: ${[...file.profiles.keys()].join(', ') || 'none'})`);
  return { name, props };
}
