import { createKey, nextStamp, normalizeText } from "ragcache";
import { chroma, meaningGuard, type Embedder } from "ragcache/chroma";

interface Pair {
  a: string;
  b: string;
  same: boolean;
  kind: string;
  /** "held-out": written after the guard was frozen, never used to tune it. */
  set?: string;
}

const pairsFile = (await Bun.file(new URL("../data/paraphrase-pairs.json", import.meta.url)).json()) as {
  source: string;
  pairs: Pair[];
};

/** Each labelled pair through the real layer: `a` stored in a namespace of its own, `b` looked up there. */
async function pairRates(serverUrl: string, guard: boolean, collection: string) {
  const layer = chroma({ url: serverUrl, collection, guard });
  const results = [];
  for (const [i, pair] of pairsFile.pairs.entries()) {
    const hit = await layer.get(createKey(pair.b, { namespace: `pair-${i}` }));
    results.push({ same: pair.same, heldOut: pair.set === "held-out", hit: hit !== undefined });
  }
  return bySet(results);
}

type Outcome = { same: boolean; heldOut: boolean; hit: boolean };

/** Rates on the tuning pairs and on the held-out pairs, apart. */
function bySet(results: Outcome[]) {
  return { tuning: rates(results.filter((r) => !r.heldOut)), heldOut: rates(results.filter((r) => r.heldOut)) };
}

function rates(results: Outcome[]) {
  const [positives, negatives] = [results.filter((r) => r.same).length, results.filter((r) => !r.same).length];
  const [hits, falseHits] = [results.filter((r) => r.same && r.hit).length, results.filter((r) => !r.same && r.hit).length];
  return { hitRate: hits / positives, falseHitRate: falseHits / negatives, hits, falseHits, positives, negatives };
}

/**
 * The labelled pairs of bench/data/paraphrase-pairs.json through the layer, guard on and off, on the
 * tuning and held-out pairs apart; and a threshold sweep of the embedder's cosine alone, guard on and off.
 */
export async function paraphraseAccuracy(serverUrl: string, embedder: Embedder) {
  const collection = `bench-pairs-${Date.now()}`;
  const writer = chroma({ url: serverUrl, collection });
  const now = Date.now();
  for (const [i, pair] of pairsFile.pairs.entries()) {
    await writer.set(createKey(pair.a, { namespace: `pair-${i}` }), {
      value: i,
      createdAt: now,
      expiresAt: now + 3_600_000,
      stamp: nextStamp(),
      digest: createKey(pair.a, { namespace: `pair-${i}` }).digest,
    });
  }
  const layer = {
    guarded: await pairRates(serverUrl, true, collection),
    unguarded: await pairRates(serverUrl, false, collection),
  };
  const guard = meaningGuard();
  const scored = await Promise.all(
    pairsFile.pairs.map(async (pair) => {
      const a = normalizeText(pair.a);
      const b = normalizeText(pair.b);
      const [va, vb] = await embedder.embed([a, b]);
      return {
        same: pair.same,
        heldOut: pair.set === "held-out",
        similarity: va!.reduce((sum, x, i) => sum + x * vb![i]!, 0),
        guard: guard(b, a) === true,
      };
    }),
  );
  const sweep = [0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95].map((threshold) => ({
    threshold,
    unguarded: rates(scored.map((s) => ({ ...s, hit: s.similarity >= threshold }))),
    guarded: rates(scored.map((s) => ({ ...s, hit: s.similarity >= threshold && s.guard }))),
  }));
  return { layer, sweep, pairs: pairsFile.pairs.length };
}
