/**
 * Topology.describe() in Kafka's text format (InternalTopologyBuilder.TopologyDescription): sub-topologies
 * numbered upstream-first, nodes ordered by sub-tree size (largest first) then name, arrows as Kafka prints.
 */
export interface NodeDescription {
  kind: "source" | "processor" | "sink";
  name: string;
  topics?: string[];
  topicPattern?: string;
  topic?: string;
  extractorName?: string;
  stores: string[];
  predecessors: string[];
  successors: string[];
}
export interface SubtopologyDescription {
  id: number;
  nodes: NodeDescription[];
}
export interface GlobalStoreDescription {
  id: number;
  source: NodeDescription;
  processor: NodeDescription;
}

function names(list: string[]): string {
  return list.length === 0 ? "none" : list.join(", ");
}

export function nodeToString(n: NodeDescription): string {
  if (n.kind === "source") {
    const topics = n.topics ? `[${n.topics.join(", ")}]` : n.topicPattern!;
    return `Source: ${n.name} (topics: ${topics})\n      --> ${names(n.successors)}`;
  }
  if (n.kind === "processor") {
    return `Processor: ${n.name} (stores: [${n.stores.join(", ")}])\n      --> ${names(n.successors)}\n      <-- ${names(n.predecessors)}`;
  }
  if (n.topic !== undefined) return `Sink: ${n.name} (topic: ${n.topic})\n      <-- ${names(n.predecessors)}`;
  return `Sink: ${n.name} (extractor class: ${n.extractorName})\n      <-- ${names(n.predecessors)}`;
}

export class TopologyDescription {
  private readonly subs: SubtopologyDescription[];
  private readonly globals: GlobalStoreDescription[];
  constructor(subs: SubtopologyDescription[], globals: GlobalStoreDescription[]) {
    this.subs = subs;
    this.globals = globals;
  }
  subtopologies(): SubtopologyDescription[] { return this.subs; }
  globalStores(): GlobalStoreDescription[] { return this.globals; }
  toString(): string {
    const parts: Array<{ id: number; text: string }> = [];
    for (const s of this.subs) {
      parts.push({ id: s.id, text: `Sub-topology: ${s.id}\n${s.nodes.map((n) => `    ${nodeToString(n)}\n`).join("")}\n` });
    }
    for (const g of this.globals) {
      parts.push({
        id: g.id,
        text: `Sub-topology: ${g.id} for global store (will not generate tasks)\n    ${nodeToString(g.source)}\n    ${nodeToString(g.processor)}\n`,
      });
    }
    parts.sort((a, b) => a.id - b.id);
    return "Topologies:\n " + parts.map((p) => "  " + p.text).join("");
  }
}

/** Java's String.hashCode spread as HashMap does: iteration order of Kafka's HashMap<String, …>. */
function javaHashOrder(names: string[]): string[] {
  let cap = 16;
  while (names.length > cap * 0.75) cap *= 2;
  const bucket = (name: string): number => {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (Math.imul(31, h) + name.charCodeAt(i)) | 0;
    return (h ^ (h >>> 16)) & (cap - 1);
  };
  return names.map((n, i) => ({ n, i, b: bucket(n) })).sort((a, b) => a.b - b.b || a.i - b.i).map((x) => x.n);
}

/**
 * Kafka's describeSubtopology: nodes are connected in HashMap order, each predecessor/successor set is a
 * TreeSet ordered by sub-tree size *at insertion time* (sizes grow as edges are added), then name.
 * We replay that, so arrows list nodes in the order Kafka prints them. `nodes` come in topology order.
 */
export function sortNodes(nodes: NodeDescription[]): NodeDescription[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const size = new Map(nodes.map((n) => [n.name, 1]));
  const parents = new Map(nodes.map((n) => [n.name, n.predecessors.filter((p) => byName.has(p))]));
  const preds = new Map<string, string[]>(nodes.map((n) => [n.name, []]));
  const succs = new Map<string, string[]>(nodes.map((n) => [n.name, []]));
  const cmp = (a: string, b: string): number => (a === b ? 0 : size.get(b)! - size.get(a)! || (a < b ? -1 : 1));
  // In-order result of inserting into a binary search tree with the comparisons made at that moment.
  const insert = (list: string[], name: string): void => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = cmp(name, list[mid]!);
      if (c === 0) return;
      if (c < 0) hi = mid;
      else lo = mid + 1;
    }
    list.splice(lo, 0, name);
  };
  const updateSize = (name: string, delta: number): void => {
    size.set(name, size.get(name)! + delta);
    for (const p of preds.get(name)!) updateSize(p, delta);
  };
  for (const name of javaHashOrder(nodes.map((n) => n.name))) {
    for (const p of parents.get(name)!) {
      insert(preds.get(name)!, p);
      insert(succs.get(p)!, name);
      updateSize(p, size.get(name)!);
    }
  }
  for (const n of nodes) {
    n.predecessors = preds.get(n.name)!;
    n.successors = succs.get(n.name)!;
  }
  return [...nodes].sort((a, b) => cmp(a.name, b.name));
}
