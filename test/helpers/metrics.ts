/**
 * Reads one sample from a service's `GET /metrics` (its GraphQL URL's origin): the value of
 * `name` with exactly these labels, or 0 when there is no such sample yet.
 */
export async function readMetric(graphqlUrl: string, name: string, labels: Readonly<Record<string, string>>): Promise<number> {
  const response = await fetch(new URL("/metrics", graphqlUrl));
  const text = await response.text();
  const wanted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const sample = [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key ?? "", value ?? ""] as const).sort(([a], [b]) => a.localeCompare(b));
    if (sample.length === wanted.length && sample.every(([key, value], i) => wanted[i]?.[0] === key && wanted[i]?.[1] === value)) return Number(match[3]);
  }
  return 0;
}
