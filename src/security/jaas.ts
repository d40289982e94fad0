/**
 * Kafka's `sasl.jaas.config` value: `<LoginModule class> <flag> key="value" ... ;`. Only the options
 * matter here (PlainLoginModule's `user_<name>="<password>"`).
 */
export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

export class JaasConfigError extends Error {
  override name = 'JaasConfigError';
}

export function parseJaasConfig(text: string, setting = 'sasl.jaas.config'): JaasEntry {
  const s = text.trim();
  const head = /^([A-Za-z_$][\w$.]*)\s+(required|requisite|sufficient|optional)\b/.exec(s);
  if (!head) throw new JaasConfigError(`${setting}: expected "<LoginModule class> required key=\"value\" ...;"`);
  const options = new Map<string, string>();
  let i = head[0].length;
  const fail = (why: string): never => {
    throw new JaasConfigError(`${setting}: ${why} at character ${i + 1}`);
  };
  for (;;) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) fail('missing the closing ";"');
    if (s[i] === ';') {
      i++;
      break;
    }
    const key = /^[^\s=;"]+/.exec(s.slice(i));
    if (!key) fail('expected an option name');
    i += key![0].length;
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (s[i] !== '=') fail(`expected "=" after ${key![0]}`);
    i++;
    while (i < s.length && /\s/.test(s[i]!)) i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        value += s[i++];
      }
      if (s[i] !== '"') fail(`unterminated quoted value of ${key![0]}`);
      i++;
    } else {
      const bare = /^[^\s;]*/.exec(s.slice(i))![0];
      value = bare;
      i += bare.length;
    }
    options.set(key![0], value);
  }
  if (s.slice(i).trim() !== '') fail('only one login module is supported');
  return { loginModule: head[1]!, flag: head[2]!, options };
}

/** PlainLoginModule users: every `user_<name>` option. */
export function plainUsers(entry: JaasEntry): Map<string, string> {
  const users = new Map<string, string>();
  for (const [k, v] of entry.options) if (k.startsWith('user_') && k.length > 5) users.set(k.slice(5), v);
  return users;
}
