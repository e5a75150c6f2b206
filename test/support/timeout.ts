import { plugin } from "bun";
import { setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";

// Live Redis/Chroma tests start their own servers: give them room on a loaded machine, but fail rather
// than hang. (Bun reads no `timeout` from bunfig.toml, so it is set here, preloaded for every file.)
const TEST_TIMEOUT_MS = 30_000;
setDefaultTimeout(TEST_TIMEOUT_MS);

// Bun 1.4 resets the default after each file and runs a preload once, so the call above reaches only
// the first file: the rest got 5 s (oven-sh/bun#43787). Set it again as each test file loads.
plugin({
  name: "default test timeout for every file",
  setup(build) {
    build.onLoad({ filter: /\.test\.ts$/ }, ({ path }) => {
      setDefaultTimeout(TEST_TIMEOUT_MS);
      return { contents: readFileSync(path, "utf8"), loader: "ts" };
    });
  },
});
