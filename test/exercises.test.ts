import { test } from "node:test";
import assert from "node:assert/strict";
import { choiceExercise, numericExercise, predicateExercise } from "../src/exercises/helpers";
import { EXERCISES, check, checkExerciseList, exerciseById, formatResult, list } from "../src/exercises/registry";
import { rng } from "../src/random";
import { inspect } from "node:util";

test("numericExercise: inside the tolerance is right, outside says too high/low, non-numbers are wrong", () => {
  const e = numericExercise({ id: "9.1", prompt: "2 + 2?", expected: () => 4, tol: 0.01, hint: "add" });
  assert.equal(e.check(4.01).ok, true);
  assert.equal(e.check(3.99).ok, true);
  const high = e.check(4.02);
  assert.deepEqual([high.ok, high.hint], [false, "add"]);
  assert.match(high.message, /4\.02 is too high/);
  assert.match(e.check(3.9).message, /3\.9 is too low/);
  assert.match(e.check("4").message, /expected a number, got "4"/);
  assert.match(e.check(NaN).message, /got NaN/);
  assert.match(e.check(undefined).message, /got undefined/);
});

test("numericExercise: relative tolerance scales with the reference; the reference is computed lazily", () => {
  let calls = 0;
  const e = numericExercise({ id: "9.2", prompt: "big", expected: () => (calls++, 1000), tol: 0, relTol: 0.01 });
  assert.equal(calls, 0);
  assert.equal(e.check(1009.9).ok, true);
  assert.equal(e.check(1010.1).ok, false);
  assert.equal(calls, 2);
  assert.throws(() => numericExercise({ id: "9.3", prompt: "", expected: () => 0, tol: -1 }), /tolerances must be ≥ 0/);
  assert.throws(() => numericExercise({ id: "nine", prompt: "", expected: () => 0 }), /invalid exercise id.*"nine"/);
});

test("choiceExercise accepts a letter, '(b)', an index or the option's text", () => {
  const e = choiceExercise({ id: "9.4", prompt: "Pick", choices: ["cka", "Unbiased CKA", "svcca"], answer: "unbiased cka", hint: "debiased" });
  assert.match(e.prompt, /\(a\) cka {2}\(b\) Unbiased CKA {2}\(c\) svcca/);
  for (const a of ["b", "B", "(b)", 1, " unbiased CKA "]) assert.equal(e.check(a).ok, true, `answer ${JSON.stringify(a)}`);
  const wrong = e.check("a");
  assert.deepEqual([wrong.ok, wrong.hint], [false, "debiased"]);
  assert.match(wrong.message, /\(a\) cka is not right/);
  assert.match(e.check("d").message, /"d" is not one of the choices/);
  assert.match(e.check(7).message, /7 is not one of the choices/);
  assert.equal(e.check(null).ok, false);
  assert.throws(() => choiceExercise({ id: "9.5", prompt: "", choices: ["x", "y"], answer: "z" }), /"z" is not one of the choices/);
  assert.throws(() => choiceExercise({ id: "9.5", prompt: "", choices: ["x"], answer: 0 }), /need 2–26 choices, got 1/);
});

test("predicateExercise reports the predicate's message and turns exceptions into wrong answers", () => {
  const e = predicateExercise({ id: "9.6", prompt: "a unit vector", test: (a) => (Math.hypot(...(a as number[])) === 1 ? true : "norm is not 1"), hint: "divide by the norm" });
  assert.equal(e.check([0.6, 0.8]).ok, true);
  assert.deepEqual(e.check([1, 1]), { ok: false, message: "norm is not 1", hint: "divide by the norm" });
  const threw = e.check(null);
  assert.equal(threw.ok, false);
  assert.match(threw.message, /checking null threw/);
});

test("registry: ids unique and sorted numerically; unknown id lists the known ones", () => {
  const a = numericExercise({ id: "2.10", prompt: "", expected: () => 0 });
  const b = numericExercise({ id: "2.9", prompt: "", expected: () => 0 });
  assert.deepEqual(checkExerciseList([a, b]).map((e) => e.id), ["2.9", "2.10"]);
  assert.throws(() => checkExerciseList([a, a]), /duplicate exercise id "2.10"/);
  assert.throws(() => exerciseById("99.9"), /unknown exercise id "99.9"; known ids: 0\.1, 0\.2, 0\.3/);
  // check() never throws at a student: an unknown id is a ✗ verdict naming the chapter's ids.
  const unknown = check("99.9", 1);
  assert.equal(unknown.ok, false);
  assert.match(unknown.message, /unknown exercise id "99\.9"; known ids: 0\.1/);
  assert.match(check("20.9", 1).message, /unknown exercise id "20\.9"; chapter 20 has 20\.1, 20\.2, 20\.3, 20\.4$/);
  assert.deepEqual(list(0).map((e) => e.id), ["0.1", "0.2", "0.3"]);
  assert.deepEqual(list(9, [a, b]), []);
  assert.throws(() => list(-1), /invalid chapter/);
  assert.equal(list().length, EXERCISES.length);
});

test("chapter 0 answers: the right ones pass, placeholders fail with a hint", () => {
  // 0.1 recomputed here from the seeded stream, independently of the exercise's own code.
  const r = rng(7);
  let s = 0;
  for (let i = 0; i < 1000; i++) s += r.next();
  const mean = s / 1000;
  assert.ok(Math.abs(mean - 0.5) < 4 / Math.sqrt(12 * 1000), `mean of 1000 uniforms ${mean} is within 4 standard errors of 0.5`);
  assert.equal(check("0.1", Number(mean.toFixed(4))).ok, true);
  assert.equal(check("0.2", "b").ok, true);
  assert.equal(check("0.2", "a").ok, false);
  assert.equal(check("0.3", "smoke").ok, true);
  const placeholder = check("0.1", NaN);
  assert.equal(placeholder.ok, false);
  assert.ok(placeholder.hint && placeholder.hint.length > 0);
  assert.equal(formatResult("0.3", { ok: false, message: "x", hint: "y" }), "✗ 0.3: x\n  hint: y");
});

test("every registered exercise answers junk with ok: false instead of throwing", () => {
  for (const e of EXERCISES) {
    for (const junk of [undefined, null, "not an answer", NaN, {}, [], -1e300]) {
      const r = check(e.id, junk);
      assert.equal(typeof r.ok, "boolean", `${e.id} on ${String(junk)}`);
      assert.equal(typeof r.message, "string");
      if (r.ok) assert.fail(`exercise ${e.id} accepted junk ${JSON.stringify(junk)}: ${r.message}`);
    }
  }
});

test("in a (simulated) kernel, check prints one friendly line and its result echoes as nothing", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
  const saved = jupyter.lastWriteDisplayData;
  const savedLog = console.log;
  const lines: string[] = [];
  jupyter.lastWriteDisplayData = () => undefined;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    const r = check("0.2", "b");
    assert.deepEqual(lines, ["✓ 0.2: (b) lco.rng(7).next() is right"]);
    assert.equal(inspect(r), "", "tslab echoes the cell's last value with console.log");
    assert.deepEqual({ ...r }, { ok: true, message: "(b) lco.rng(7).next() is right" });
  } finally {
    console.log = savedLog;
    jupyter.lastWriteDisplayData = saved;
  }
});

test("chapter 20's exercises are registered: check(\"20.1\", x) works without a third argument", () => {
  assert.deepEqual(list(20).map((e) => e.id), ["20.1", "20.2", "20.3", "20.4"]);
  const r = check("20.1", -1);
  assert.equal(r.ok, false);
  assert.doesNotMatch(r.message, /unknown exercise id/);
});

test("chapters 23-24 answers, recomputed with the kit: InfoNCE chance, a LoRA count, the paper's cost ratio", async () => {
  const { infoNCEChance } = await import("../src/nn");
  const { loadTrainingStrategies } = await import("../src/paper");
  assert.equal(check("23.1", Number(infoNCEChance(32, 32).toFixed(4))).ok, true);
  assert.equal(check("23.1", Math.log(32)).ok, false, "forgetting the hard negatives is wrong");
  assert.equal(check("23.2", 2048).ok, true);
  assert.equal(check("23.2", 8 * 64 * 192).ok, false);
  const rows = loadTrainingStrategies().filter((r) => r.backbone === "Qwen2.5-VL-7B");
  const hours = (s: string) => rows.find((r) => r.strategy === s)!.gpuHours!;
  assert.equal(check("24.1", Number((hours("CLIP-style CL") / hours("LoRA")).toFixed(1))).ok, true);
  assert.equal(check("23.3", "b").ok, true);
  assert.equal(check("24.2", "b").ok, true);
  assert.equal(check("24.2", "a").ok, false);
});
