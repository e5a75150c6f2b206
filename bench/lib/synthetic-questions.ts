/**
 * Synthetic questions for the semantic latency bench: distinct stored questions built from
 * templates, a paraphrase of each, and questions unrelated to all of them.
 */

const VERBS =
  "configure deploy debug profile secure monitor migrate upgrade test index cache shard replicate compress encrypt log trace benchmark backup restore partition validate serialize stream schedule".split(
    " ",
  );
const OBJECTS = (
  "sessions queues webhooks cron jobs sockets uploads thumbnails invoices passwords tokens cookies headers routes forms tables views triggers clusters " +
  "nodes pods volumes secrets certificates domains emails notifications payments carts searches embeddings prompts documents chunks vectors models agents workflows pipelines datasets"
).split(" ");
const TECHS = (
  "redis postgres mysql mongodb kafka rabbitmq nginx docker kubernetes terraform ansible django flask rails laravel spring express fastify nextjs nuxt " +
  "svelte angular react vue hono bun deno node golang rust elixir kotlin swift flutter electron graphql grpc elasticsearch clickhouse cassandra"
).split(" ");
const TEMPLATES: [(v: string, o: string, t: string) => string, (v: string, o: string, t: string) => string][] = [
  [(v, o, t) => `how do i ${v} ${o} in ${t}`, (v, o, t) => `how can i ${v} ${o} in ${t}?`],
  [(v, o, t) => `what is the best way to ${v} ${o} with ${t}`, (v, o, t) => `what's the best way to ${v} ${o} with ${t}?`],
  [(v, o, t) => `why does ${t} fail to ${v} ${o}`, (v, o, t) => `why does ${t} fail to ${v} the ${o}?`],
];

/** `size` distinct stored questions (templates × verbs × objects × technologies), a paraphrase of any of them, and unrelated questions. */
export function syntheticQuestions(size: number, random: () => number) {
  const combos: [number, string, string, string][] = [];
  for (let t = 0; t < TEMPLATES.length; t++)
    for (const v of VERBS) for (const o of OBJECTS) for (const tech of TECHS) combos.push([t, v, o, tech]);
  if (size > combos.length) throw new Error(`at most ${combos.length} synthetic questions, asked for ${size}`);
  for (let i = combos.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [combos[i], combos[j]] = [combos[j]!, combos[i]!];
  }
  const chosen = combos.slice(0, size);
  return {
    stored: chosen.map(([t, v, o, tech]) => TEMPLATES[t]![0](v, o, tech)),
    paraphrase: (index: number) => TEMPLATES[chosen[index]![0]]![1](...(chosen[index]!.slice(1) as [string, string, string])),
    unrelated: (i: number) =>
      `which ${OBJECTS[i % OBJECTS.length]} did the ${["north", "south", "east", "west"][i % 4]} office order in week ${i}`,
  };
}
