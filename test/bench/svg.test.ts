import { describe, expect, test } from "bun:test";
import { barChart, cdfChart } from "../../bench/svg.ts";

describe("bench svg charts", () => {
  test("a bar chart has one bar per finite positive value and escapes labels", () => {
    const svg = barChart({
      title: "ops <per> second",
      unit: "ops/s",
      log: true,
      format: String,
      bars: [
        { label: "a & b", value: 1000, highlight: true },
        { label: "c", value: 10 },
        { label: "not measured", value: Number.NaN },
      ],
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<rect x=/g)?.length).toBe(2);
    expect(svg).toContain("a &amp; b");
    expect(svg).toContain("ops &lt;per&gt; second");
    expect(svg).not.toContain("not measured");
  });

  test("a CDF has one polyline per series, ending at the top", () => {
    const svg = cdfChart({
      title: "latency",
      series: [
        { label: "off", values: [70, 71, 72] },
        { label: "cached", values: [0.01, 0.02, 70] },
      ],
    });
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    expect(svg).not.toContain("NaN");
  });
});
