import type DataLoader from "dataloader";
import type { Kysely } from "kysely";
import type { IdentityContext } from "../../../lib/server/federated-schema";
import type { SnapshotFeed } from "../../../lib/server/snapshot-feed";
import type { BillingDatabase } from "./database";
import type { InvoiceLine } from "./invoice/invoice.type";
import type { Usage } from "./usage/usage.type";

/** Per-request DataLoaders of the billing subgraph. */
export interface BillingLoaders {
  /** The lines of every invoice on a page: one statement. */
  invoiceLines: DataLoader<string, InvoiceLine[]>;
}

/** Per-request context of the billing subgraph. */
export interface BillingContext extends IdentityContext {
  db: Kysely<BillingDatabase>;
  loaders: BillingLoaders;
  /** Live usage, shared per tenant by the process's subscribers. */
  usage: SnapshotFeed<Usage>;
}
