import { sql, type Kysely, type Migration } from "kysely";

/**
 * What the inbox workers need to share the work across tenants. The app role sees one
 * tenant at a time (row-level security), but a worker must pick due rows of every tenant
 * and check the ordering of each contact's events, so claiming is an owner-defined
 * SECURITY DEFINER function; finishing a row happens as the app role, bound to its tenant.
 *
 * A claimed row carries a lease (`locked_until`): when a worker dies mid-event the lease
 * runs out and the row is claimable again. `attempts` is bumped on every claim and serves
 * as the fencing token, so a worker whose lease was taken over cannot finish the row.
 */
export function addInboxClaims(appRole: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table bridge.inbox add column locked_until timestamptz`.execute(db);
      // Rows of one contact still to be applied, in apply order: what the ordering check reads.
      await sql`
        create index inbox_contact_unfinished on bridge.inbox (tenant_id, contact_key, event_timestamp, received_at)
          where status in ('PENDING', 'PROCESSING', 'RETRYING')`.execute(db);
      await sql`
        create function bridge.claim_inbox(p_limit integer, p_lease_ms integer, p_tenant_prefix text default null)
        returns table (
          id uuid, webhook_id text, tenant_id text, type text, contact_key text,
          payload jsonb, received_at timestamptz, attempts integer
        )
        language sql volatile security definer
        set search_path = pg_catalog, pg_temp
        as $$
          with due as (
            select i.id
            from bridge.inbox i
            where (p_tenant_prefix is null or starts_with(i.tenant_id, p_tenant_prefix))
              and (
                (i.status in ('PENDING', 'RETRYING') and i.next_attempt_at <= now())
                or (i.status = 'PROCESSING' and i.locked_until < now())
              )
              -- Order within a contact: nothing earlier still to do, and nothing of the
              -- contact in flight (an earlier event that arrived late must not overtake
              -- one being applied). Across contacts, anything goes.
              and (i.contact_key is null or not exists (
                select 1 from bridge.inbox e
                where e.tenant_id = i.tenant_id
                  and e.contact_key = i.contact_key
                  and e.id <> i.id
                  and e.status in ('PENDING', 'PROCESSING', 'RETRYING')
                  and (
                    (e.event_timestamp, e.received_at, e.id) < (i.event_timestamp, i.received_at, i.id)
                    or (e.status = 'PROCESSING' and e.locked_until >= now())
                  )
              ))
            order by i.next_attempt_at, i.received_at
            limit p_limit
            for update of i skip locked
          )
          update bridge.inbox t
          set status = 'PROCESSING',
              attempts = t.attempts + 1,
              locked_until = now() + make_interval(secs => p_lease_ms / 1000.0)
          from due
          where t.id = due.id
          returning t.id, t.webhook_id, t.tenant_id, t.type, t.contact_key, t.payload, t.received_at, t.attempts
        $$`.execute(db);
      await sql`revoke all on function bridge.claim_inbox(integer, integer, text) from public`.execute(db);
      await sql`grant execute on function bridge.claim_inbox(integer, integer, text) to ${sql.id(appRole)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop function bridge.claim_inbox(integer, integer, text)`.execute(db);
      await sql`drop index bridge.inbox_contact_unfinished`.execute(db);
      await sql`alter table bridge.inbox drop column locked_until`.execute(db);
    },
  };
}
