// Every OCPP 1.6 action's request and response schema, exercised by the project's own samples
// (test/unit/ocpp16-samples.ts): valid ones pass, each invalid one fails with its labelled code and path.
import { describe, expect, it } from "vitest";
import { OCPP16 } from "../../src/ocpp/protocol";
import { validatePayload } from "../../src/ocpp/validation";
import { OCPP16_SAMPLES, type Sample } from "./ocpp16-samples";

const cases = Object.entries(OCPP16_SAMPLES).flatMap(([action, samples]) =>
  (["request", "response"] as const).flatMap((kind) => samples[kind].map((sample) => ({ action, kind, sample }))),
);

function outcome(action: string, kind: "request" | "response", sample: Sample) {
  const r = validatePayload(OCPP16.schemas, action, kind, sample.payload);
  if (r.ok) return { code: undefined, path: undefined };
  if (r.unknownAction) return { code: OCPP16.errorCodes[r.kind], path: undefined };
  return { code: OCPP16.errorCodes[r.failure.kind], path: r.failure.violations[0]?.path };
}

describe("sample coverage", () => {
  it("covers every action of the schema set with a valid and an invalid sample in both directions", () => {
    expect(Object.keys(OCPP16_SAMPLES).sort()).toEqual(Object.keys(OCPP16.schemas).sort());
    for (const [action, samples] of Object.entries(OCPP16_SAMPLES)) {
      for (const kind of ["request", "response"] as const) {
        expect(samples[kind].some((s) => s.code === undefined), `${action} ${kind}: a valid sample`).toBe(true);
        expect(samples[kind].some((s) => s.code !== undefined), `${action} ${kind}: an invalid sample`).toBe(true);
      }
    }
  });

  it("covers every keyword class", () => {
    const codes = new Set(cases.map((c) => c.sample.code));
    for (const code of ["OccurenceConstraintViolation", "TypeConstraintViolation", "PropertyConstraintViolation", "FormationViolation"]) {
      expect(codes).toContain(code);
    }
  });
});

describe.each(Object.keys(OCPP16_SAMPLES).sort())("%s", (action) => {
  const mine = cases.filter((c) => c.action === action);
  it.each(mine.map((c) => [`${c.kind}: ${c.sample.name}`, c] as const))("%s", (_title, c) => {
    const expected = c.sample.code === undefined ? { code: undefined, path: undefined } : { code: c.sample.code, path: c.sample.path };
    expect(outcome(c.action, c.kind, c.sample)).toEqual(expected);
  });
});
