/** A redis layer as config that gives up fast (200 ms budgets, no retries) and falls back to files in `dir`. */
export function fastFailingRedis(url: string, dir: string) {
  return {
    use: "redis",
    url,
    connectTimeout: "200ms",
    commandTimeout: "200ms",
    retries: 0,
    fallback: { use: "file", dir },
  };
}
