import { seeded, zipf } from "./measure.ts";

/**
 * A replayable stream of RAG questions: topics drawn with Zipf popularity, each asked either in its
 * canonical wording (with case and spacing noise, which key normalization absorbs) or, for a share
 * of the requests, in one of its paraphrases (which only a semantic layer can match). Generated, not
 * taken from a data set; the paraphrases are of the kinds bench/data/paraphrase-pairs.json lists.
 */

const SUBJECTS = [
  "Redis connection pooling",
  "vector databases",
  "retrieval-augmented generation",
  "BM25 ranking",
  "HNSW indexes",
  "prompt caching",
  "cosine similarity",
  "semantic caching",
  "query expansion",
  "document chunking",
  "embedding models",
  "reranking",
  "hybrid search",
  "LLM temperature",
  "context windows",
  "Kubernetes autoscaling",
  "PostgreSQL indexes",
  "TLS certificates",
  "rate limiting",
  "circuit breakers",
  "message queues",
  "write-through caching",
  "cache invalidation",
  "TTL expiry",
  "consistent hashing",
  "database sharding",
  "replication lag",
  "OAuth tokens",
  "JSON schema validation",
  "zero-downtime deploys",
  "feature flags",
  "blue-green deployments",
  "load balancers",
  "CDN caching",
  "HTTP/2 multiplexing",
  "WebSockets",
  "gRPC streaming",
  "event sourcing",
  "Bloom filters",
  "LRU eviction",
  "garbage collection in Node.js",
  "TypeScript generics",
  "Hono middleware",
  "Zod schemas",
  "product quantization",
  "knowledge graphs",
  "LoRA fine-tuning",
  "few-shot prompting",
  "chain-of-thought prompting",
  "hallucination detection",
  "citation grounding",
  "PII redaction",
  "LLM observability",
  "Bun's test runner",
  "Docker image layers",
];

/** A canonical question and its paraphrases, `{s}` standing for the subject. */
const FRAMES: { canonical: string; paraphrases: string[] }[] = [
  {
    canonical: "What is {s}?",
    paraphrases: ["What's {s}?", "Can you explain what {s} is?", "Please tell me what {s} is", "what is {s}"],
  },
  {
    canonical: "How do I configure {s}?",
    paraphrases: [
      "How can I configure {s}?",
      "How to configure {s}",
      "Please explain how to configure {s}",
      "How should I configure {s}?",
    ],
  },
  {
    canonical: "What are the benefits of {s}?",
    paraphrases: [
      "What are the advantages of {s}?",
      "Benefits of {s}?",
      "What benefits does {s} have?",
      "What are the main benefits of {s}?",
    ],
  },
  {
    canonical: "How does {s} work?",
    paraphrases: ["Can you explain how {s} works?", "How does {s} work internally?", "Explain how {s} works", "how {s} works"],
  },
  {
    canonical: "When should I use {s}?",
    paraphrases: [
      "When should {s} be used?",
      "In which cases should I use {s}?",
      "When do I use {s}?",
      "When is {s} the right choice?",
    ],
  },
  {
    canonical: "What are common problems with {s}?",
    paraphrases: [
      "What are typical problems with {s}?",
      "Common problems with {s}",
      "What usually goes wrong with {s}?",
      "What are the common issues with {s}?",
    ],
  },
];

export interface Topic {
  id: number;
  subject: number;
  canonical: string;
  paraphrases: string[];
}

export interface StreamRequest {
  topic: number;
  text: string;
  paraphrase: boolean;
}

export interface StreamOptions {
  requests: number;
  /** Share of requests asked in a paraphrase. */
  paraphraseShare: number;
  /** Zipf exponent of topic popularity. */
  zipfS: number;
  seed: number;
}

export interface QueryStream {
  topics: Topic[];
  requests: StreamRequest[];
  /** Requests whose normalized text was asked before: what exact layers can answer. */
  exactRepeatRate: number;
  /** Requests whose topic was asked before, in any wording: what a perfect semantic layer could answer. */
  topicRepeatRate: number;
}

export const TOPICS: Topic[] = SUBJECTS.flatMap((subject, s) =>
  FRAMES.map((frame, f) => ({
    id: s * FRAMES.length + f,
    subject: s,
    canonical: frame.canonical.replace("{s}", subject),
    paraphrases: frame.paraphrases.map((p) => p.replace("{s}", subject)),
  })),
);

const normalize = (text: string) => text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();

/** Case and spacing noise of the kind users type; key normalization maps it back to one key. */
function noisy(text: string, random: () => number): string {
  const roll = random();
  if (roll < 0.15) return text.toLowerCase();
  if (roll < 0.25) return `  ${text.replace(/ /g, "  ")} `;
  if (roll < 0.3) return text.toUpperCase();
  return text;
}

export function queryStream(options: StreamOptions): QueryStream {
  const random = seeded(options.seed);
  const order = TOPICS.map((topic) => topic.id);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const draw = zipf(TOPICS.length, options.zipfS, random);
  const seenTexts = new Set<string>();
  const seenTopics = new Set<number>();
  let exactRepeats = 0;
  let topicRepeats = 0;
  const requests = Array.from({ length: options.requests }, (): StreamRequest => {
    const topic = TOPICS[order[draw()]!]!;
    const paraphrase = random() < options.paraphraseShare;
    const text = paraphrase
      ? topic.paraphrases[Math.floor(random() * topic.paraphrases.length)]!
      : noisy(topic.canonical, random);
    const normalized = normalize(text);
    if (seenTexts.has(normalized)) exactRepeats++;
    if (seenTopics.has(topic.id)) topicRepeats++;
    seenTexts.add(normalized);
    seenTopics.add(topic.id);
    return { topic: topic.id, text, paraphrase };
  });
  return {
    topics: TOPICS,
    requests,
    exactRepeatRate: exactRepeats / options.requests,
    topicRepeatRate: topicRepeats / options.requests,
  };
}
