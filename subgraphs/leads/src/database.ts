import type { ColumnType, Generated, Selectable } from "kysely";

/** `leads.leads`: one row per lead, owned by a tenant. */
export interface LeadTable {
  id: string;
  tenant_id: string;
  ghl_contact_id: string | null;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  source: string;
  status: string;
  tags: string[];
  budget_min: number | null;
  budget_max: number | null;
  timeline: string;
  financing: string;
  property_types: string[];
  preferred_areas: string[];
  bedrooms_min: number | null;
  assigned_to: string | null;
  do_not_contact: boolean;
  /** Value of the lead's GHL opportunity, whole dollars like the budgets; optional on insert. */
  deal_value: ColumnType<number | null, number | null | undefined, number | null>;
  version: Generated<number>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /** Generated: lower(last name, first name), the NAME sort key. */
  sort_name: ColumnType<string, never, never>;
  /** Generated: name, email and phone, lower-cased, for free-text search. */
  search_text: ColumnType<string, never, never>;
}

/** `leads.notes`: notes realtors write on a lead. */
export interface NoteTable {
  id: string;
  tenant_id: string;
  lead_id: string;
  body: string;
  author: string;
  /** The GHL note this mirrors (synced notes only); optional on insert. */
  ghl_note_id: ColumnType<string | null, string | null | undefined, never>;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** `leads.messages`: which GHL messages were recorded for a lead (bodies live in the events log). */
export interface MessageTable {
  tenant_id: string;
  message_id: string;
  lead_id: string;
  direction: string;
  channel: string;
  recorded_at: ColumnType<Date, Date | undefined, never>;
}

/** `leads.appointments`: GHL appointments of a lead, each at the newest version delivered. */
export interface AppointmentTable {
  id: string;
  tenant_id: string;
  ghl_appointment_id: string;
  lead_id: string;
  calendar_id: string | null;
  /** An `AppointmentStatus` name. */
  status: string;
  title: string | null;
  start_time: Date;
  end_time: Date;
  /** GHL's stamp of the version stored: an older delivery changes nothing. */
  ghl_updated_at: Date;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** `leads.deleted_appointments`: GHL appointments deleted, so a late update cannot bring one back. */
export interface DeletedAppointmentTable {
  tenant_id: string;
  ghl_appointment_id: string;
  /** GHL's stamp of the deletion. */
  deleted_at: Date;
}

/** The tables the leads subgraph owns, as Kysely sees them. */
export interface LeadsDatabase {
  "leads.leads": LeadTable;
  "leads.notes": NoteTable;
  "leads.messages": MessageTable;
  "leads.appointments": AppointmentTable;
  "leads.deleted_appointments": DeletedAppointmentTable;
}

/** A lead row as read. */
export type LeadRow = Selectable<LeadTable>;
/** A note row as read. */
export type NoteRow = Selectable<NoteTable>;
/** An appointment row as read. */
export type AppointmentRow = Selectable<AppointmentTable>;
