import { createRoute } from "@hono/zod-openapi";
import { z, type ZodType } from "zod";
import {
  entryParam,
  entryQuery,
  errorBody,
  feedbackAnswer,
  feedbackBody,
  healthAnswer,
  invalidateAnswer,
  invalidateBody,
  jobBody,
  jobStatus,
  lookupAnswer,
  lookupBody,
  notFound,
  putAnswer,
  putBody,
  resolution,
  statsAnswer,
} from "./schemas.ts";

/** The server's routes as OpenAPI operations: the schemas that validate requests also document them. */

const json = <T extends ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const text = (description: string) => ({ description, content: { "text/plain": { schema: z.string() } } });
const jsonBody = <T extends ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });

const unauthorized = json(errorBody, "The bearer token is missing or wrong (only when the server has one).");
const invalid = json(
  errorBody,
  "Invalid input (every problem as `path: message`), or an Authorization header that is not Bearer.",
);
const tooLarge = json(errorBody, "The body is larger than the server's limit.");
const entryPath = "/v1/cache/{namespace}/{key}";

export const getEntry = createRoute({
  method: "get",
  path: entryPath,
  summary: "Read one entry",
  request: { params: entryParam, query: entryQuery },
  responses: {
    200: json(resolution, "The entry and where it came from."),
    404: json(notFound, "No fresh entry."),
    400: invalid,
    401: unauthorized,
  },
});

export const putEntry = createRoute({
  method: "put",
  path: entryPath,
  summary: "Write one entry through every layer",
  request: { params: entryParam, ...jsonBody(putBody) },
  responses: { 200: json(putAnswer, "Written; the entry's id."), 400: invalid, 401: unauthorized, 413: tooLarge },
});

export const deleteEntry = createRoute({
  method: "delete",
  path: entryPath,
  summary: "Delete one entry from every layer",
  request: { params: entryParam, query: entryQuery },
  responses: { 204: { description: "Deleted (or there was nothing)." }, 400: invalid, 401: unauthorized },
});

/** A POST of a JSON body answered with JSON, guarded and validated like every data route. */
const postJson = <B extends ZodType, A extends ZodType>(path: string, summary: string, body: B, answer: A, description: string) =>
  createRoute({
    method: "post",
    path,
    summary,
    request: jsonBody(body),
    responses: { 200: json(answer, description), 400: invalid, 401: unauthorized },
  });

export const lookup = postJson(
  "/v1/lookup",
  "Look a query up: exact layers, then the semantic one",
  lookupBody,
  lookupAnswer,
  "A hit with its value, or a miss.",
);

export const feedback = createRoute({
  method: "post",
  path: "/v1/feedback",
  summary: "A verdict on a semantic match: wrong (never serve it for this query again) or right",
  request: jsonBody(feedbackBody),
  responses: {
    200: json(feedbackAnswer, "Recorded by these layers."),
    400: invalid,
    401: unauthorized,
    501: json(errorBody, "No layer of this cache takes feedback."),
    503: json(errorBody, "A layer could not record the verdict (its store is unreachable)."),
  },
});

export const invalidate = postJson(
  "/v1/invalidate",
  "Invalidate by key, tag or document id",
  invalidateBody,
  invalidateAnswer,
  "What was invalidated.",
);

export const health = createRoute({
  method: "get",
  path: "/health",
  summary: "Each layer's state; never needs the token",
  responses: { 200: json(healthAnswer, "Up or degraded."), 503: json(healthAnswer, "A layer is down.") },
});

export const metrics = createRoute({
  method: "get",
  path: "/metrics",
  summary: "Prometheus text exposition 0.0.4",
  responses: {
    200: text("The ragcache_* families."),
    400: invalid,
    401: unauthorized,
    501: json(errorBody, "No metrics plugin."),
  },
});

export const stats = createRoute({
  method: "get",
  path: "/stats",
  summary: "Counters, per-layer hit rate and latency, plugin numbers, jobs",
  responses: { 200: json(statsAnswer, "Read only: no side effects."), 400: invalid, 401: unauthorized },
});

/** GET and POST /v1/<route> of a plugin job (the warming plugin's is "warm"). */
export function jobRoutes(route: string) {
  const path = `/v1/${route}`;
  return {
    status: createRoute({
      method: "get",
      path,
      summary: `Status of the ${route} job`,
      responses: {
        200: json(jobStatus, "Running or not, progress."),
        400: invalid,
        401: unauthorized,
        501: json(errorBody, "No such job."),
      },
    }),
    control: createRoute({
      method: "post",
      path,
      summary: `Start the ${route} job ({}) or cancel it ({ "cancel": true })`,
      request: jsonBody(jobBody),
      responses: {
        200: json(jobStatus, "Cancelled."),
        202: json(jobStatus, "Started (or joined)."),
        400: invalid,
        401: unauthorized,
        501: json(errorBody, "No such job."),
      },
    }),
  };
}
