import { LeadStatus } from "../../subgraphs/leads/src/lead/lead.enums";
import { makeRand } from "./random";

/** One pipeline move of a seed lead. */
export interface SeedStatusMove {
  from: LeadStatus;
  to: LeadStatus;
  at: Date;
}

const FORWARD = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.APPOINTMENT_SET, LeadStatus.UNDER_CONTRACT, LeadStatus.CLOSED_WON];
const HOUR = 3_600_000;

/**
 * The legal moves that took a seed lead from NEW to its status, dated between its creation
 * and its last update: first contact within minutes to two days (what speed-to-lead reports
 * measure), later moves spread evenly. Lost leads were lost after a first contact.
 * Deterministic per (tenant, index).
 */
export function statusHistory(lead: { status: LeadStatus; createdAt: Date; updatedAt: Date }, tenant: string, index: number): SeedStatusMove[] {
  const path = lead.status === LeadStatus.CLOSED_LOST ? [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.CLOSED_LOST] : FORWARD.slice(0, FORWARD.indexOf(lead.status) + 1);
  if (path.length < 2) return [];
  const r = makeRand(`${tenant}:status-history:${index}`);
  const created = lead.createdAt.getTime();
  const span = Math.max(lead.updatedAt.getTime() - created, HOUR);
  // Most leads hear back within hours; some wait a day or two.
  const firstContact = created + Math.min(span, r.chance(0.7) ? r.between(0.1, 6) * HOUR : r.between(6, 48) * HOUR);
  const moves: SeedStatusMove[] = [];
  for (let step = 1; step < path.length; step++) {
    const at = step === 1 ? firstContact : firstContact + ((created + span - firstContact) * (step - 1)) / (path.length - 2);
    moves.push({ from: path[step - 1]!, to: path[step]!, at: new Date(Math.round(at)) });
  }
  return moves;
}
