import os from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

export interface Machine {
  cpu: string;
  cores: number;
  os: string;
  memoryGb: number;
  bun: string;
  date: string;
  /** 1, 5 and 15 minute load averages when the figures were written: other work on a shared machine. */
  loadAverage: number[];
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    os: `${os.type()} ${os.release()}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    bun: Bun.version,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/** Installed versions of the named packages (from their package.json, not the range asked for). */
export function versions(packages: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of packages) {
    try {
      found[name] = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
    } catch {
      found[name] = "not installed";
    }
  }
  found.ragcache = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  return found;
}

/** `redis-server --version` of the binary the benches start, or undefined when there is none. */
export function redisServerVersion(): string | undefined {
  const run = Bun.spawnSync(["redis-server", "--version"], { stdout: "pipe", stderr: "ignore" });
  return run.success ? /v=(\S+)/.exec(run.stdout.toString())?.[1] : undefined;
}

export function describeMachine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}; Bun ${m.bun}; load average ${m.loadAverage.join(" / ")}`;
}
