import type { Insertable, Kysely } from "kysely";
import { withTenant } from "../../lib/db/tenant";
import { appendEvent } from "../../lib/events/event-log";
import { uuidv7 } from "../../lib/ids";
import type { IntelligenceDatabase, PropertyTable } from "../../subgraphs/intelligence/src/database";
import { insertProperties } from "../../subgraphs/intelligence/src/property/property.repository";
import type { LeadTable, LeadsDatabase } from "../../subgraphs/leads/src/database";
import { insertLead } from "../../subgraphs/leads/src/lead/lead.repository";
import { leadSnapshot } from "../../subgraphs/leads/src/lead/lead.service";
import { insertNote } from "../../subgraphs/leads/src/note/note.repository";

/** A minimal valid lead row for `tenant`; `overrides` set whatever a test cares about. */
export function leadRow(tenant: string, overrides: Partial<Insertable<LeadTable>> = {}): Insertable<LeadTable> {
  return {
    id: uuidv7(),
    tenant_id: tenant,
    ghl_contact_id: null,
    first_name: "Test",
    last_name: "Lead",
    email: null,
    phone: null,
    source: "OTHER",
    status: "NEW",
    tags: [],
    budget_min: null,
    budget_max: null,
    timeline: "UNKNOWN",
    financing: "UNKNOWN",
    property_types: [],
    preferred_areas: [],
    bedrooms_min: null,
    assigned_to: null,
    do_not_contact: false,
    ...overrides,
  };
}

/**
 * Inserts `count` simple leads (with `notesPerLead` notes each) for `tenant`; returns their
 * ids in creation order. With `announce`, each also gets its `LeadCreated` event, as the
 * leads subgraph would append, so intelligence scores it.
 */
export async function insertLeads(db: Kysely<LeadsDatabase>, tenant: string, count: number, notesPerLead = 0, options: { announce?: boolean } = {}): Promise<string[]> {
  return withTenant(db, tenant, async (trx) => {
    const ids: string[] = [];
    const base = Date.now() - count * 1000;
    for (let i = 0; i < count; i++) {
      const createdAt = new Date(base + i * 1000);
      const row = await insertLead(
        trx,
        leadRow(tenant, {
          id: uuidv7(createdAt.getTime()),
          first_name: `First${String(i).padStart(4, "0")}`,
          last_name: `Last${String(count - i).padStart(4, "0")}`,
          email: `lead${i}@example.com`,
          source: i % 2 ? "ZILLOW" : "WEBSITE",
          tags: i % 3 === 0 ? ["investor"] : [],
          created_at: createdAt,
          updated_at: createdAt,
        }),
      );
      ids.push(row!.id);
      if (options.announce) await appendEvent(trx, "fixture", { type: "LeadCreated", tenantId: tenant, aggregateId: row!.id, payload: { lead: leadSnapshot(row!) } });
      for (let n = 0; n < notesPerLead; n++) {
        await insertNote(trx, { id: uuidv7(), tenant_id: tenant, lead_id: row!.id, body: `note ${n}`, author: "fixture", created_at: new Date(createdAt.getTime() + n) });
      }
    }
    return ids;
  });
}

/** A listing row for `tenant`: an active 3-bed single-family home in Round Rock unless `overrides` say otherwise. */
export function listingRow(tenant: string, overrides: Partial<Insertable<PropertyTable>> = {}): Insertable<PropertyTable> {
  const id = overrides.id ?? uuidv7();
  return {
    id,
    tenant_id: tenant,
    mls_number: `T${id.slice(-7)}`,
    address: "100 Test St",
    city: "Round Rock",
    area: "Round Rock",
    price: 400_000,
    bedrooms: 3,
    bathrooms: 2,
    square_feet: 1_800,
    property_type: "SINGLE_FAMILY",
    status: "ACTIVE",
    listed_at: new Date(Date.now() - 3 * 86_400_000),
    ...overrides,
  };
}

/** Inserts listings for `tenant`; returns their ids in the order given. */
export async function insertListings(db: Kysely<IntelligenceDatabase>, tenant: string, rows: readonly Partial<Insertable<PropertyTable>>[]): Promise<string[]> {
  const listings = rows.map((overrides) => listingRow(tenant, overrides));
  await withTenant(db, tenant, (trx) => insertProperties(trx, listings));
  return listings.map((listing) => listing.id);
}
