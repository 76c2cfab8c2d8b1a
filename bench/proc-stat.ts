import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

/**
 * CPU accounting from Linux's /proc, for the benchmarks: `process.cpuUsage` sees only the
 * calling process, while the time of a benchmark also goes to Postgres and, with one
 * process per service, to the services' own processes. Every reader returns null off
 * Linux (no /proc) instead of throwing, so a benchmark still runs there without the numbers.
 */

function readClockTicks(): number {
  try {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    if (Number.isInteger(value) && value > 0) return value;
  } catch {
    // No getconf (a minimal container): fall through to the value every mainstream Linux build uses.
  }
  return 100;
}

/** USER_HZ, the unit of the utime and stime of /proc/<pid>/stat: `getconf CLK_TCK`, 100 when that cannot be asked. */
export const CLOCK_TICKS_PER_SECOND: number = readClockTicks();

/** One process as /proc/<pid>/stat and /proc/<pid>/schedstat describe it. */
export interface ProcEntry {
  parent: number;
  /** User plus system CPU time of every thread of the process, in ms. */
  cpuMs: number;
  /**
   * Time the process' main thread was runnable but waited for a CPU (schedstat), in ms;
   * null where the kernel does not keep it. For single-threaded Postgres backends this is
   * the whole process.
   */
  mainThreadWaitMs: number | null;
}

/** The fields after the parenthesised command name (which may itself hold spaces and parentheses). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** utime (14th field) plus stime (15th) of a /proc stat line, in ms. */
function statCpuMs(fields: readonly string[]): number {
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The second field of a schedstat line (ns spent waiting on a run queue), in ms; null when absent. */
function readWaitMs(path: string): number | null {
  try {
    const waitNs = Number(readFileSync(path, "utf8").split(" ")[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e6 : null;
  } catch {
    return null;
  }
}

/** Every process visible in /proc, by pid; null off Linux. */
export function readProcessTable(): Map<number, ProcEntry> | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const table = new Map<number, ProcEntry>();
  for (const pid of entries) {
    try {
      const fields = statFields(readFileSync(`/proc/${pid}/stat`, "utf8"));
      table.set(Number(pid), { parent: Number(fields[1]), cpuMs: statCpuMs(fields), mainThreadWaitMs: readWaitMs(`/proc/${pid}/schedstat`) });
    } catch {
      // The process exited between listing and reading.
    }
  }
  return table;
}

/** Whether `pid` descends from `ancestor` in `table`. */
function descendsFrom(table: ReadonlyMap<number, ProcEntry>, pid: number, ancestor: number): boolean {
  for (let parent = table.get(pid)?.parent; parent !== undefined && parent > 1; parent = table.get(parent)?.parent) {
    if (parent === ancestor) return true;
  }
  return false;
}

/** CPU and run-queue wait summed over a set of processes, in ms. */
export interface CpuTotals {
  cpuMs: number;
  waitMs: number;
  processes: number;
}

/**
 * The descendants of `root` that are alive now, leaving out the subtrees of `exclude`: with
 * the embedded cluster and the services as children, excluding the services leaves
 * Postgres (postmaster and backends).
 */
export function descendants(table: ReadonlyMap<number, ProcEntry>, root: number, exclude: ReadonlySet<number> = new Set()): Map<number, ProcEntry> {
  const found = new Map<number, ProcEntry>();
  for (const [pid, entry] of table) {
    if (exclude.has(pid) || !descendsFrom(table, pid, root)) continue;
    if ([...exclude].some((excluded) => descendsFrom(table, pid, excluded))) continue;
    found.set(pid, entry);
  }
  return found;
}

/**
 * CPU time (ms) of the descendants of `root` that are alive now (see {@link descendants}).
 * A process that exits in between takes its time with it, so a difference of two of these
 * can even come out negative; {@link cpuBetween} does not.
 */
export function descendantsCpu(table: ReadonlyMap<number, ProcEntry>, root: number, exclude: ReadonlySet<number> = new Set()): CpuTotals {
  const totals: CpuTotals = { cpuMs: 0, waitMs: 0, processes: 0 };
  for (const entry of descendants(table, root, exclude).values()) {
    totals.cpuMs += entry.cpuMs;
    totals.waitMs += entry.mainThreadWaitMs ?? 0;
    totals.processes++;
  }
  return totals;
}

/**
 * What a set of processes used between two samples, process by process: one alive at both
 * counts its difference, one started in between all of its time. One that exited in between
 * (a pooled connection closed when idle) is left out, as its last time is unknown; that
 * undercounts a little instead of subtracting its whole life. `processes` counts the end sample.
 */
export function cpuBetween(before: ReadonlyMap<number, ProcEntry>, after: ReadonlyMap<number, ProcEntry>): CpuTotals {
  const totals: CpuTotals = { cpuMs: 0, waitMs: 0, processes: after.size };
  for (const [pid, end] of after) {
    const start = before.get(pid);
    totals.cpuMs += end.cpuMs - (start?.cpuMs ?? 0);
    totals.waitMs += (end.mainThreadWaitMs ?? 0) - (start?.mainThreadWaitMs ?? 0);
  }
  return totals;
}

/** One process' CPU at an instant, in ms since it started. */
export interface ProcessCpuSample {
  /** All threads: for Node, the JS thread plus libuv's pool and V8's GC and compiler threads. */
  cpuMs: number;
  /** The main thread alone: for Node, the event loop, which one request at a time runs on. */
  mainThreadCpuMs: number;
  /** Time the main thread was runnable but waited for a CPU; null where schedstat is missing. */
  mainThreadWaitMs: number | null;
}

/** Samples one process; null when it is gone or /proc cannot be read. */
export function sampleProcessCpu(pid: number): ProcessCpuSample | null {
  try {
    const cpuMs = statCpuMs(statFields(readFileSync(`/proc/${pid}/stat`, "utf8")));
    // The thread whose id is the pid is the main thread; the process' own line sums all threads.
    const mainThreadCpuMs = statCpuMs(statFields(readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8")));
    return { cpuMs, mainThreadCpuMs, mainThreadWaitMs: readWaitMs(`/proc/${pid}/task/${pid}/schedstat`) };
  } catch {
    return null;
  }
}

/** A process' resident set in MiB; null when it is gone or /proc cannot be read. */
export function processRssMiB(pid: number): number | null {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? null : Math.round(Number(kib) / 1024);
  } catch {
    return null;
  }
}

/**
 * CPU time (ms) the hypervisor has taken from this machine's cores since boot (`steal` in
 * /proc/stat's first line), 0 where that is not readable. A virtual machine whose cores are
 * taken away runs everything slower, so a result is read next to it.
 */
export function machineStealMs(): number {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/);
    const steal = Number(fields[8]);
    return Number.isFinite(steal) ? (steal * 1000) / CLOCK_TICKS_PER_SECOND : 0;
  } catch {
    return 0;
  }
}

/** CPU time (ms) every core of the machine has spent busy since boot. */
export function machineBusyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}
