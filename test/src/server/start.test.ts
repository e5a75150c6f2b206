import { afterEach, describe, expect, test } from "bun:test";
import { isRagCacheError } from "ragcache";
import { startServer, type RunningServer } from "../../../src/server/start.ts";

const servers: RunningServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

const config = { layers: [{ use: "memory" }] };
const start = async (options: Parameters<typeof startServer>[0]) => {
  const server = await startServer({ config, port: 0, ...options });
  servers.push(server);
  return server;
};
const statusWithHost = async (server: RunningServer, host: string) =>
  (await fetch(`http://127.0.0.1:${server.port}/health`, { headers: { host } })).status;

describe("server start", () => {
  test("an empty or invalid host is an error at start, before anything is bound", async () => {
    for (const host of ["", "  ", "not a host", "256.1.1.1:80", "http://127.0.0.1", "-bad-.example"]) {
      const error = await startServer({ config, port: 0, host }).catch((e: unknown) => e);
      expect({ host, code: isRagCacheError(error) ? error.code : error }).toEqual({ host, code: "E_CONFIG_INVALID" });
      expect((error as Error).message).toContain("is not a host name or IP address");
    }
  });

  test("bound to loopback, a request for another Host gets 421 (DNS rebinding); the bound host and localhost pass", async () => {
    const server = await start({ host: "127.0.0.1" });
    expect(await statusWithHost(server, `127.0.0.1:${server.port}`)).toBe(200);
    expect(await statusWithHost(server, `localhost:${server.port}`)).toBe(200);
    expect(await statusWithHost(server, `attacker.example:${server.port}`)).toBe(421);
    expect(await statusWithHost(server, "cache.internal")).toBe(421);
  });

  test("names on the allow list pass too", async () => {
    const server = await start({ host: "127.0.0.1", allowedHosts: ["cache.internal"] });
    expect(await statusWithHost(server, "cache.internal:8787")).toBe(200);
    expect(await statusWithHost(server, "attacker.example")).toBe(421);
  });

  test("bound to every interface without an allow list, any Host is served", async () => {
    const server = await start({ host: "0.0.0.0" });
    expect(await statusWithHost(server, "cache.example.com")).toBe(200);
  });
});
