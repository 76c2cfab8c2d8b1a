import { sql, type Kysely, type Migration } from "kysely";

/**
 * Finishing a webhook in one round trip: the row's outcome and its `WebhookProcessed`
 * event, in one statement that is its own transaction (it used to take five: begin, the
 * tenant, the update, the append, commit). It runs as the caller, so row-level security
 * applies once the tenant is bound, and it appends through `events.append` like every
 * other writer. Returns the time from receipt in milliseconds, or null when the row's
 * lease was lost (its attempt no longer matches) and nothing was written.
 */
export function addFinishInbox(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`
        create function bridge.finish_inbox(p_tenant text, p_id uuid, p_attempts integer, p_status text, p_note text, p_producer text)
        returns double precision
        language plpgsql volatile
        set search_path = pg_catalog, pg_temp
        as $$
        declare
          finished record;
        begin
          perform set_config('app.tenant_id', p_tenant, true);
          perform events.begin_append();
          update bridge.inbox i
          set status = p_status, last_error = p_note, processed_at = now(), locked_until = null
          where i.tenant_id = p_tenant and i.id = p_id and i.status = 'PROCESSING' and i.attempts = p_attempts
          returning i.webhook_id, i.type, greatest(0, extract(epoch from (now() - i.received_at)) * 1000)::double precision as latency_ms
          into finished;
          if not found then
            return null;
          end if;
          perform events.append(
            p_tenant, 'WebhookProcessed', finished.webhook_id,
            jsonb_build_object('webhookType', finished.type, 'latencyMs', finished.latency_ms, 'outcome', p_status),
            p_producer
          );
          return finished.latency_ms;
        end
        $$`.execute(db);
      await sql`revoke all on function bridge.finish_inbox(text, uuid, integer, text, text, text) from public`.execute(db);
      await sql`grant execute on function bridge.finish_inbox(text, uuid, integer, text, text, text) to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop function bridge.finish_inbox(text, uuid, integer, text, text, text)`.execute(db);
    },
  };
}
