// Pins plugins/chroma/guard.ts with lexicon.ts, vocabulary.ts and typos.ts: every paraphrase and near-miss kind, both ways.
import { describe, expect, test } from "bun:test";
import { normalizeText } from "ragcache";
import { meaningGuard } from "ragcache/chroma";

const guard = meaningGuard();
const verdict = (a: string, b: string, check = guard) => check(normalizeText(a), normalizeText(b));

/** Each pair is checked both ways: the stored and the asked question may be either one. */
function expectBothWays(pairs: [string, string][], served: boolean) {
  for (const [a, b] of pairs) {
    expect({ a, b, verdict: verdict(a, b) === true }).toEqual({ a, b, verdict: served });
    expect({ a: b, b: a, verdict: verdict(b, a) === true }).toEqual({ a: b, b: a, verdict: served });
  }
}

describe("meaning guard serves paraphrases of every kind", () => {
  test("abbreviations and their expansions", () =>
    expectBothWays(
      [
        ["how do LLMs handle long prompts", "how do large language models handle long prompts"],
        ["what does our SLA promise for uptime", "what does our service level agreement promise for uptime"],
        ["how do I book PTO for friday", "how do I book paid time off for friday"],
        ["what is a normal BMI for a runner", "what is a normal body mass index for a runner"],
      ],
      true,
    ));

  test("typos of one or two edits in longer words", () =>
    expect(
      [
        ["how do I recieve a package at the office", "how do I receive a package at the office"],
        ["what is the maximum allowence for meals", "what is the maximum allowance for meals"],
        ["how to benchmark a javscript function", "how to benchmark a javascript function"],
      ].every(([a, b]) => verdict(a!, b!) === true && verdict(b!, a!) === true),
    ).toBe(true));

  test("synonyms from the built-in table", () =>
    expectBothWays(
      [
        ["how to delete a slack message", "how to remove a slack message"],
        ["when does the workshop begin", "when does the workshop start"],
        ["how do I purchase a train ticket", "how do I buy a train ticket"],
      ],
      true,
    ));

  test("politeness and filler around the question", () =>
    expectBothWays(
      [
        ["hi there, could you tell me how to renew a parking permit", "how to renew a parking permit"],
        ["one more thing: when is the library open", "when is the library open"],
        ["thanks in advance! what is the wifi password policy", "what is the wifi password policy"],
      ],
      true,
    ));

  test("imperative phrasing against a question", () =>
    expectBothWays(
      [
        ["walkthrough for creating a github release", "how do I create a github release"],
        ["list the ingredients of pesto", "what are the ingredients of pesto"],
        ["explain how a heat pump works", "how does a heat pump work"],
      ],
      true,
    ));

  test("hyphen, casing and spacing variants", () =>
    expectBothWays(
      [
        ["how to set-up a printer", "how to setup a printer"],
        ["how to install a browser plug in", "how to install a browser plugin"],
        ["how do I log in to the dashboard", "how do I login to the dashboard"],
        ["what is a non-profit organization", "what is a nonprofit organization"],
      ],
      true,
    ));

  test("singular and plural", () =>
    expectBothWays(
      [
        ["how to write an integration test", "how to write integration tests"],
        ["what does a pharmacist do", "what do pharmacists do"],
        ["how to clean a cast iron pan", "how to clean cast iron pans"],
      ],
      true,
    ));

  test("reordered clauses", () =>
    expectBothWays(
      [
        ["in go, how do I read a file line by line", "how do I read a file line by line in go"],
        ["when travelling to peru, do I need a visa", "do I need a visa when travelling to peru"],
        ["for a toddler, what is a healthy bedtime", "what is a healthy bedtime for a toddler"],
      ],
      true,
    ));
});

describe("meaning guard refuses near misses of every kind", () => {
  test("direction words with whole phrases: into, onto, to, from", () =>
    expectBothWays(
      [
        ["how to rebase a hotfix branch onto develop", "how to rebase develop onto a hotfix branch"],
        ["upgrade an angular 14 app to angular 15", "upgrade an angular 15 app to angular 14"],
        ["how to merge staging into production", "how to merge production into staging"],
        ["how to sync contacts from gmail to outlook", "how to sync contacts from outlook to gmail"],
      ],
      false,
    ));

  test("particles and opposites", () =>
    expectBothWays(
      [
        ["how do I sign in to teams", "how do I sign out of teams"],
        ["how to turn on location services", "how to turn off location services"],
        ["how to scale up a database cluster", "how to scale down a database cluster"],
        ["how to enable autoplay", "how to disable autoplay"],
      ],
      false,
    ));

  test("numbers, versions and years", () =>
    expectBothWays(
      [
        ["top 3 hiking trails in utah", "top 7 hiking trails in utah"],
        ["what is new in kotlin 1.9", "what is new in kotlin 2.0"],
        ["who won the tour de france in 2019", "who won the tour de france in 2021"],
      ],
      false,
    ));

  test("negation", () =>
    expectBothWays(
      [
        ["why is my printer printing", "why is my printer not printing"],
        ["cafes with wifi near me", "cafes without wifi near me"],
        ["which plants need direct sunlight", "which plants don't need direct sunlight"],
      ],
      false,
    ));

  test("swapped entities and changed constraints", () =>
    expectBothWays(
      [
        ["who founded spotify", "who founded netflix"],
        ["how to read a file in java", "how to read a file in go"],
        ["board games for kids", "board games for adults"],
        ["what is the dosage of amoxicillin", "what is the dosage of ampicillin"],
      ],
      false,
    ));

  test("comparative flips", () =>
    expectBothWays(
      [
        ["is rust faster than c++", "is c++ faster than rust"],
        ["why is the rent higher downtown", "why is the rent lower downtown"],
        ["the longest river in europe", "the shortest river in europe"],
      ],
      false,
    ));

  test("units", () =>
    expectBothWays(
      [
        ["convert 10 miles to kilometers", "convert 10 kilometers to miles"],
        ["bandwidth in megabits per second", "bandwidth in megabytes per second"],
        ["what is 40 celsius in fahrenheit", "what is 40 fahrenheit in celsius"],
      ],
      false,
    ));

  test("install against uninstall", () =>
    expectBothWays(
      [
        ["how to install zoom on linux", "how to uninstall zoom on linux"],
        ["install the nvidia driver", "uninstall the nvidia driver"],
        ["how do I install a chrome extension", "how do I uninstall a chrome extension"],
      ],
      false,
    ));
});

describe("meaning guard explains each refusal", () => {
  test("the reason names what differs", () => {
    expect(verdict("top 5 papers on rag", "top 10 papers on rag")).toBe("number differs: 5 vs 10");
    expect(verdict("is x safe", "is x not safe")).toBe('negation differs: "not" in the match only');
    expect(verdict("population of sweden", "population of norway")).toBe("word differs: sweden vs norway");
    expect(verdict("what time is check in", "what time is check out")).toBe('word differs: "out" in the match only');
    expect(verdict("flights from paris to london", "flights from london to paris")).toBe(
      'direction differs: "paris" after "from" in the query, after "to" in the match',
    );
  });

  test("abbreviations, synonyms and fillers are extended from options", () => {
    const extended = meaningGuard({ abbreviations: { mr: "merge request" }, synonyms: [["switch", "toggle"]], fillers: ["yo"] });
    expect(verdict("how do I review an MR", "how do I review a merge request")).not.toBe(true);
    expect(verdict("how do I review an MR", "how do I review a merge request", extended)).toBe(true);
    expect(verdict("switch dark mode", "toggle dark mode", extended)).toBe(true);
    expect(verdict("yo, what is a monad", "what is a monad", extended)).toBe(true);
    expect(verdict("how to recieve email", "how to receive email", meaningGuard({ typos: false }))).not.toBe(true);
  });
});
