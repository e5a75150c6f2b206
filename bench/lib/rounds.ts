import type Redis from "ioredis";
import type { Contender, ContenderSetup, ContenderSpec } from "../peers/index.ts";
import { median, perRoundRatios, sleep } from "./measure.ts";
import { alternate, type Measures } from "./workloads.ts";

/** Per contender, one result per round (undefined where it failed); each round starts one contender further along. */
export type Rounds<T> = Map<string, (T | undefined)[]>;
/** A sliced workload's figures of one contender in one round, by measure. */
export type Figures = Record<string, number>;

export interface RoundsConfig {
  /** Flushes the shared Redis between contenders and rounds. */
  admin: Redis;
  setup: ContenderSetup;
  rounds: number;
  /** Workloads to run; the others answer empty results. */
  workloads: ReadonlySet<string>;
  /** Sliced workloads: each measure's total time per contender and round, and its number of turns. */
  slicedMs: number;
  slices: number;
  /** Why a contender or a workload could not be measured, by name: filled, never thrown. */
  problems: Map<string, string>;
}

/**
 * How bench/contenders.ts runs its workloads round by round: one contender after another
 * (`interleaved`, for workloads that need the machine to themselves) or all at once in alternating
 * slices (`sliced`, for throughput that other load on the machine would skew).
 */
export function roundRunner({ admin, setup, rounds, workloads, slicedMs, slices, problems }: RoundsConfig) {
  /** A fresh instance of the contender on an empty Redis; a contender that cannot run is noted, not fatal. */
  async function withContender<T>(
    spec: ContenderSpec,
    workload: string,
    l1Max: number,
    work: (contender: Contender) => Promise<T>,
  ): Promise<T | undefined> {
    if (problems.has(spec.name)) return undefined;
    await admin.flushall();
    let contender: Contender;
    try {
      contender = await spec.create({ ...setup, l1Max });
    } catch (error) {
      problems.set(spec.name, `could not be created: ${(error as Error).message}`);
      return undefined;
    }
    try {
      // Connected before measured: a lookup of a key nobody stores, then a moment for background connections.
      await contender.get(contender.key?.("bench:connect") ?? "bench:connect");
      await sleep(20);
      return await work(contender);
    } catch (error) {
      problems.set(`${spec.name} / ${workload}`, (error as Error).message);
      return undefined;
    } finally {
      await contender.close().catch(() => {});
    }
  }

  async function interleaved<T>(
    name: string,
    specs: readonly ContenderSpec[],
    work: (contender: Contender, spec: ContenderSpec, round: number) => Promise<T>,
    l1Max = setup.l1Max,
  ): Promise<Rounds<T>> {
    const results: Rounds<T> = new Map(specs.map((spec) => [spec.name, []]));
    if (!workloads.has(name)) return results;
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < specs.length; k++) {
        const spec = specs[(k + round) % specs.length]!;
        results.get(spec.name)![round] = await withContender(spec, name, l1Max, (c) => work(c, spec, round));
      }
      console.error(`${name}: round ${round + 1}/${rounds} done`);
    }
    return results;
  }

  /**
   * A sliced workload: per round, every contender opened at once on the flushed Redis (in an order
   * that starts one further along each round), its measures prepared, then run in alternating slices.
   */
  async function sliced(
    name: string,
    specs: readonly ContenderSpec[],
    prepare: (contender: Contender, spec: ContenderSpec) => Promise<Measures>,
    l1Max = setup.l1Max,
  ): Promise<Rounds<Figures>> {
    const results: Rounds<Figures> = new Map(specs.map((spec) => [spec.name, []]));
    if (!workloads.has(name)) return results;
    for (let round = 0; round < rounds; round++) {
      await admin.flushall();
      const opened: Contender[] = [];
      const measures = new Map<string, Measures>();
      for (let k = 0; k < specs.length; k++) {
        const spec = specs[(k + round) % specs.length]!;
        try {
          const contender = await spec.create({ ...setup, l1Max });
          opened.push(contender);
          measures.set(spec.name, await prepare(contender, spec));
        } catch (error) {
          problems.set(`${spec.name} / ${name}`, (error as Error).message);
        }
      }
      for (const [contender, figures] of await alternate(measures, slicedMs, slices)) results.get(contender)![round] = figures;
      await Promise.all(opened.map((contender) => contender.close().catch(() => {})));
      console.error(`${name}: round ${round + 1}/${rounds} done`);
    }
    return results;
  }

  return { interleaved, sliced };
}

export const valuesOf = <T>(results: Rounds<T>, name: string) => (results.get(name) ?? []).filter((r): r is T => r !== undefined);
export const medianOf = <T>(results: Rounds<T>, name: string, pick: (result: T) => number) =>
  median(valuesOf(results, name).map(pick));
/** `name`'s figure in each round, undefined where it failed. */
const figuresOf = <T>(results: Rounds<T>, name: string, pick: (result: T) => number) =>
  Array.from(results.get(name) ?? [], (result) => (result === undefined ? undefined : pick(result)));
/** Round by round, `name`'s figure divided by `base`'s in the same round. */
export const ratiosOf = <T>(results: Rounds<T>, name: string, base: string, pick: (result: T) => number) =>
  perRoundRatios(figuresOf(results, name, pick), figuresOf(results, base, pick));
/** The median over rounds of `name`'s figure divided by `base`'s in the same round. */
export const ratioOf = <T>(results: Rounds<T>, name: string, base: string, pick: (result: T) => number) =>
  median(ratiosOf(results, name, base, pick));
