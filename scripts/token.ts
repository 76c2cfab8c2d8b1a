import { parseArgs } from "node:util";
import { signUserToken } from "../gateway/src/auth/jwt";
import { isRole } from "../lib/auth/roles";
import { ConfigError, parseDuration } from "../lib/config";
import { devSecretsPath, readDevSecrets } from "../lib/dev-secrets";
import { isTenantId } from "../lib/ids";
import { readPlatformConfig } from "./platform-config";

/**
 * `npm run token -- --tenant <id> --role <ADMIN|AGENT|VIEWER> [--ttl 12h] [--sub <subject>] [--scope "<scopes>"]`
 * prints a client JWT the stack `npm start` runs accepts, and nothing else on stdout, so
 * `TOKEN=$(npm run --silent token -- ...)` works.
 */

const USAGE = 'usage: npm run token -- --tenant <id> --role <ADMIN|AGENT|VIEWER> [--ttl 12h] [--sub <subject>] [--scope "<scopes>"]';

/** A problem with the command line: exit status 2, like other CLI usage errors. */
class UsageError extends Error {}

function fail(message: string, code: number): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let values: { tenant?: string | undefined; role?: string | undefined; ttl: string; sub?: string | undefined; scope?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        tenant: { type: "string" },
        role: { type: "string" },
        ttl: { type: "string", default: "12h" },
        sub: { type: "string" },
        scope: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // parseArgs names the offending flag in its message.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }

  if (values.tenant === undefined) throw new UsageError(`--tenant is required (${USAGE})`);
  if (!isTenantId(values.tenant)) throw new UsageError("--tenant must be 1-64 letters, digits, '_' or '-'");
  const role = values.role?.toUpperCase();
  if (role === undefined) throw new UsageError(`--role is required (${USAGE})`);
  if (!isRole(role)) throw new UsageError("--role must be ADMIN, AGENT or VIEWER");
  const ttlSeconds = parseDuration(values.ttl);
  if (ttlSeconds === null || ttlSeconds <= 0) throw new UsageError("--ttl must be a duration like 90s, 15m, 12h or 30d");
  const sub = values.sub ?? `dev-${role.toLowerCase()}`;
  if (sub.trim() === "") throw new UsageError("--sub must not be empty");
  const scopes = (values.scope ?? "").split(/\s+/).filter(Boolean);

  const config = readPlatformConfig();
  // The gateway prefers JWKS_URL when both are set, so an HS256 token would be refused.
  if (config.jwksUrl !== undefined) fail("JWKS_URL is set, so the gateway accepts only your identity provider's tokens", 1);
  let secret = config.jwtSecret;
  if (secret === undefined) {
    const secrets = readDevSecrets(config.dataDir);
    if (!secrets) fail(`no dev secrets at ${devSecretsPath(config.dataDir)}: run \`npm start\` once to generate them (or set JWT_SECRET)`, 1);
    secret = secrets.jwtSecret;
  }
  const token = await signUserToken(secret, { sub, tenant: values.tenant, role, scopes }, { issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) fail(error.message, 2);
  if (error instanceof ConfigError) fail(error.message, 1);
  fail(error instanceof Error ? error.message : String(error), 1);
});
