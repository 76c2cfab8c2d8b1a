import { parseArgs } from "node:util";
import { isRole } from "../lib/auth/roles";
import { parseDuration } from "../lib/config";
import { createDatabase } from "../lib/db/database";
import { isTenantId } from "../lib/ids";
import type { GatewayDatabase } from "../gateway/src/auth/api-key.repository";
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from "../gateway/src/auth/api-key.service";
import { ownerUrl } from "./owner-url";

const USAGE = `usage:
  npm run apikey -- create --tenant <id> --role <ADMIN|AGENT|VIEWER> --name <name> [--scope "<scopes>"] [--ttl <30d>]
  npm run apikey -- list [--tenant <id>]
  npm run apikey -- rotate <key-id> [--overlap <24h>]
  npm run apikey -- revoke <key-id>`;

class UsageError extends Error {}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`--${flag} is required`);
  return value;
}

function seconds(value: string | undefined, flag: string, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  const parsed = parseDuration(value);
  if (parsed === null) throw new UsageError(`--${flag} must be a duration like 90s, 15m, 12h or 30d`);
  return parsed;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { tenant: { type: "string" }, role: { type: "string" }, name: { type: "string" }, scope: { type: "string" }, ttl: { type: "string" }, overlap: { type: "string" } },
  });
  const [command, id] = positionals;
  const db = createDatabase<GatewayDatabase>(ownerUrl(), { name: "apikey-cli" });
  try {
    switch (command) {
      case "create": {
        const tenantId = required(values.tenant, "tenant");
        const role = required(values.role, "role");
        if (!isTenantId(tenantId)) throw new UsageError("--tenant must match ^[A-Za-z0-9_-]{1,64}$");
        if (!isRole(role)) throw new UsageError("--role must be ADMIN, AGENT or VIEWER");
        const ttl = seconds(values.ttl, "ttl", null);
        const { key, info } = await createApiKey(db, {
          tenantId,
          role,
          name: required(values.name, "name"),
          scopes: (values.scope ?? "").split(" ").filter(Boolean),
          expiresAt: ttl === null ? null : new Date(Date.now() + ttl * 1000),
        });
        process.stdout.write(`${JSON.stringify({ ...info, key }, null, 2)}\nStore the key now: it is not shown again.\n`);
        return;
      }
      case "list":
        process.stdout.write(`${JSON.stringify(await listApiKeys(db, values.tenant), null, 2)}\n`);
        return;
      case "rotate": {
        const rotated = await rotateApiKey(db, required(id, "key id (positional)"), seconds(values.overlap, "overlap", 86_400)!);
        if (!rotated) throw new UsageError(`no active key with id ${id}`);
        process.stdout.write(`${JSON.stringify({ ...rotated.info, key: rotated.key }, null, 2)}\nThe old key stays valid until its new expiry.\n`);
        return;
      }
      case "revoke":
        if (!(await revokeApiKey(db, required(id, "key id (positional)")))) throw new UsageError(`no key with id ${id}`);
        process.stdout.write(`revoked ${id}\n`);
        return;
      default:
        throw new UsageError(`unknown command ${command ?? "(none)"}`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  const usage = error instanceof UsageError || (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"));
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage ? USAGE + "\n" : ""}`);
  process.exit(usage ? 2 : 1);
});
