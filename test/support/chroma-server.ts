import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "bun:test";
import type { Subprocess } from "bun";
import { freePort } from "./redis-server.ts";

/** A Chroma server for tests: a private child process, or the one CHROMA_URL names. */
export interface ChromaServer {
  /** `http://127.0.0.1:<port>` (or CHROMA_URL). */
  readonly url: string;
  /** True when this is the CHROMA_URL server: shared, so `kill` and `pause` are refused. */
  readonly external: boolean;
  /** Shut the server down (SIGTERM), wait for it and remove its data dir; a no-op for CHROMA_URL. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the process and wait until it is gone: the "Chroma died" scenario. */
  kill(): Promise<void>;
  /** SIGSTOP the process: it keeps its port but answers nothing, the "Chroma hangs" scenario. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
}

export interface StartChromaOptions {
  /** Always start a child process, even when CHROMA_URL is set (tests that kill the server). Default false. */
  private?: boolean;
  /** How long to wait for /api/v2/heartbeat to answer. Default 20 000 ms. */
  readyTimeoutMs?: number;
}

const HOST = "127.0.0.1";
// The pinned chromadb-js-bindings package (a Chroma 1.0.0 server) exposes only its cli.
const CLI = `require("chroma-server").cli(["chroma", "run", "--path", process.argv[1], "--host", "${HOST}", "--port", process.argv[2]])`;

/**
 * `startChroma()` → `{ url, stop(), kill() }`. Runs the `chroma-server` npm package's cli in a child
 * process on a free loopback port with its data in a temp dir, or uses CHROMA_URL when set (unless
 * `private`). Throws a message that says what is wrong when no server can be had: tests never skip.
 */
export async function startChroma(options: StartChromaOptions = {}): Promise<ChromaServer> {
  const external = process.env.CHROMA_URL;
  if (external && !options.private) return externalServer(external);
  const dir = await mkdtemp(join(tmpdir(), "ragcache-chroma-"));
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const child: Subprocess = Bun.spawn([process.execPath, "-e", CLI, dir, String(port)], {
    cwd: join(import.meta.dir, "../.."),
    stdout: "ignore",
    stderr: "pipe",
  });
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await waitForHeartbeat(url, options.readyTimeoutMs ?? 20_000, () => child.exitCode !== null);
  } catch (error) {
    child.kill("SIGKILL");
    await child.exited;
    await cleanup();
    const stderr = await new Response(child.stderr as ReadableStream).text().catch(() => "");
    throw new Error(
      `the Chroma server (npm package chroma-server = chromadb-js-bindings-linux-x64-gnu@0.1.3) did not start on port ${port}: ` +
        `${(error as Error).message}. Run \`bun install\`, or set CHROMA_URL to a Chroma 1.x server the tests may use.${stderr ? `\n${stderr}` : ""}`,
    );
  }
  process.once("exit", () => child.kill("SIGKILL"));
  const end = async (signal: "SIGTERM" | "SIGKILL") => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      // A paused server would sit on SIGTERM until continued.
      child.kill("SIGCONT");
      await child.exited;
    }
    await cleanup();
  };
  return {
    url,
    external: false,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
    pause: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
  };
}

function externalServer(url: string): ChromaServer {
  const refuse = () => {
    throw new Error(
      "the Chroma at CHROMA_URL is shared and cannot be killed or paused; call startChroma({ private: true }) for such tests",
    );
  };
  return { url, external: true, stop: async () => {}, kill: async () => refuse(), pause: refuse, resume: refuse };
}

async function waitForHeartbeat(url: string, timeoutMs: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error("the process exited");
    const ok = await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(500) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(50);
  }
  throw new Error(`no heartbeat within ${timeoutMs} ms`);
}

/**
 * A Chroma for the calling test file, started before its first test and stopped after its last,
 * with a fresh collection name per call of `collection()` so tests never see each other's entries.
 */
export function chromaForTests(prefix: string): { readonly url: string; collection(): string } {
  let server: ChromaServer | undefined;
  let collections = 0;
  beforeAll(async () => {
    server = await startChroma();
  });
  afterAll(() => server?.stop());
  return {
    get url() {
      if (!server) throw new Error("the test Chroma is not started yet: use it inside a test");
      return server.url;
    },
    collection: () => `${prefix}-${process.pid}-${++collections}`,
  };
}
