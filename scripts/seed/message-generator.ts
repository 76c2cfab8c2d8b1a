import { MessageChannel } from "../../subgraphs/intelligence/src/insight/insight.enums";
import { BuyingTimeline } from "../../subgraphs/leads/src/lead/lead.enums";
import { findMarketArea } from "../../subgraphs/intelligence/src/market/austin-market";
import { makeRand, type Rand, type Weighted } from "./random";

/** What the message generator needs to know about a lead; a `SeedLead` from the lead generator fits. */
export interface InboundMessageLead {
  firstName: string;
  /** Area names as the market knows them; messages quote them verbatim. */
  preferredAreas: string[];
  /** Whole dollars. */
  budgetMax: number | null;
  bedroomsMin: number | null;
  /** A {@link BuyingTimeline} value; anything else is treated as unknown. */
  timeline: string;
  createdAt: Date;
}

/** A generated inbound message, as GHL would deliver it for a lead. */
export interface SeedMessage {
  channel: MessageChannel;
  body: string;
  receivedAt: Date;
}

const MINUTE = 60_000;
// Austin is UTC-6 in winter and UTC-5 in summer; an hour off in summer is fine for deciding when people text.
const AUSTIN_UTC_OFFSET_HOURS = -6;
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

const COUNTS: Weighted<number> = [[0, 22], [1, 38], [2, 25], [3, 15]];
// A lead mostly sticks to the channel it started on; the rest is where it happens to reach out from.
const CHANNELS: Weighted<MessageChannel> = [
  [MessageChannel.SMS, 55], [MessageChannel.EMAIL, 22], [MessageChannel.LIVE_CHAT, 7], [MessageChannel.FACEBOOK, 6],
  [MessageChannel.WHATSAPP, 4], [MessageChannel.VOICEMAIL, 4], [MessageChannel.INSTAGRAM, 2],
];
const OPT_OUT_CHANCE = 0.07;

interface Ctx {
  area: string | null;
  otherArea: string | null;
  budget: string | null;
  budgetMax: number | null;
  beds: number | null;
  timing: string | null;
  district: string | null;
}
type Template = (c: Ctx, r: Rand) => string | null;

const money = (n: number): string => (n >= 1e6 ? `$${Number((n / 1e6).toFixed(2))}M` : `$${Math.round(n / 1000)}k`);
const longMoney = (n: number): string => `$${n.toLocaleString("en-US")}`;
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const monthAfter = (at: Date, months: number): string => MONTHS[(at.getUTCMonth() + months) % 12] ?? "January";

// Phrasings a buyer uses for each timeline; `{month+k}` is the month k months after the message.
const TIMING: Partial<Record<string, readonly string[]>> = {
  [BuyingTimeline.IMMEDIATE]: ["we need to move ASAP", "our lease is up at the end of {month+1}", "we're hoping to be in something within 30 days"],
  [BuyingTimeline.WITHIN_3_MONTHS]: ["we're hoping to buy in the next couple of months", "we want to be moved in by {month+3}", "we'd like to close within 90 days"],
  [BuyingTimeline.WITHIN_6_MONTHS]: ["we're probably buying in the next 6 months", "no rush, sometime before {month+6}"],
  [BuyingTimeline.WITHIN_12_MONTHS]: ["we're planning to buy sometime in the next year", "we're thinking about a year out"],
  [BuyingTimeline.JUST_BROWSING]: ["we're just looking for now", "not in a rush, just seeing what's out there"],
};

const bedsPhrase = (r: Rand, beds: number): string => (beds === 1 ? r.pick(["1 bedroom", "a 1 bed"]) : r.pick([`${beds} bedrooms`, `${beds}+ bedrooms`, `at least ${beds} bedrooms`, `${beds} bed`]));
const areasPhrase = (c: Ctx): string | null => (c.area === null ? null : c.otherArea ? `${c.area} or ${c.otherArea}` : c.area);

// The first message usually states the search: that is what the lead form or the listing prompted.
const OPENERS: readonly Template[] = [
  (c, r) => c.area === null ? null : `I saw a ${c.beds ?? r.int(3, 4)} bedroom in ${c.area} on ${r.pick(["Zillow", "Realtor.com", "your website", "Redfin"])}. Is it still available?`,
  (c, r) => c.area === null || c.beds === null || c.budget === null ? null : `We're looking for ${bedsPhrase(r, c.beds)} in ${areasPhrase(c)}, budget around ${c.budget}.${c.timing ? ` ${capitalize(c.timing)}.` : ""}`,
  (c) => c.area === null || c.budget === null ? null : `Interested in homes in ${areasPhrase(c)} under ${c.budget}. What do you have?`,
  (c, r) => c.area === null ? null : `Can you send me listings in ${areasPhrase(c)}?${c.budgetMax !== null ? ` Max ${r.chance(0.7) ? c.budget : longMoney(c.budgetMax)}.` : ""}${c.beds !== null ? ` Need ${bedsPhrase(r, c.beds)}.` : ""}`,
  (c) => c.timing === null ? null : `Just filled out the form on your site. ${capitalize(c.timing)}. What's the market like right now?`,
  (c) => c.area === null ? null : `We're relocating to Austin and keep hearing good things about ${c.area}. ${c.timing ? `${capitalize(c.timing)}. ` : ""}Where should we start?`,
];
// For a lead that gave nothing to quote (no areas, budget or timeline).
const BARE_OPENER = "Just filled out the form on your site. What's the market like right now?";

const DAYS = ["Saturday morning", "Sunday after 1", "Thursday after work", "tomorrow around 5:30", "this weekend", "Friday at lunch"];
const FOLLOW_UPS: readonly Template[] = [
  () => "Does that one have an HOA? How much are the dues?",
  (c) => c.area === null ? null : `What are the HOA fees usually like in ${c.area}?`,
  (c) => c.area === null ? null : `Is there a MUD or PID tax on the ${c.area} one? The tax rate on Zillow looked really high.`,
  (c) => c.district === null ? null : `Which elementary is it zoned to? We have two kids so ${c.district} matters a lot to us.`,
  (c) => c.district === null ? null : `How are the schools in ${c.district}? Any you'd avoid?`,
  (_c, r) => `Can we see it ${r.pick(DAYS)}?`,
  (_c, r) => `Are you free ${r.pick(DAYS)} for a few showings?`,
  () => "Any wiggle room on the price? Has it had any offers yet?",
  () => "Is the seller offering any concessions? Would they do a rate buydown?",
  () => "How old are the roof and the AC on that one?",
  () => "Is the backyard in the flood plain? It looks close to the creek.",
  (c) => c.area === null ? null : `Thanks for sending those! We liked the second one in ${c.area}.`,
  () => "Sorry for the slow reply, crazy week at work. We're still looking!",
  (c) => c.budgetMax === null ? null : `Talked to our lender, we can go up to ${money(c.budgetMax + 25_000)} if it's the right house.`,
  (c) => c.beds === null || c.beds < 3 ? null : `Actually we could do ${c.beds - 1} bedrooms if there's a study.`,
  (c) => c.timing === null ? null : `Just so you know, ${c.timing}.`,
  (c) => c.area === null || c.otherArea !== null ? null : `Should we be looking outside ${c.area} too? Prices there seem to be going up.`,
];

const OPT_OUTS: Partial<Record<MessageChannel, readonly string[]>> = {
  [MessageChannel.SMS]: ["STOP", "Please stop texting me.", "We already bought a house, please stop texting me.", "Not interested anymore, thanks."],
  [MessageChannel.EMAIL]: ["Please remove me from your mailing list.", "We decided to stay put, please take me off your list."],
  [MessageChannel.VOICEMAIL]: ["Please stop calling me, we're not looking anymore."],
};
const DEFAULT_OPT_OUTS: readonly string[] = ["Please stop messaging me.", "Not interested anymore, thanks."];

/** Draws unused templates in random order until one fits the lead, else `fallback`. */
function firstFitting(r: Rand, templates: readonly Template[], used: Set<Template>, c: Ctx, fallback: string): string {
  for (const t of r.sample(templates, templates.length)) {
    if (used.has(t)) continue;
    const body = t(c, r);
    if (body !== null) { used.add(t); return body; }
  }
  return fallback;
}

function styled(r: Rand, body: string, channel: MessageChannel, firstName: string, first: boolean, optOut: boolean): string {
  if (optOut) return body;
  switch (channel) {
    case MessageChannel.EMAIL:
      return `${r.pick(["Hi,", "Hello,", "Hi there,"])}\n\n${body}\n\n${r.pick(["Thanks,", "Thank you,", "Best,"])}\n${firstName}`;
    case MessageChannel.VOICEMAIL:
      return `Hi, this is ${firstName}. ${body} Give me a call back when you get a chance, thanks.`;
    default: {
      const intro = first ? r.pick([`Hi, this is ${firstName}. `, "Hi! ", "Hey! ", ""]) : "";
      // People text in lowercase and skip the final period about a quarter of the time.
      const text = `${intro}${body}`;
      return r.chance(0.25) ? text.charAt(0).toLowerCase() + text.slice(1).replace(/\.$/, "") : text;
    }
  }
}

/**
 * Generates 0–3 inbound messages the lead sent (texts, emails, chats, a voicemail transcript),
 * deterministic per (`tenant`, `index`): `index` is the lead's position in the tenant's seed, so
 * regenerating a tenant gives every lead the same conversation. Bodies quote the lead's areas,
 * budget ("$450k"), bedrooms and timing as a buyer would, ask the usual questions (HOA, schools,
 * showings) and now and then end with an opt-out. Every message is received strictly after
 * `createdAt` and strictly before `now`, in ascending order; a lead too new for that gets none.
 */
export function generateInboundMessages(lead: InboundMessageLead, index: number, tenant: string, now: Date): SeedMessage[] {
  const r = makeRand(`message-generator:${tenant}:${index}`);
  const count = r.weighted(COUNTS);
  const start = lead.createdAt.getTime() + MINUTE, end = now.getTime() - MINUTE;
  if (count === 0 || end <= start) return [];

  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    let t = start;
    // Most of a conversation happens right after the lead comes in (hence the skew), and rarely at night: redraw a few times if so.
    for (let tries = 0; tries < 3; tries++) {
      t = start + Math.floor((end - start) * r.next() ** 1.8);
      const hour = (new Date(t).getUTCHours() + 24 + AUSTIN_UTC_OFFSET_HOURS) % 24;
      if (hour >= 8 && hour < 23) break;
    }
    times.push(t);
  }
  times.sort((a, b) => a - b);

  const [area, otherArea] = r.sample(lead.preferredAreas, 2);
  const budget = lead.budgetMax === null ? null : money(lead.budgetMax);
  const timingTemplate = TIMING[lead.timeline];
  const timing = timingTemplate ? r.pick(timingTemplate) : null;
  const primary = r.weighted(CHANNELS);
  const optOutLast = r.chance(OPT_OUT_CHANCE);
  const used = new Set<Template>();

  return times.map((ms, i): SeedMessage => {
    const receivedAt = new Date(ms);
    const c: Ctx = {
      area: area ?? null, otherArea: otherArea ?? null, budget, budgetMax: lead.budgetMax, beds: lead.bedroomsMin,
      timing: timing === null ? null : timing.replace(/\{month\+(\d+)\}/g, (_m, k: string) => monthAfter(receivedAt, Number(k))),
      district: area === undefined ? null : findMarketArea(area)?.schoolDistrict ?? null,
    };
    const channel = r.chance(0.8) ? primary : r.weighted(CHANNELS);
    const optOut = optOutLast && i === times.length - 1;
    const body = optOut ? r.pick(OPT_OUTS[channel] ?? DEFAULT_OPT_OUTS) : i === 0 ? firstFitting(r, OPENERS, used, c, BARE_OPENER) : firstFitting(r, FOLLOW_UPS, used, c, "Any update on this?");
    return { channel, body: styled(r, body, channel, lead.firstName, i === 0, optOut), receivedAt };
  });
}
