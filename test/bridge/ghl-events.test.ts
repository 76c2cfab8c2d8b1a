import { contactKeyOf, parseGhlEvent } from "../../bridge/src/intake/ghl-events";

describe("parseGhlEvent", () => {
  it("reads a null field as absent", () => {
    const parsed = parseGhlEvent({ type: "OpportunityStatusUpdate", locationId: "loc-1", contactId: null, monetaryValue: null, status: "won" });
    expect(parsed).toMatchObject({ ok: true, event: { type: "OpportunityStatusUpdate", status: "won" } });
    if (parsed.ok) expect(contactKeyOf(parsed.event)).toBeNull();
  });

  it("tells an unsupported type from an invalid payload", () => {
    expect(parseGhlEvent({ type: "ConversationUnreadUpdate", locationId: "loc-1" })).toEqual({ ok: false, unsupported: true, type: "ConversationUnreadUpdate" });
    expect(parseGhlEvent({ type: "ContactUpdate" })).toEqual({ ok: false, error: expect.stringContaining("locationId") });
    expect(parseGhlEvent({ type: "OpportunityUpdate", locationId: "loc-1", status: "maybe" })).toEqual({ ok: false, error: expect.stringContaining("status") });
    expect(parseGhlEvent([])).toEqual({ ok: false, error: "payload must be a JSON object" });
  });
});
