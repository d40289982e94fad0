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

/** Sort as Kafka's NodeComparator: larger sub-tree first, then name. */
export function sortNodes(nodes: NodeDescription[]): NodeDescription[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const memo = new Map<string, number>();
  const size = (name: string): number => {
    const cached = memo.get(name);
    if (cached !== undefined) return cached;
    const n = byName.get(name)!;
    const s = 1 + n.successors.filter((c) => byName.has(c)).reduce((acc, c) => acc + size(c), 0);
    memo.set(name, s);
    return s;
  };
  const cmp = (a: string, b: string): number => size(b) - size(a) || (a < b ? -1 : a > b ? 1 : 0);
  for (const n of nodes) {
    n.successors.sort(cmp);
    n.predecessors.sort(cmp);
  }
  return [...nodes].sort((a, b) => cmp(a.name, b.name));
}
