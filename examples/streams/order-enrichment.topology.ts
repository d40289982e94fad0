// Orders enriched with their customer (stream-table join on customer id). Input `orders`: key = customer
// id, value = JSON Order; `customers` (a table, compacted): key = customer id, value = JSON Customer.
// Output `orders-enriched`: JSON EnrichedOrder; orders of unknown customers get customer null (left join).
import { Consumed, Joined, Materialized, Produced, Serdes, StreamsBuilder } from "kstream/streams";
import type { Topology } from "kstream/streams";

export interface Order {
  orderId: string;
  amount: number;
}
export interface Customer {
  name: string;
  tier: "gold" | "silver" | "standard";
}
export interface EnrichedOrder extends Order {
  customerId: string;
  customer: Customer | null;
}

export function orderEnrichmentTopology(): Topology {
  const builder = new StreamsBuilder();
  const customers = builder.table("customers", Consumed.with(Serdes.String(), Serdes.JSON<Customer>()), Materialized.as("customers-store"));
  builder
    .stream("orders", Consumed.with(Serdes.String(), Serdes.JSON<Order>()))
    .leftJoin(
      customers,
      (customerId: string, order: Order, customer: Customer | null): EnrichedOrder => ({ ...order, customerId, customer }),
      Joined.with(Serdes.String(), Serdes.JSON<Order>(), Serdes.JSON<Customer>()),
    )
    .to("orders-enriched", Produced.with(Serdes.String(), Serdes.JSON<EnrichedOrder>()));
  return builder.build();
}
