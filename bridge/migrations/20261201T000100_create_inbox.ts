import { sql, type Kysely, type Migration } from "kysely";
import { grantTenantTables } from "../../lib/db/migrate";

/**
 * The bridge's inbox: every accepted GHL webhook, stored before it is acknowledged (GHL
 * never sends an acknowledged event again), then worked through by the processing side.
 * Tenant-scoped with row-level security.
 */
export function createInbox(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`
        create table bridge.inbox (
          id uuid primary key,
          webhook_id text not null,
          tenant_id text not null,
          type text not null,
          contact_key text,
          event_timestamp timestamptz not null,
          payload jsonb not null,
          received_at timestamptz not null default now(),
          status text not null check (status in ('PENDING', 'IGNORED', 'PROCESSING', 'APPLIED', 'RETRYING', 'DEAD')),
          attempts integer not null default 0,
          next_attempt_at timestamptz not null default now(),
          last_error text,
          processed_at timestamptz,
          -- GHL retries a delivery with the same webhookId: what makes a retry a no-op.
          unique (tenant_id, webhook_id)
        )`.execute(db);
      // The worker's claim: due rows of a status, oldest first.
      await sql`create index inbox_status_due on bridge.inbox (status, next_attempt_at)`.execute(db);
      // Events about one contact are applied in the order GHL stamped them.
      await sql`create index inbox_contact_order on bridge.inbox (tenant_id, contact_key, event_timestamp)`.execute(db);
      await grantTenantTables(db, "bridge", ["inbox"], appRole);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table bridge.inbox`.execute(db);
    },
  };
}
