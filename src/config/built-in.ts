/** The plugins that config can name by a bare word; anything else is a module specifier. */
export const BUILT_IN_PLUGINS = ["memory", "redis", "file", "chroma", "metrics", "warming"] as const;

/**
 * What `loadConfig` imports for a built-in plugin: the package's own export. The build swaps this
 * module for one that imports the plugin's file next to the built code, so a copy of `dist/` works
 * wherever it lies (bundled, vendored, or reached through a runtime that does not resolve a package
 * from inside itself).
 */
export function builtInSpecifier(name: (typeof BUILT_IN_PLUGINS)[number]): string {
  return `ragcache/${name}`;
}
