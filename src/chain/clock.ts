/**
 * `Date.now` read at most once per millisecond. A clock read costs more than an L1 lookup itself
 * (see the README), and TTLs need no finer resolution than a millisecond; the cached value is
 * dropped by a timer, so it is never older than a millisecond.
 */
export function coarseClock(): () => number {
  let cached = 0;
  const expire = () => {
    cached = 0;
  };
  return () => {
    if (cached !== 0) return cached;
    cached = Date.now();
    const timer = setTimeout(expire, 1) as unknown as { unref?: () => void };
    timer.unref?.();
    return cached;
  };
}
