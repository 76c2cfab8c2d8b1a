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
    expect(parseGhlEvent({ type: "OpportunityUpdate", locationId: "loc-1", status: 7 })).toEqual({ ok: false, error: expect.stringContaining("status") });
    expect(parseGhlEvent([])).toEqual({ ok: false, error: "payload must be a JSON object" });
  });

  it("takes values GHL may add to its open-ended fields, so the event is stored rather than refused", () => {
    expect(parseGhlEvent({ type: "OpportunityUpdate", locationId: "loc-1", status: "archived" })).toMatchObject({ ok: true, event: { status: "archived" } });
    expect(parseGhlEvent({ type: "AppointmentUpdate", locationId: "loc-1", appointment: { appointmentStatus: "rescheduled" } })).toMatchObject({ ok: true });
    expect(parseGhlEvent({ type: "InboundMessage", locationId: "loc-1", direction: "internal" })).toMatchObject({ ok: true, event: { direction: "internal" } });
  });
});
