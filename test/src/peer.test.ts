import { describe, expect, test } from "bun:test";
import { importPeer, isRagCacheError } from "ragcache";

describe("optional peer dependencies", () => {
  test("a missing package is E_MISSING_PEER naming the package and the plugin", async () => {
    const name = "ragcache-test-package-that-is-not-installed";
    const error = await importPeer(name, "ragcache/example", () => import(name)).catch((caught: unknown) => caught);
    expect(isRagCacheError(error, "E_MISSING_PEER")).toBe(true);
    expect((error as Error).message).toContain(`ragcache/example needs the "${name}" package`);
    expect((error as Error).message).toContain(`npm install ${name}`);
  });

  test("an installed package loads, and other failures pass through unchanged", async () => {
    expect(typeof (await importPeer("croner", "ragcache/warming", () => import("croner"))).Cron).toBe("function");
    const broken = new SyntaxError("Unexpected token in croner");
    const error = await importPeer("croner", "ragcache/warming", () => Promise.reject(broken)).catch((caught: unknown) => caught);
    expect(error).toBe(broken);
  });
});
