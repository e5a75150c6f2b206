// Pins the README's semantic layer snippet: it runs as written against a live Chroma.
import { expect, test } from "bun:test";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { chromaForTests } from "../../support/chroma-server.ts";

const server = chromaForTests("readme");

test("the README's semantic snippet runs as written: a paraphrase is served, a near miss refused with its reason", async () => {
  const readme = await Bun.file(join(import.meta.dir, "../../../README.md")).text();
  const section = readme.slice(readme.indexOf("## Semantic layer"));
  const snippet = section.slice(section.indexOf("```ts") + 5, section.indexOf("```", section.indexOf("```ts") + 5));
  expect(snippet).toContain("url: process.env.RAG_CHROMA_URL");
  const file = join(import.meta.dir, `.readme-snippet-${process.pid}.ts`);
  await Bun.write(file, snippet.replace('collection: "ragcache"', `collection: "${server.collection()}"`));
  try {
    const run = Bun.spawnSync([process.execPath, "run", file], {
      cwd: join(import.meta.dir, "../../.."),
      env: { ...process.env, RAG_CHROMA_URL: server.url },
    });
    const output = run.stdout.toString();
    expect({ exitCode: run.exitCode, stderr: run.stderr.toString() }).toEqual({ exitCode: 0, stderr: "" });
    expect(output).toContain('status: "hit"');
    expect(output).toContain('matchedText: "how do i reset my password?"');
    expect(output).toContain('not served "how do i reset my password?": word differs: "email" in the query only');
    expect(output).toContain('reason: "word differs: \\"email\\" in the query only"');
  } finally {
    await rm(file, { force: true });
  }
});
