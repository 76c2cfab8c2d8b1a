import { sql, type Kysely } from "kysely";
import { createDatabase } from "../../lib/db/database";
import { withTenant } from "../../lib/db/tenant";
import { appendEvent } from "../../lib/events/event-log";
import { uuidv7 } from "../../lib/ids";
import { Role } from "../../lib/auth/roles";
import { provisionAccount } from "../../subgraphs/billing/src/account/account.service";
import type { BillingDatabase } from "../../subgraphs/billing/src/database";
import { PlanCode } from "../../subgraphs/billing/src/plan/plan.catalog";
import type { IntelligenceDatabase } from "../../subgraphs/intelligence/src/database";
import { insertProperties } from "../../subgraphs/intelligence/src/property/property.repository";
import type { LeadsDatabase } from "../../subgraphs/leads/src/database";
import { LeadStatus } from "../../subgraphs/leads/src/lead/lead.enums";
import { insertLead } from "../../subgraphs/leads/src/lead/lead.repository";
import { leadSnapshot } from "../../subgraphs/leads/src/lead/lead.service";
import { insertNote } from "../../subgraphs/leads/src/note/note.repository";
import { generateLeads } from "./lead-generator";
import { generateInboundMessages } from "./message-generator";
import { generateListings } from "./property-generator";
import { statusHistory } from "./status-history";

/** Handles over the app role's connection, one per subgraph whose tables seeding writes. */
export interface SeedDatabases {
  leads: Kysely<LeadsDatabase>;
  intelligence: Kysely<IntelligenceDatabase>;
  billing: Kysely<BillingDatabase>;
}

/** Each demo tenant's billing account: one past its trial on Professional, one trialing Starter. */
const DEMO_ACCOUNTS: Readonly<Record<string, { name: string; plan: PlanCode; trialDays: number }>> = {
  demo: { name: "Demo Realty", plan: PlanCode.PROFESSIONAL, trialDays: 0 },
  acme: { name: "Acme Homes", plan: PlanCode.STARTER, trialDays: 14 },
};

/** The demo tenants `npm start` seeds. */
export const DEMO_TENANTS: readonly string[] = ["demo", "acme"];

/** What seeding did for one tenant. */
export interface SeedResult {
  tenant: string;
  /** False when the tenant already had leads and was left alone. */
  seeded: boolean;
  leads: number;
  notes: number;
  /** Inbound messages, appended as `LeadMessageReceived` for intelligence to read. */
  messages: number;
  listings: number;
  events: number;
}

const PRODUCER = "seed";

/** Listings per seeded tenant: enough that most leads' searches find several. */
const LISTINGS_PER_TENANT = 2_400;

/**
 * Seeds each tenant: its billing account (demo tenants; idempotent), then, when it has no
 * leads yet, first its MLS listings (idempotent by MLS
 * number, committed before any lead, so the intelligence consumer never scores a lead
 * against an empty market), then in one transaction its leads, their notes, one
 * `LeadCreated` event per lead (as NEW) and a `LeadStatusChanged` per pipeline move up to its
 * status, dated in the past, and a `LeadMessageReceived` per inbound message (so a
 * tenant's leads are seeded completely or not at all). Tenants that already have leads are
 * left alone, which makes it safe to run on every start. Connect as the app role:
 * row-level security applies.
 */
export async function seedTenants(
  dbs: SeedDatabases,
  tenants: readonly string[] = DEMO_TENANTS,
  leadsPerTenant = 320,
  now: Date = new Date(),
): Promise<SeedResult[]> {
  const results: SeedResult[] = [];
  for (const tenant of tenants) {
    const account = DEMO_ACCOUNTS[tenant];
    // Idempotent: a tenant that already has its account keeps it as it is.
    if (account) await provisionAccount(dbs.billing, { sub: PRODUCER, tenant, role: Role.ADMIN, scopes: [] }, account, now);
    const existing = await withTenant(dbs.leads, tenant, (trx) =>
      trx.selectFrom("leads.leads").select("id").where("tenant_id", "=", tenant).limit(1).executeTakeFirst(),
    );
    if (existing) {
      results.push({ tenant, seeded: false, leads: 0, notes: 0, messages: 0, listings: 0, events: 0 });
      continue;
    }
    const listings = await withTenant(dbs.intelligence, tenant, (trx) =>
      insertProperties(
        trx,
        generateListings(tenant, LISTINGS_PER_TENANT, now).map((listing) => ({
          id: uuidv7(listing.listedAt.getTime()),
          tenant_id: tenant,
          mls_number: listing.mlsNumber,
          address: listing.address,
          city: listing.city,
          area: listing.area,
          price: listing.price,
          bedrooms: listing.bedrooms,
          bathrooms: listing.bathrooms,
          square_feet: listing.squareFeet,
          property_type: listing.propertyType,
          status: listing.status,
          listed_at: listing.listedAt,
        })),
      ),
    );
    results.push(
      await withTenant(dbs.leads, tenant, async (trx) => {
        // Two processes starting at once must not both see an empty tenant and seed it twice.
        await sql`select pg_advisory_xact_lock(hashtext(${`seed:${tenant}`}))`.execute(trx);
        const raced = await trx.selectFrom("leads.leads").select("id").where("tenant_id", "=", tenant).limit(1).executeTakeFirst();
        if (raced) return { tenant, seeded: false, leads: 0, notes: 0, messages: 0, listings, events: 0 };
        let notes = 0;
        let messages = 0;
        let statusMoves = 0;
        const generated = generateLeads(tenant, leadsPerTenant, now);
        for (const [index, lead] of generated.entries()) {
          const moves = statusHistory(lead, tenant, index);
          statusMoves += moves.length;
          const row = await insertLead(trx, {
            id: uuidv7(lead.createdAt.getTime()),
            tenant_id: tenant,
            ghl_contact_id: lead.ghlContactId,
            first_name: lead.firstName,
            last_name: lead.lastName,
            email: lead.email,
            phone: lead.phone,
            source: lead.source,
            status: lead.status,
            tags: lead.tags,
            budget_min: lead.budgetMin,
            budget_max: lead.budgetMax,
            timeline: lead.timeline,
            financing: lead.financing,
            property_types: lead.propertyTypes,
            preferred_areas: lead.preferredAreas,
            bedrooms_min: lead.bedroomsMin,
            assigned_to: lead.assignedTo,
            do_not_contact: lead.doNotContact,
            created_at: lead.createdAt,
            updated_at: lead.updatedAt,
            // Each move below is one version, as if the leads subgraph had made it.
            version: 1 + moves.length,
          });
          if (!row) throw new Error(`seed lead ${lead.ghlContactId} of tenant ${tenant} already exists`);
          for (const note of lead.notes) {
            await insertNote(trx, {
              id: uuidv7(note.createdAt.getTime()),
              tenant_id: tenant,
              lead_id: row.id,
              body: note.body,
              author: note.author,
              created_at: note.createdAt,
            });
            notes++;
          }
          // Dated as the lead was created, so analytics sees 180 days of history, not one busy second.
          const created = { ...leadSnapshot(row), status: LeadStatus.NEW, version: 1 };
          await appendEvent(trx, PRODUCER, { type: "LeadCreated", tenantId: tenant, aggregateId: row.id, payload: { lead: created }, occurredAt: lead.createdAt });
          for (const [i, move] of moves.entries()) {
            await appendEvent(trx, PRODUCER, {
              type: "LeadStatusChanged",
              tenantId: tenant,
              aggregateId: row.id,
              payload: { from: move.from, to: move.to, version: i + 2 },
              occurredAt: move.at,
            });
          }
          for (const [i, message] of generateInboundMessages(lead, index, tenant, now).entries()) {
            await appendEvent(trx, PRODUCER, {
              type: "LeadMessageReceived",
              tenantId: tenant,
              aggregateId: row.id,
              payload: { messageId: `seed-${row.id}-${i}`, direction: "INBOUND", channel: message.channel, body: message.body },
              occurredAt: message.receivedAt,
            });
            messages++;
          }
        }
        return { tenant, seeded: true, leads: generated.length, notes, messages, listings, events: generated.length + messages + statusMoves };
      }),
    );
  }
  return results;
}

/** Seeds `tenants` (default: the demo tenants) over the app role's connection string. */
export async function seedDatabase(appUrl: string, tenants: readonly string[] = DEMO_TENANTS, leadsPerTenant?: number): Promise<SeedResult[]> {
  const dbs: SeedDatabases = {
    leads: createDatabase<LeadsDatabase>(appUrl, { name: "seed", poolSize: 1 }),
    intelligence: createDatabase<IntelligenceDatabase>(appUrl, { name: "seed", poolSize: 1 }),
    billing: createDatabase<BillingDatabase>(appUrl, { name: "seed", poolSize: 1 }),
  };
  try {
    return await seedTenants(dbs, tenants, leadsPerTenant);
  } finally {
    await Promise.all([dbs.leads.destroy(), dbs.intelligence.destroy(), dbs.billing.destroy()]);
  }
}
