/**
 * Shell completion scripts generated from the command table: command words, then the flags of the
 * command typed so far. One function per shell; zsh reuses the bash function through bashcompinit.
 */

export interface CompletionCommand {
  id: string; // 'topics:list'
  summary: string;
  flags: Array<{ name: string; char?: string; summary: string }>;
}

/** Words that may follow `prefix` (space-separated words already typed; '' at the top). */
function nextWords(commands: CompletionCommand[], prefix: string): string[] {
  const depth = prefix === '' ? 0 : prefix.split(' ').length;
  const out = new Set<string>();
  for (const c of commands) {
    const words = c.id.split(':');
    if (words.length > depth && words.slice(0, depth).join(' ') === prefix) out.add(words[depth]!);
  }
  return [...out].sort();
}

function bash(bin: string, commands: CompletionCommand[]): string {
  const fn = `_${bin.replace(/\W/g, '_')}_complete`;
  const prefixes = new Set<string>(['']);
  for (const c of commands) {
    const w = c.id.split(':');
    for (let i = 1; i < w.length; i++) prefixes.add(w.slice(0, i).join(' '));
  }
  const words = [...prefixes].map((p) => `    "${p}") words="${nextWords(commands, p).join(' ')}" ;;`).join('\n');
  const flags = commands
    .map((c) => `    "${c.id.replaceAll(':', ' ')}") flags="${c.flags.flatMap((f) => [`--${f.name}`, ...(f.char ? [`-${f.char}`] : [])]).join(' ')}" ;;`)
    .join('\n');
  return `# ${bin} completion for bash (and zsh through bashcompinit)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" words="" flags="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && break
    local next="\${path:+$path }$w"
    case "$next" in
${[...prefixes].filter((p) => p !== '').map((p) => `      "${p}") path="$next"; continue ;;`).join('\n')}
${commands.map((c) => `      "${c.id.replaceAll(':', ' ')}") path="$next"; break ;;`).join('\n')}
    esac
    break
  done
  case "$path" in
${words}
  esac
  case "$path" in
${flags}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur")); else COMPREPLY=($(compgen -W "$words" -- "$cur")); fi
}
complete -o default -F ${fn} ${bin}
`;
}

function fish(bin: string, commands: CompletionCommand[]): string {
  const q = (s: string) => `'${s.replaceAll("'", "\\'")}'`;
  const lines = [`# ${bin} completion for fish`, `complete -c ${bin} -f`];
  const tops = nextWords(commands, '');
  for (const t of tops) {
    const c = commands.find((x) => x.id === t);
    lines.push(`complete -c ${bin} -n '__fish_use_subcommand' -a ${q(t)}${c ? ` -d ${q(c.summary)}` : ''}`);
  }
  for (const c of commands) {
    const w = c.id.split(':');
    if (w.length === 2) lines.push(`complete -c ${bin} -n '__fish_seen_subcommand_from ${w[0]}; and not __fish_seen_subcommand_from ${nextWords(commands, w[0]!).join(' ')}' -a ${q(w[1]!)} -d ${q(c.summary)}`);
    const cond = w.length === 1 ? `__fish_seen_subcommand_from ${w[0]}` : `__fish_seen_subcommand_from ${w[0]}; and __fish_seen_subcommand_from ${w[1]}`;
    for (const f of c.flags) lines.push(`complete -c ${bin} -n ${q(cond)} -l ${f.name}${f.char ? ` -s ${f.char}` : ''} -d ${q(f.summary)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: 'bash' | 'zsh' | 'fish', bin: string, commands: CompletionCommand[]): string {
  if (shell === 'fish') return fish(bin, commands);
  const script = bash(bin, commands);
  return shell === 'zsh' ? `#compdef ${bin}\nautoload -U +X bashcompinit && bashcompinit\n${script}` : script;
}
