import { setDefaultTimeout } from "bun:test";

// Live Redis/Chroma tests start their own servers: give them room on a loaded machine, but fail rather
// than hang. (Bun reads no `timeout` from bunfig.toml, so it is set here, preloaded for every file.)
setDefaultTimeout(30_000);
