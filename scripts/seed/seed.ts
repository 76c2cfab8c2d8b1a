import { sql, type Kysely } from "kysely";
import { withTenant } from "../../lib/db/tenant";
import { appendEvent } from "../../lib/events/event-log";
import { uuidv7 } from "../../lib/ids";
import type { LeadsDatabase } from "../../subgraphs/leads/src/database";
import { insertLead } from "../../subgraphs/leads/src/lead/lead.repository";
import { leadSnapshot } from "../../subgraphs/leads/src/lead/lead.service";
import { insertNote } from "../../subgraphs/leads/src/note/note.repository";
import { generateLeads } from "./lead-generator";

/** The demo tenants `npm start` seeds. */
export const DEMO_TENANTS: readonly string[] = ["demo", "acme"];

/** What seeding did for one tenant. */
export interface SeedResult {
  tenant: string;
  /** False when the tenant already had leads and was left alone. */
  seeded: boolean;
  leads: number;
  notes: number;
  events: number;
}

const PRODUCER = "seed";

/**
 * Seeds each tenant that has no leads yet with generated leads, their notes and one
 * `LeadCreated` event per lead, all in one transaction per tenant (so a tenant is seeded
 * completely or not at all). Tenants that already have leads are left alone, which makes
 * it safe to run on every start. Connect as the app role: row-level security applies.
 */
export async function seedTenants(
  appDb: Kysely<LeadsDatabase>,
  tenants: readonly string[] = DEMO_TENANTS,
  leadsPerTenant = 320,
  now: Date = new Date(),
): Promise<SeedResult[]> {
  const results: SeedResult[] = [];
  for (const tenant of tenants) {
    results.push(
      await withTenant(appDb, tenant, async (trx) => {
        // Two processes starting at once must not both see an empty tenant and seed it twice.
        await sql`select pg_advisory_xact_lock(hashtext(${`seed:${tenant}`}))`.execute(trx);
        const existing = await trx.selectFrom("leads.leads").select("id").where("tenant_id", "=", tenant).limit(1).executeTakeFirst();
        if (existing) return { tenant, seeded: false, leads: 0, notes: 0, events: 0 };

        let notes = 0;
        const generated = generateLeads(tenant, leadsPerTenant, now);
        for (const lead of generated) {
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
          await appendEvent(trx, PRODUCER, { type: "LeadCreated", tenantId: tenant, aggregateId: row.id, payload: { lead: leadSnapshot(row) } });
        }
        return { tenant, seeded: true, leads: generated.length, notes, events: generated.length };
      }),
    );
  }
  return results;
}
