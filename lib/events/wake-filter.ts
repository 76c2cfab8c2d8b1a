import type { StoredEvent } from "./event-types";

/** What a notification on the events channel names: one appended event. */
export interface EventNotification {
  tenantId: string;
  type: string;
  id: number;
}

/**
 * Reads a notification's payload, `<tenant>:<type>:<id>` (the tenant may itself hold
 * colons, so it is split from the right); undefined for anything else.
 */
export function parseEventNotification(payload: string): EventNotification | undefined {
  const idAt = payload.lastIndexOf(":");
  const typeAt = idAt > 0 ? payload.lastIndexOf(":", idAt - 1) : -1;
  if (typeAt <= 0) return undefined;
  const id = Number(payload.slice(idAt + 1));
  const type = payload.slice(typeAt + 1, idAt);
  if (!Number.isSafeInteger(id) || id <= 0 || type === "") return undefined;
  return { tenantId: payload.slice(0, typeAt), type, id };
}

/**
 * Which notifications wake a reader of the log that wants only some events: every event
 * wakes every reader otherwise, and each wake-up costs a read. A notification of an event
 * it does not want is skipped, except while an event it was told about and wants has not
 * been read yet: that one may be held behind an older transaction still in flight (see
 * `readEvents`), and the next commit of any type may be what releases it. A payload it
 * cannot read always wakes.
 *
 * An announced event this reader never reads (one below a tail's starting point, one a
 * replica of the consumer applied) is forgotten after `forgetAfterMs`; by then the reader's
 * poll has read anything still due, so forgetting costs no event, only the extra wake-ups.
 */
export class WakeFilter {
  /** Ids of wanted events announced and not yet read, with when they were announced, oldest first. */
  private readonly owed = new Map<number, number>();

  constructor(
    private readonly wants: (tenantId: string, type: string) => boolean,
    private readonly forgetAfterMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the notification with `payload` should make the reader read. */
  wake(payload: string): boolean {
    const named = parseEventNotification(payload);
    if (!named) return true;
    if (this.wants(named.tenantId, named.type)) {
      this.owed.set(named.id, this.now());
      return true;
    }
    this.forgetStale();
    return this.owed.size > 0;
  }

  /** The reader has read `events`: what it was owed among them is settled. */
  read(events: readonly Pick<StoredEvent, "id">[]): void {
    for (const event of events) this.owed.delete(event.id);
  }

  private forgetStale(): void {
    const cutoff = this.now() - this.forgetAfterMs;
    for (const [id, announcedAt] of this.owed) {
      if (announcedAt > cutoff) return;
      this.owed.delete(id);
    }
  }
}
