/** A request budget: at most `requests` in any `windowMs`. */
export interface RateWindow {
  requests: number;
  windowMs: number;
}

/** What a response said about the caller's budget (GHL's `X-RateLimit-*` headers), each part when present. */
export interface RateFeedback {
  max?: number;
  remaining?: number;
  intervalMs?: number;
}

/** A request's place in its location's budget. Settle it exactly once. */
export interface RateSlot {
  /** The request was answered: its slot stays used for one window from now. */
  done(feedback: RateFeedback): void;
  /** The request was answered 429: the location waits `intervalMs` (else an exponential backoff). */
  rateLimited(feedback: RateFeedback): void;
  /** The request was never sent: the slot is free again at once. */
  cancel(): void;
}

/** The answer of {@link LocationRateLimiter.tryAcquire}. */
export type AcquireResult = { slot: RateSlot } | { waitMs: number };

/** What a location's budget allows now: `slots` requests, or none for `waitMs`. */
export interface LocationCapacity {
  slots: number;
  /** When `slots` is 0, how long until one frees; else 0. */
  waitMs: number;
}

/** Client-side request budgets, one per location. */
export interface LocationRateLimiter {
  tryAcquire(location: string): AcquireResult;
  /** How many requests the location could send now, without taking any. */
  capacity(location: string): LocationCapacity;
}

interface LocationState {
  /** When each answered request of the current window was answered, oldest first. */
  answeredAt: number[];
  inFlight: number;
  budget: RateWindow;
  pausedUntil: number;
  /** 429s in a row: the exponent of the backoff when GHL does not say how long to wait. */
  consecutive429s: number;
}

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

/**
 * A sliding-window log rather than a token bucket: a bucket of N refilling N per window lets
 * up to 2N through in one window (a full burst, then the refill), which GHL's "N per window"
 * would answer with 429s. A request holds its slot from the moment it is sent until one window
 * after its answer arrived: the answer comes after GHL counted the request, so GHL never sees
 * more than N in a window however the network delays them. Memory is N timestamps per location.
 * The budget tightens to what GHL's headers report (a smaller `X-RateLimit-Max`, a longer
 * interval); `Remaining: 0` (another client spending the same budget) pauses the location for
 * a window.
 */
export function createLocationRateLimiter(options: { budget: RateWindow; now?: () => number }): LocationRateLimiter {
  // Monotonic, so a wall-clock step cannot release slots early.
  const now = options.now ?? (() => performance.now());
  const states = new Map<string, LocationState>();

  function state(location: string): LocationState {
    let found = states.get(location);
    if (!found) {
      found = { answeredAt: [], inFlight: 0, budget: { ...options.budget }, pausedUntil: 0, consecutive429s: 0 };
      states.set(location, found);
    }
    return found;
  }

  function adapt(location: LocationState, feedback: RateFeedback, at: number): void {
    if (feedback.max !== undefined && feedback.max >= 1 && feedback.max < location.budget.requests) location.budget.requests = feedback.max;
    if (feedback.intervalMs !== undefined && feedback.intervalMs > location.budget.windowMs) location.budget.windowMs = feedback.intervalMs;
    if (feedback.remaining === 0) location.pausedUntil = Math.max(location.pausedUntil, at + location.budget.windowMs);
  }

  function slotFor(location: LocationState): RateSlot {
    let settled = false;
    const settle = (): number | undefined => {
      if (settled) return undefined;
      settled = true;
      location.inFlight -= 1;
      return now();
    };
    return {
      done(feedback) {
        const at = settle();
        if (at === undefined) return;
        location.answeredAt.push(at);
        location.consecutive429s = 0;
        adapt(location, feedback, at);
      },
      rateLimited(feedback) {
        const at = settle();
        if (at === undefined) return;
        location.answeredAt.push(at);
        adapt(location, feedback, at);
        location.consecutive429s += 1;
        const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (location.consecutive429s - 1));
        location.pausedUntil = Math.max(location.pausedUntil, at + (feedback.intervalMs ?? backoff));
      },
      cancel() {
        settle();
      },
    };
  }

  function capacityOf(location: LocationState): LocationCapacity {
    const at = now();
    if (at < location.pausedUntil) return { slots: 0, waitMs: Math.ceil(location.pausedUntil - at) };
    const { requests, windowMs } = location.budget;
    while (location.answeredAt.length > 0 && (location.answeredAt[0] ?? 0) + windowMs <= at) location.answeredAt.shift();
    const slots = requests - location.answeredAt.length - location.inFlight;
    if (slots > 0) return { slots, waitMs: 0 };
    const oldest = location.answeredAt[0];
    // Every slot in flight: the next answer frees nothing before a window has passed.
    return { slots: 0, waitMs: oldest === undefined ? windowMs : Math.max(1, Math.ceil(oldest + windowMs - at)) };
  }

  return {
    tryAcquire(name) {
      const location = state(name);
      const { slots, waitMs } = capacityOf(location);
      if (slots === 0) return { waitMs };
      location.inFlight += 1;
      return { slot: slotFor(location) };
    },
    capacity: (name) => capacityOf(state(name)),
  };
}
