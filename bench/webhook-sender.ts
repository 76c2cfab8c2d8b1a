import { fork, type ChildProcess } from "node:child_process";
import { createPrivateKey, randomUUID, sign, type KeyObject } from "node:crypto";
import { GHL_WEBHOOK_PATH } from "../bridge/src/intake/webhook.route";

/**
 * The webhook load generator in a process of its own. GHL's deliveries come from outside the
 * platform: sent from the process that also runs the platform (the `single` topology), the
 * signing, the HTTP client and their garbage would share the event loop under test and be
 * counted as its cost.
 */

/** What the benchmark asks for: one run of signed `ContactCreate` webhooks at a fixed rate. */
export interface SendRequest {
  bridgeOrigin: string;
  tenant: string;
  /** Ed25519 private key, PKCS#8 PEM. */
  privateKeyPem: string;
  rate: number;
  durationMs: number;
  /** Goes into every contact id, so a run's contacts can be told apart. */
  label: string;
}

/** What one run sent. Times are {@link epochNow} readings, comparable across processes. */
export interface SendReport {
  sent: number;
  seconds: number;
  /** HTTP status → count. */
  answers: Array<[number, number]>;
  /** Contact id → when its webhook was sent. */
  sentAt: Array<[string, number]>;
}

/** A running sender process. */
export interface WebhookSender {
  pid: number;
  send(request: SendRequest): Promise<SendReport>;
  stop(): Promise<void>;
}

/**
 * Milliseconds since the epoch with sub-millisecond resolution. Both processes derive it from
 * the same system clock at their start plus their own monotonic clock, so a send time from the
 * sender and an arrival time from the benchmark can be subtracted.
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Forks this module as the sender (the compiled file sits beside the caller's). */
export function forkWebhookSender(): WebhookSender {
  const child: ChildProcess = fork(__filename, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let pending: { resolve(report: SendReport): void; reject(error: Error): void } | null = null;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("message", (message: unknown) => {
    const waiting = pending;
    pending = null;
    if (isSendReport(message)) waiting?.resolve(message);
    else waiting?.reject(new Error("the webhook sender answered something that is not a report"));
  });
  child.once("exit", (code, signal) => pending?.reject(new Error(`the webhook sender exited (${signal ?? code})`)));
  return {
    pid: child.pid ?? 0,
    send(request) {
      if (pending) return Promise.reject(new Error("the webhook sender runs one request at a time"));
      return new Promise<SendReport>((resolve, reject) => {
        pending = { resolve, reject };
        child.send(request);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

function isSendReport(value: unknown): value is SendReport {
  return typeof value === "object" && value !== null && "sent" in value && "sentAt" in value && Array.isArray(value.sentAt);
}

function isSendRequest(value: unknown): value is SendRequest {
  if (typeof value !== "object" || value === null) return false;
  const fields = value as Partial<Record<keyof SendRequest, unknown>>;
  return (
    typeof fields.bridgeOrigin === "string" &&
    typeof fields.tenant === "string" &&
    typeof fields.privateKeyPem === "string" &&
    typeof fields.rate === "number" &&
    typeof fields.durationMs === "number" &&
    typeof fields.label === "string"
  );
}

async function sendOne(request: SendRequest, key: KeyObject, contactId: string, report: { answers: Map<number, number>; sentAt: Map<string, number> }): Promise<void> {
  const body = Buffer.from(
    JSON.stringify({ type: "ContactCreate", locationId: request.tenant, webhookId: randomUUID(), timestamp: new Date().toISOString(), id: contactId, firstName: "Hook", lastName: `Lead ${contactId}`, tags: ["bench"] }),
  );
  report.sentAt.set(contactId, epochNow());
  let status = 0;
  try {
    const response = await fetch(`${request.bridgeOrigin}${GHL_WEBHOOK_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-ghl-signature": sign(null, body, key).toString("base64") },
      body,
    });
    await response.arrayBuffer();
    status = response.status;
  } catch {
    // Counted as status 0: the connection failed.
  }
  report.answers.set(status, (report.answers.get(status) ?? 0) + 1);
}

/** Sends at the request's rate for its duration, each webhook on its own schedule slot. */
async function run(request: SendRequest): Promise<SendReport> {
  const key = createPrivateKey(request.privateKeyPem);
  const report = { answers: new Map<number, number>(), sentAt: new Map<string, number>() };
  const intervalMs = 1000 / request.rate;
  const started = performance.now();
  const sends: Promise<void>[] = [];
  let n = 0;
  for (; performance.now() - started < request.durationMs; n++) {
    sends.push(sendOne(request, key, `benchC${request.label}-${n}x${randomUUID().slice(0, 8)}`, report));
    const next = started + (n + 1) * intervalMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  await Promise.all(sends);
  return { sent: n, seconds: (performance.now() - started) / 1000, answers: [...report.answers], sentAt: [...report.sentAt] };
}

function serve(): void {
  process.on("message", (message: unknown) => {
    if (!isSendRequest(message)) {
      process.stderr.write("webhook sender: ignored a message that is not a send request\n");
      return;
    }
    run(message).then(
      (report) => process.send?.(report),
      (error: unknown) => {
        process.stderr.write(`webhook sender: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  });
}

if (require.main === module) serve();
