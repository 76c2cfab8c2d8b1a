import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables } from "../../../lib/db/migrate";

/**
 * What mirroring GHL needs beyond the lead itself: the deal value of its opportunity, the
 * GHL id of synced notes and a ledger of recorded messages. The two ids make replays of
 * the same webhook (the bridge retries after a crash) change nothing the second time.
 */
export function addGhlSync(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table leads.leads add column deal_value integer check (deal_value >= 0)`.execute(db);
      await sql`alter table leads.notes add column ghl_note_id text`.execute(db);
      await sql`create unique index notes_tenant_ghl on leads.notes (tenant_id, ghl_note_id) where ghl_note_id is not null`.execute(db);
      // Bodies stay in the events log (LeadMessageReceived), which is where readers get them:
      // this table only remembers which messages were recorded.
      await sql`
        create table leads.messages (
          tenant_id text not null,
          message_id text not null,
          lead_id uuid not null references leads.leads (id) on delete cascade,
          direction text not null,
          channel text not null,
          recorded_at timestamptz not null default now(),
          primary key (tenant_id, message_id)
        )`.execute(db);
      await sql`create index messages_lead on leads.messages (lead_id)`.execute(db);
      await grantTenantTables(db, "leads", ["messages"], appRole);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table leads.messages`.execute(db);
      await sql`drop index leads.notes_tenant_ghl`.execute(db);
      await sql`alter table leads.notes drop column ghl_note_id`.execute(db);
      await sql`alter table leads.leads drop column deal_value`.execute(db);
    },
  };
}
