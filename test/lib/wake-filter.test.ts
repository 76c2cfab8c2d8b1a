import { WakeFilter, parseEventNotification } from "../../lib/events/wake-filter";

describe("event notifications", () => {
  it("names the tenant, type and id, splitting from the right so a tenant may hold colons", () => {
    expect(parseEventNotification("acme:LeadCreated:42")).toEqual({ tenantId: "acme", type: "LeadCreated", id: 42 });
    expect(parseEventNotification("org:acme:LeadScored:7")).toEqual({ tenantId: "org:acme", type: "LeadScored", id: 7 });
  });

  it.each(["", "acme", "acme:LeadCreated", ":LeadCreated:1", "acme::1", "acme:LeadCreated:x", "acme:LeadCreated:0"])("reads %p as nothing it can name", (payload) => {
    expect(parseEventNotification(payload)).toBeUndefined();
  });
});

describe("which notifications wake a reader", () => {
  const wantsScores = (_tenant: string, type: string) => type === "LeadScored";

  it("skips events the reader does not want, and wakes for those it does", () => {
    const filter = new WakeFilter(wantsScores);
    expect(filter.wake("acme:WebhookProcessed:1")).toBe(false);
    expect(filter.wake("acme:LeadScored:2")).toBe(true);
  });

  it("wakes for anything while a wanted event it was told about is unread, then skips again", () => {
    const filter = new WakeFilter(wantsScores);
    expect(filter.wake("acme:LeadScored:5")).toBe(true);
    // Read, but #5 was still held behind an older transaction: the next commit may release it.
    filter.read([{ id: 3 }]);
    expect(filter.wake("acme:WebhookProcessed:6")).toBe(true);
    filter.read([{ id: 5 }, { id: 6 }]);
    expect(filter.wake("acme:WebhookProcessed:7")).toBe(false);
  });

  it("wakes for a payload it cannot read", () => {
    expect(new WakeFilter(wantsScores).wake("acme")).toBe(true);
  });

  it("forgets an announced event it never reads, so skipping resumes", () => {
    let now = 0;
    const filter = new WakeFilter(wantsScores, 1_000, () => now);
    expect(filter.wake("acme:LeadScored:9")).toBe(true);
    expect(filter.wake("acme:WebhookProcessed:10")).toBe(true);
    now = 1_500;
    expect(filter.wake("acme:WebhookProcessed:11")).toBe(false);
  });
});
