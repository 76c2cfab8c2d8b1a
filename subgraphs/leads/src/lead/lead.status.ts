import { LeadStatus } from "./lead.enums";

/**
 * Legal pipeline moves. Forward through the funnel, back one step where real deals go
 * back (a no-show, a contract that falls through), to CLOSED_LOST from any open stage,
 * and from CLOSED_LOST back to CONTACTED when a lost lead re-engages. CLOSED_WON is final.
 */
export const LEAD_TRANSITIONS: Readonly<Record<LeadStatus, readonly LeadStatus[]>> = {
  [LeadStatus.NEW]: [LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.CLOSED_LOST],
  [LeadStatus.CONTACTED]: [LeadStatus.QUALIFIED, LeadStatus.APPOINTMENT_SET, LeadStatus.CLOSED_LOST],
  [LeadStatus.QUALIFIED]: [LeadStatus.APPOINTMENT_SET, LeadStatus.UNDER_CONTRACT, LeadStatus.CLOSED_LOST],
  [LeadStatus.APPOINTMENT_SET]: [LeadStatus.QUALIFIED, LeadStatus.UNDER_CONTRACT, LeadStatus.CLOSED_LOST],
  [LeadStatus.UNDER_CONTRACT]: [LeadStatus.QUALIFIED, LeadStatus.CLOSED_WON, LeadStatus.CLOSED_LOST],
  [LeadStatus.CLOSED_WON]: [],
  [LeadStatus.CLOSED_LOST]: [LeadStatus.CONTACTED],
};

/** Whether a lead may move from `from` to `to`. */
export function canTransition(from: LeadStatus, to: LeadStatus): boolean {
  return LEAD_TRANSITIONS[from].includes(to);
}
