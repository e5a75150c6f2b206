/**
 * Why a goal of bench/contenders.ts was missed, as far as profiles show: printed in RESULTS.md's
 * closing note next to the measured figure.
 */
export const WHY_MISSED = {
  "W1 by key": "No profile recorded yet.",
  "W1 by text": "No profile recorded yet.",
  "W1 metrics": "No profile recorded yet.",
  "W2 redis": "No profile recorded yet.",
  "W2 chain": "No profile recorded yet.",
  W3: "No profile recorded yet.",
  W4: "No profile recorded yet.",
  W5: "No profile recorded yet.",
} as const;
