/**
 * Checks the words of a command line against the command table before oclif sees them, so an unknown
 * or mistyped command gets one line with a suggestion ("did you mean produce?") instead of oclif's
 * `command produc:demo:x not found`. Ids use ':' between words (`topics:list`).
 */

/** Edit distance (insert, delete, substitute, swap adjacent), small strings only. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `names` to `word`, when close enough to be a likely typo. */
export function closest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const dist = n.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, n);
    if (dist < bestD) {
      bestD = dist;
      best = n;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/** undefined when argv names a command or a topic (or has no command word); else the error text. */
export function unknownCommandMessage(argv: readonly string[], ids: readonly string[]): string | undefined {
  const words = commandWords(argv);
  if (words.length === 0) return undefined;
  const topics = new Set(ids.filter((id) => id.includes(':')).map((id) => id.slice(0, id.lastIndexOf(':'))));
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':');
    if (ids.includes(id)) return undefined;
    if (topics.has(id)) {
      if (n === words.length) return undefined; // `kstream topics`: oclif lists the topic's commands
      const sub = ids.filter((i) => i.startsWith(`${id}:`)).map((i) => i.slice(id.length + 1));
      const guess = closest(words[n]!, sub);
      const shown = words.slice(0, n).join(' ');
      return `unknown command "${shown} ${words[n]}"${guess ? ` \u2014 did you mean "${shown} ${guess}"?` : ''} (see: kstream ${shown} --help)`;
    }
  }
  const first = words[0]!;
  const tops = [...new Set(ids.map((i) => i.split(':')[0]!))];
  const guess = closest(first, tops);
  return `unknown command "${first}"${guess ? ` \u2014 did you mean "${guess}"?` : ''} (see: kstream help)`;
}

/**
 * The command id argv runs (`['topics', 'create', 'x']` → `topics:create`): the longest run of leading
 * words that is an id. undefined for no command word, a topic alone (`kstream topics`) or an unknown word.
 */
export function commandIdOf(argv: readonly string[], ids: readonly string[]): string | undefined {
  const words = commandWords(argv);
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':');
    if (ids.includes(id)) return id;
  }
  return undefined;
}

/** The words of argv before its first flag: the command id's parts and its positional arguments. */
function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  return words;
}
