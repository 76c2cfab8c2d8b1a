import { LeadStatus } from "../../../leads/src/lead/lead.enums";

/** The pipeline in order; a lead that reached a stage counts as having reached every one before it. */
export const PIPELINE: readonly LeadStatus[] = [
  LeadStatus.NEW,
  LeadStatus.CONTACTED,
  LeadStatus.QUALIFIED,
  LeadStatus.APPOINTMENT_SET,
  LeadStatus.UNDER_CONTRACT,
  LeadStatus.CLOSED_WON,
];

/** Stage index of a status; CLOSED_LOST (and anything unknown) is off the pipeline: -1. */
export function stageOf(status: string): number {
  return PIPELINE.indexOf(status as LeadStatus);
}

/** Index of QUALIFIED in {@link PIPELINE}. */
export const QUALIFIED_STAGE = stageOf(LeadStatus.QUALIFIED);
/** Index of CLOSED_WON in {@link PIPELINE}. */
export const WON_STAGE = stageOf(LeadStatus.CLOSED_WON);
