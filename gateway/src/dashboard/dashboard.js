// @ts-check
/**
 * The live pipeline dashboard: a page a team lead leaves open. It holds a token for the
 * browser tab only, opens one graphql-ws connection to the gateway that served it and keeps
 * three subscriptions on it: lead changes, lead scores and the funnel with its counters.
 *
 * Plain browser JavaScript, served as is (no build step); the types are JSDoc so an editor
 * can still check it. Everything from the server is written with textContent, never as
 * markup.
 */

/**
 * @typedef {{ code: number, reason: string }} CloseEventLike
 * @typedef {{ message: string, extensions?: { code?: unknown } }} GraphQLErrorLike
 * @typedef {{ data?: unknown, errors?: readonly GraphQLErrorLike[] }} ExecutionResult
 * @typedef {{ next(value: ExecutionResult): void, error(error: unknown): void, complete(): void }} Sink
 * @typedef {{ subscribe(payload: { query: string, operationName?: string }, sink: Sink): () => void, dispose(): void | Promise<void> }} Client
 * @typedef {{
 *   connecting?: (isRetry: boolean) => void,
 *   opened?: (socket: unknown) => void,
 *   connected?: () => void,
 *   ping?: (received: boolean) => void,
 *   pong?: (received: boolean) => void,
 *   closed?: (event: unknown) => void,
 * }} ClientListeners
 * @typedef {{
 *   url: string,
 *   connectionParams: () => Record<string, string>,
 *   lazy: boolean,
 *   onNonLazyError: (error: unknown) => void,
 *   keepAlive: number,
 *   retryAttempts: number,
 *   retryWait: (retries: number) => Promise<void>,
 *   shouldRetry: (errorOrCloseEvent: unknown) => boolean,
 *   on: ClientListeners,
 * }} ClientOptions
 * @typedef {{ createClient(options: ClientOptions): Client }} GraphQLWs
 *
 * @typedef {"HOT" | "WARM" | "COLD"} Tier
 * @typedef {{ value: number, tier: Tier }} Score
 * @typedef {{ id: string, fullName: string, status: string, source: string, score: Score | null }} Lead
 * @typedef {{ kind: string, leadId: string, occurredAt: string, previousStatus: string | null, lead: Lead | null }} LeadChanged
 * @typedef {{ lead: { id: string, fullName: string }, score: Score, previousTier: Tier | null }} LeadScored
 * @typedef {{ status: string, reached: number, conversionFromPrevious: number | null }} FunnelStage
 * @typedef {{ leads: number, createdToday: number, hot: number, warm: number, cold: number, unscored: number }} Counts
 * @typedef {{ at: string, funnel: { totalLeads: number, stages: readonly FunnelStage[] }, counts: Counts }} DashboardUpdate
 * @typedef {{ tenant?: unknown, role?: unknown, exp?: unknown }} Claims
 * @typedef {"signed-out" | "connecting" | "live" | "reconnecting" | "refused"} ConnectionState
 */

/** The session's token survives a reload of the tab, and nothing longer. */
const TOKEN_KEY = "enterprisehub.dashboard.token";
/** graphql-ws close code for a refused connection_init: the token was not accepted. */
const CLOSE_FORBIDDEN = 4403;
/** Rows kept in the list; older ones drop off the bottom. */
const MAX_ROWS = 50;
/** Scores remembered for leads not (or no longer) in the list, so a row added later shows its tier. */
const MAX_KNOWN_SCORES = 500;
/** How long a server may take to answer our ping before the socket is presumed dead (a laptop lid, a proxy). */
const PONG_TIMEOUT_MS = 5_000;
const KEEP_ALIVE_MS = 15_000;
const MAX_BACKOFF_MS = 30_000;

const LEAD_CHANGED = `subscription DashboardLeadChanged {
  leadChanged { kind leadId occurredAt previousStatus lead { id fullName status source score { value tier } } }
}`;
const LEAD_SCORED = `subscription DashboardLeadScored {
  leadScored { lead { id fullName } score { value tier } previousTier }
}`;
const DASHBOARD_UPDATED = `subscription DashboardUpdated {
  dashboardUpdated {
    at
    funnel { totalLeads stages { status reached conversionFromPrevious } }
    counts { leads createdToday hot warm cold unscored }
  }
}`;

/** What each subscription feeds, for messages about it. */
const FEED_LABELS = /** @type {Readonly<Record<string, string>>} */ ({
  DashboardLeadChanged: "Lead changes",
  DashboardLeadScored: "Lead scores",
  DashboardUpdated: "Funnel and counters",
});

const KIND_LABELS = /** @type {Readonly<Record<string, string>>} */ ({
  CREATED: "New",
  UPDATED: "Updated",
  STATUS_CHANGED: "Status changed",
  DELETED: "Removed",
});

// ---------------------------------------------------------------------------------------
// DOM helpers
// ---------------------------------------------------------------------------------------

/**
 * The one element with this test id (they double as the page's stable hooks).
 * @param {string} id
 * @param {ParentNode} [root]
 * @returns {HTMLElement}
 */
function byTestId(id, root = document) {
  const element = root.querySelector(`[data-testid="${id}"]`);
  if (!(element instanceof HTMLElement)) throw new Error(`dashboard markup is missing ${id}`);
  return element;
}

/**
 * A new element with a class and a test id.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} className
 * @param {string} [testId]
 * @returns {HTMLElementTagNameMap[K]}
 */
function make(tag, className, testId) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (testId) element.dataset["testid"] = testId;
  return element;
}

/**
 * Replays a one-shot highlight animation, so a second change to the same row shows too.
 * @param {HTMLElement} element
 */
function flash(element) {
  element.classList.remove("is-fresh");
  void element.offsetWidth;
  element.classList.add("is-fresh");
}

/** @param {string} value e.g. APPOINTMENT_SET → "Appointment set" */
function humanize(value) {
  const words = value.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** @param {string | null | undefined} iso */
function clockTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** @param {unknown} value */
function formatCount(value) {
  return typeof value === "number" && Number.isFinite(value) ? value.toLocaleString() : "–";
}

const ui = {
  status: byTestId("connection-status"),
  identity: byTestId("identity"),
  signOut: /** @type {HTMLButtonElement} */ (byTestId("sign-out")),
  signIn: byTestId("sign-in"),
  form: /** @type {HTMLFormElement} */ (byTestId("token-form")),
  tokenInput: /** @type {HTMLInputElement} */ (byTestId("token-input")),
  tokenMessage: byTestId("token-message"),
  leadList: byTestId("lead-list"),
  leadsEmpty: byTestId("leads-empty"),
  funnel: byTestId("funnel"),
  funnelTotal: byTestId("funnel-total"),
  funnelLost: byTestId("funnel-lost"),
  updatedAt: byTestId("dashboard-updated-at"),
  error: byTestId("dashboard-error"),
  counts: {
    leads: byTestId("count-leads"),
    createdToday: byTestId("count-created-today"),
    hot: byTestId("count-hot"),
    warm: byTestId("count-warm"),
    cold: byTestId("count-cold"),
    unscored: byTestId("count-unscored"),
  },
};

// ---------------------------------------------------------------------------------------
// Connection state and the token
// ---------------------------------------------------------------------------------------

const STATUS_TEXT = /** @type {Readonly<Record<ConnectionState, string>>} */ ({
  "signed-out": "Not connected",
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  refused: "Token refused",
});

/**
 * @param {ConnectionState} state
 * @param {string} [detail] shown as the indicator's tooltip
 */
function setStatus(state, detail) {
  ui.status.dataset["state"] = state;
  const text = ui.status.querySelector(".status-text");
  if (text) text.textContent = STATUS_TEXT[state];
  ui.status.title = detail ?? "";
  // A tab in the background still says whether it is live.
  document.title = `${state === "live" ? "● " : ""}Live pipeline · EnterpriseHub${state === "live" ? "" : ` (${STATUS_TEXT[state]})`}`;
}

/** @returns {string | undefined} */
function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** @param {string | undefined} token */
function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage can be off (a locked-down browser): the page still works until a reload.
  }
}

/**
 * Takes `#token=...` off the address bar, so it is neither bookmarked, shared by copying the
 * URL, nor left in the history.
 * @returns {string | undefined}
 */
function takeTokenFromFragment() {
  if (!location.hash.startsWith("#")) return undefined;
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token === null) return undefined;
  params.delete("token");
  const rest = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
  return cleanToken(token);
}

/** @param {string} raw a pasted token, perhaps with its "Bearer " prefix */
function cleanToken(raw) {
  const token = raw.trim().replace(/^bearer\s+/i, "");
  return token.length > 0 ? token : undefined;
}

/**
 * The token's claims, for display only: the gateway verifies it, the page never trusts it.
 * @param {string} token
 * @returns {Claims | undefined}
 */
function readClaims(token) {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const claims = /** @type {unknown} */ (JSON.parse(json));
    return typeof claims === "object" && claims !== null ? /** @type {Claims} */ (claims) : undefined;
  } catch {
    return undefined;
  }
}

/** @param {Claims | undefined} claims */
function hasExpired(claims) {
  return typeof claims?.exp === "number" && claims.exp * 1000 <= Date.now();
}

/** @param {Claims | undefined} claims */
function showIdentity(claims) {
  if (claims && typeof claims.tenant === "string") {
    ui.identity.textContent = `Team ${claims.tenant}${typeof claims.role === "string" ? ` · ${claims.role}` : ""}`;
    ui.identity.hidden = false;
  } else {
    ui.identity.hidden = true;
  }
}

/** @param {string} [message] why the token is asked for again */
function askForToken(message) {
  ui.signIn.hidden = false;
  ui.signOut.hidden = true;
  ui.identity.hidden = true;
  ui.tokenMessage.textContent = message ?? "";
  ui.tokenMessage.hidden = !message;
  ui.tokenInput.value = "";
  ui.tokenInput.focus();
}

// ---------------------------------------------------------------------------------------
// The board: lead rows, the funnel and the counters
// ---------------------------------------------------------------------------------------

/**
 * @typedef {{
 *   element: HTMLLIElement, name: HTMLElement, kind: HTMLElement, status: HTMLElement,
 *   source: HTMLElement, time: HTMLTimeElement, score: HTMLElement, badge: HTMLElement,
 * }} LeadRow
 */

/** @type {Map<string, LeadRow>} */
const rows = new Map();
/** @type {Map<string, Score>} */
const knownScores = new Map();
/** @type {Map<string, { element: HTMLLIElement, bar: HTMLElement, reached: HTMLElement, conversion: HTMLElement }>} */
const funnelStages = new Map();
/** @type {Map<string, string>} subscription name → its last error, shown until it delivers again */
const errors = new Map();

/**
 * @param {string} leadId
 * @param {Score} score
 */
function rememberScore(leadId, score) {
  knownScores.delete(leadId);
  knownScores.set(leadId, score);
  if (knownScores.size > MAX_KNOWN_SCORES) {
    const oldest = knownScores.keys().next().value;
    if (oldest !== undefined) knownScores.delete(oldest);
  }
}

/** @param {string} leadId */
function createRow(leadId) {
  const element = make("li", "lead-row", "lead-row");
  element.dataset["leadId"] = leadId;
  const main = make("div", "lead-main");
  const name = make("span", "lead-name", "lead-name");
  const kind = make("span", "lead-kind", "lead-kind");
  main.append(name, kind);
  const meta = make("div", "lead-meta");
  const status = make("span", "lead-status", "lead-status");
  const source = make("span", "lead-source", "lead-source");
  const time = make("time", "lead-time", "lead-time");
  meta.append(status, source, time);
  const side = make("div", "lead-side");
  const score = make("span", "lead-score", "lead-score");
  const badge = make("span", "tier", "tier-badge");
  side.append(score, badge);
  element.append(main, side, meta);
  /** @type {LeadRow} */
  const row = { element, name, kind, status, source, time, score, badge };
  rows.set(leadId, row);
  return row;
}

/**
 * @param {LeadRow} row
 * @param {Score | undefined} score
 */
function renderScore(row, score) {
  const tier = score ? score.tier : "UNSCORED";
  row.badge.dataset["tier"] = tier;
  row.element.dataset["tier"] = tier;
  row.badge.textContent = score ? score.tier : "unscored";
  row.score.textContent = score ? String(score.value) : "";
  row.badge.title = score ? `Score ${score.value} of 100` : "Not scored yet";
}

/** Moves a row to the top and drops the oldest beyond the cap. @param {LeadRow} row */
function toTop(row) {
  ui.leadList.prepend(row.element);
  while (ui.leadList.children.length > MAX_ROWS) {
    const last = ui.leadList.lastElementChild;
    if (!(last instanceof HTMLElement)) break;
    last.remove();
    const id = last.dataset["leadId"];
    if (id !== undefined) rows.delete(id);
  }
  ui.leadsEmpty.hidden = rows.size > 0;
}

/** @param {LeadChanged} change */
function onLeadChanged(change) {
  const lead = change.lead;
  const leadId = lead?.id ?? change.leadId;
  const row = rows.get(leadId) ?? createRow(leadId);
  const removed = change.kind === "DELETED";
  row.element.dataset["kind"] = change.kind;
  row.element.dataset["removed"] = String(removed);
  row.name.textContent = lead?.fullName || row.name.textContent || "Unnamed lead";
  row.kind.textContent = KIND_LABELS[change.kind] ?? humanize(change.kind);
  if (lead) {
    const moved = change.previousStatus && change.previousStatus !== lead.status;
    row.status.textContent = moved ? `${humanize(change.previousStatus ?? "")} → ${humanize(lead.status)}` : humanize(lead.status);
    row.source.textContent = lead.source ? humanize(lead.source) : "";
    // A change event may be read before intelligence scored the lead: never let it erase a known score.
    if (lead.score) rememberScore(leadId, lead.score);
  }
  row.time.dateTime = change.occurredAt;
  row.time.textContent = clockTime(change.occurredAt);
  renderScore(row, knownScores.get(leadId));
  toTop(row);
  flash(row.element);
}

/** @param {LeadScored} scored */
function onLeadScored(scored) {
  const leadId = scored.lead.id;
  rememberScore(leadId, scored.score);
  const row = rows.get(leadId);
  if (!row) return;
  if (scored.lead.fullName) row.name.textContent = scored.lead.fullName;
  renderScore(row, scored.score);
  if (scored.previousTier && scored.previousTier !== scored.score.tier) row.badge.title += ` (was ${scored.previousTier})`;
  flash(row.badge);
}

/** @param {FunnelStage} stage */
function funnelRow(stage) {
  const existing = funnelStages.get(stage.status);
  if (existing) return existing;
  const element = make("li", "funnel-stage", "funnel-stage");
  element.dataset["stage"] = stage.status;
  const name = make("span", "funnel-name");
  name.textContent = humanize(stage.status);
  const track = make("span", "funnel-track");
  track.setAttribute("aria-hidden", "true");
  const bar = make("span", "funnel-bar");
  track.append(bar);
  const reached = make("span", "funnel-reached", "funnel-reached");
  const conversion = make("span", "funnel-conversion", "funnel-conversion");
  element.append(name, track, reached, conversion);
  ui.funnel.append(element);
  const parts = { element, bar, reached, conversion };
  funnelStages.set(stage.status, parts);
  return parts;
}

/** @param {DashboardUpdate} update */
function onDashboardUpdated(update) {
  const { counts, funnel } = update;
  for (const [key, element] of Object.entries(ui.counts)) {
    const value = counts[/** @type {keyof Counts} */ (key)];
    element.textContent = formatCount(value);
    element.dataset["value"] = String(value);
  }
  const widest = Math.max(1, ...funnel.stages.map((stage) => stage.reached));
  for (const stage of funnel.stages) {
    const parts = funnelRow(stage);
    // Stages arrive in pipeline order; appending keeps the bars in it even if a stage is new.
    ui.funnel.append(parts.element);
    parts.reached.textContent = formatCount(stage.reached);
    parts.element.dataset["reached"] = String(stage.reached);
    // Styles set through the CSSOM are not inline markup, so the strict CSP allows them.
    parts.bar.style.width = `${(100 * stage.reached) / widest}%`;
    parts.conversion.textContent =
      stage.conversionFromPrevious === null ? "" : `${Math.round(stage.conversionFromPrevious * 100)}% of the stage before`;
  }
  ui.funnelTotal.textContent = formatCount(funnel.totalLeads);
  const lost = funnel.stages.find((stage) => stage.status === "CLOSED_LOST");
  ui.funnelLost.textContent = formatCount(lost?.reached);
  ui.updatedAt.textContent = `Updated ${clockTime(update.at)}`;
}

function clearBoard() {
  rows.clear();
  knownScores.clear();
  funnelStages.clear();
  errors.clear();
  ui.leadList.replaceChildren();
  ui.funnel.replaceChildren();
  ui.leadsEmpty.hidden = false;
  for (const element of [...Object.values(ui.counts), ui.funnelTotal, ui.funnelLost]) {
    element.textContent = "–";
    delete element.dataset["value"];
  }
  ui.updatedAt.textContent = "Waiting for the first update…";
  showErrors();
}

function showErrors() {
  ui.error.textContent = [...errors.values()].join(" · ");
  ui.error.hidden = errors.size === 0;
}

// ---------------------------------------------------------------------------------------
// The live session: one client, three subscriptions
// ---------------------------------------------------------------------------------------

/** @param {unknown} value @returns {value is CloseEventLike} */
function isCloseEvent(value) {
  return typeof value === "object" && value !== null && "code" in value && typeof value.code === "number" && "reason" in value;
}

/** @param {unknown} error @returns {string[]} */
function errorCodes(error) {
  if (!Array.isArray(error)) return [];
  return error.map((item) => (typeof item?.extensions?.code === "string" ? item.extensions.code : ""));
}

/** @param {unknown} error */
function errorMessage(error) {
  if (Array.isArray(error)) return error.map((item) => (typeof item?.message === "string" ? item.message : "error")).join("; ");
  if (isCloseEvent(error)) return error.reason || `connection closed (${error.code})`;
  return error instanceof Error ? error.message : "connection error";
}

/** Exponential backoff with jitter, capped: a restarted gateway is not stampeded by every open page. @param {number} retries */
function backoffMs(retries) {
  const ceiling = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(retries, 10));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** @type {{ stop(): void } | undefined} */
let session;

/**
 * Connects with `token` and keeps the three subscriptions running until stopped or refused.
 * @param {string} token
 * @param {Claims | undefined} claims
 */
function startSession(token, claims) {
  const graphqlWs = /** @type {GraphQLWs | undefined} */ (Reflect.get(globalThis, "graphqlWs"));
  if (!graphqlWs) throw new Error("the graphql-ws client did not load");
  let stopped = false;
  /** @type {WebSocket | undefined} */
  let socket;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let pongTimer;
  /** @type {(() => void)[]} */
  const stops = [];

  /** @param {string} reason */
  function refuse(reason) {
    if (stopped) return;
    stop();
    session = undefined;
    storeToken(undefined);
    setStatus("refused", reason);
    askForToken(reason);
  }

  const client = graphqlWs.createClient({
    url: `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`,
    connectionParams: () => ({ authorization: `Bearer ${token}` }),
    lazy: false,
    // Failures surface through the listeners and the subscriptions' sinks.
    onNonLazyError: () => undefined,
    keepAlive: KEEP_ALIVE_MS,
    // A page left open outlives any outage: retry for ever, except a token the gateway refused.
    retryAttempts: Infinity,
    shouldRetry: (errorOrCloseEvent) => !(isCloseEvent(errorOrCloseEvent) && errorOrCloseEvent.code === CLOSE_FORBIDDEN),
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, backoffMs(retries))),
    on: {
      connecting: (isRetry) => setStatus(isRetry ? "reconnecting" : "connecting"),
      opened: (opened) => {
        socket = opened instanceof WebSocket ? opened : undefined;
      },
      connected: () => setStatus("live"),
      ping: (received) => {
        if (received) return;
        pongTimer = setTimeout(() => {
          // graphql-ws's advice for a silent peer: close as timed out, and it reconnects.
          if (socket?.readyState === WebSocket.OPEN) socket.close(4408, "Request Timeout");
        }, PONG_TIMEOUT_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: (event) => {
        clearTimeout(pongTimer);
        if (stopped) return;
        if (isCloseEvent(event) && event.code === CLOSE_FORBIDDEN) {
          refuse(hasExpired(claims) ? "This token has expired. Paste a new one." : "The gateway refused this token. Paste another one.");
        } else {
          setStatus("reconnecting", isCloseEvent(event) ? `closed ${event.code} ${event.reason}` : "connection lost");
        }
      },
    },
  });

  /**
   * Subscribes and re-subscribes when the server ends or fails the subscription (a schema
   * reload, an upstream restart); the client itself re-subscribes across reconnects.
   * @param {string} name
   * @param {string} query
   * @param {(data: Record<string, unknown>) => void} onData
   */
  function keepSubscribed(name, query, onData) {
    let failures = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let retry;
    /** @type {() => void} */
    let unsubscribe = () => undefined;

    function again() {
      if (stopped) return;
      clearTimeout(retry);
      retry = setTimeout(start, backoffMs(failures));
      failures += 1;
    }

    function start() {
      if (stopped) return;
      unsubscribe = client.subscribe(
        { query, operationName: name },
        {
          next(result) {
            if (result.data && typeof result.data === "object") {
              failures = 0;
              if (errors.delete(name)) showErrors();
              onData(/** @type {Record<string, unknown>} */ (result.data));
            } else if (result.errors) {
              errors.set(name, `${FEED_LABELS[name] ?? name}: ${errorMessage(result.errors)}`);
              showErrors();
            }
          },
          error(error) {
            if (stopped) return;
            if (isCloseEvent(error) && error.code === CLOSE_FORBIDDEN) return; // the closed listener handles it
            const codes = errorCodes(error);
            const expired = codes.includes("SUBSCRIPTION_CREDENTIALS_EXPIRED") || (Array.isArray(error) && hasExpired(claims));
            // Only a new token helps here; the other ends (a reload, an upstream failure, a slow tab) pass on a retry.
            if (expired || codes.includes("UNAUTHENTICATED")) {
              refuse(expired ? "This token has expired. Paste a new one." : "The gateway no longer accepts this token. Paste another one.");
              return;
            }
            // A role that may not see this feed will not be allowed on a retry either.
            const final = codes.includes("FORBIDDEN");
            errors.set(name, `${FEED_LABELS[name] ?? name} unavailable: ${errorMessage(error)}${final ? "" : " (retrying)"}`);
            showErrors();
            if (!final) again();
          },
          complete() {
            again();
          },
        },
      );
    }

    start();
    stops.push(() => {
      clearTimeout(retry);
      unsubscribe();
    });
  }

  keepSubscribed("DashboardLeadChanged", LEAD_CHANGED, (data) => {
    const change = /** @type {LeadChanged | null | undefined} */ (data["leadChanged"]);
    if (change) onLeadChanged(change);
  });
  keepSubscribed("DashboardLeadScored", LEAD_SCORED, (data) => {
    const scored = /** @type {LeadScored | null | undefined} */ (data["leadScored"]);
    if (scored) onLeadScored(scored);
  });
  keepSubscribed("DashboardUpdated", DASHBOARD_UPDATED, (data) => {
    const update = /** @type {DashboardUpdate | null | undefined} */ (data["dashboardUpdated"]);
    if (update) onDashboardUpdated(update);
  });

  function stop() {
    if (stopped) return;
    stopped = true;
    clearTimeout(pongTimer);
    for (const stopOne of stops) stopOne();
    // Disposing while the socket is closing rejects with that close: it is already handled.
    Promise.resolve(client.dispose()).catch(() => undefined);
  }
  return { stop };
}

/** @param {string} token */
function connect(token) {
  session?.stop();
  // Another token may be another team: nothing of the previous one stays on screen.
  clearBoard();
  storeToken(token);
  const claims = readClaims(token);
  showIdentity(claims);
  ui.signIn.hidden = true;
  ui.signOut.hidden = false;
  setStatus("connecting");
  try {
    session = startSession(token, claims);
  } catch (error) {
    session = undefined;
    errors.set("client", `The live connection could not start (${error instanceof Error ? error.message : "unknown error"}). Reload the page.`);
    showErrors();
  }
}

function signOut() {
  session?.stop();
  session = undefined;
  storeToken(undefined);
  clearBoard();
  setStatus("signed-out");
  askForToken();
}

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = cleanToken(ui.tokenInput.value);
  if (token) connect(token);
});
ui.signOut.addEventListener("click", signOut);
// A new link with #token=... pasted into this tab switches to that token.
window.addEventListener("hashchange", () => {
  const token = takeTokenFromFragment();
  if (token) connect(token);
});

const initial = takeTokenFromFragment() ?? storedToken();
if (initial) connect(initial);
else {
  setStatus("signed-out");
  askForToken();
}
