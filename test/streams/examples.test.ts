/**
 * examples/streams/: each app's topology on the TopologyTestDriver. The examples import "kstream/streams"
 * as a user's app does; here that specifier is pointed at the sources (under `kstream streams run` the
 * CLI's resolution hook does it).
 */
import { describe, expect, it, vi } from "vitest";
import { KeyValue, Serdes, TopologyTestDriver } from "../../src/streams/index.ts";

vi.mock("kstream/streams", () => import("../../src/streams/index.ts"));

const MIN = 60_000;

describe("examples/streams/page-views: windowed page views per user", () => {
  it("emits one final count per user and minute once the window closes (grace 10 s)", async () => {
    const { pageViewsTopology } = await import("../../examples/streams/page-views.topology.ts");
    const driver = new TopologyTestDriver(pageViewsTopology(), { "application.id": "page-views" });
    const input = driver.createInputTopic("page-views", Serdes.String(), Serdes.JSON<{ page: string }>());
    const output = driver.createOutputTopic("page-views-per-user", Serdes.String(), Serdes.Long());
    input.pipeInput("alice", { page: "/" }, 0);
    input.pipeInput("alice", { page: "/a" }, 30_000);
    input.pipeInput("bob", { page: "/" }, 59_999);
    input.pipeInput("alice", { page: "/b" }, MIN + 1); // next window; stream time 60 001 < 60 000 + grace
    expect(output.isEmpty()).toBe(true);
    input.pipeInput("alice", { page: "/late" }, 50_000); // late but within grace: counted in window 0
    input.pipeInput("bob", { page: "/" }, MIN + 10_000); // stream time reaches end + grace: window 0 closes
    expect(output.readKeyValuesToList()).toEqual([new KeyValue("alice@1970-01-01T00:00:00.000Z", 3), new KeyValue("bob@1970-01-01T00:00:00.000Z", 1)]);
    input.pipeInput("alice", { page: "/too-late" }, 10_000); // after the window closed: dropped
    input.pipeInput("carol", { page: "/" }, 2 * MIN + 10_000);
    expect(output.readKeyValuesToList()).toEqual([new KeyValue("alice@1970-01-01T00:01:00.000Z", 1), new KeyValue("bob@1970-01-01T00:01:00.000Z", 1)]);
    driver.close();
  });
});

describe("examples/streams/order-enrichment: stream-table join", () => {
  it("enriches each order with the customer's current row; unknown customers get null", async () => {
    const { orderEnrichmentTopology } = await import("../../examples/streams/order-enrichment.topology.ts");
    const driver = new TopologyTestDriver(orderEnrichmentTopology(), { "application.id": "order-enrichment" });
    const customers = driver.createInputTopic("customers", Serdes.String(), Serdes.JSON<{ name: string; tier: string }>());
    const orders = driver.createInputTopic("orders", Serdes.String(), Serdes.JSON<{ orderId: string; amount: number }>());
    const out = driver.createOutputTopic("orders-enriched", Serdes.String(), Serdes.JSON<Record<string, unknown>>());
    customers.pipeInput("c1", { name: "Ada", tier: "gold" }, 1);
    orders.pipeInput("c1", { orderId: "o1", amount: 10 }, 2);
    orders.pipeInput("c2", { orderId: "o2", amount: 5 }, 3);
    customers.pipeInput("c1", { name: "Ada", tier: "silver" }, 4); // a table update emits nothing
    orders.pipeInput("c1", { orderId: "o3", amount: 7 }, 5);
    const got = out.readRecordsToList();
    expect(got.map((r) => [r.key(), r.value(), r.timestamp()])).toEqual([
      ["c1", { orderId: "o1", amount: 10, customerId: "c1", customer: { name: "Ada", tier: "gold" } }, 2],
      ["c2", { orderId: "o2", amount: 5, customerId: "c2", customer: null }, 3],
      ["c1", { orderId: "o3", amount: 7, customerId: "c1", customer: { name: "Ada", tier: "silver" } }, 5],
    ]);
    expect(driver.getKeyValueStore<string, { tier: string }>("customers-store")!.get("c1")!.tier).toBe("silver");
    driver.close();
  });
});
