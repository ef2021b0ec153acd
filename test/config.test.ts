import { test } from "node:test";
import assert from "node:assert/strict";
import { definePreset, presetDefaults, resolveConfig, parseOverrides, byProfile, PROFILES } from "../src/config";
import { InputError } from "../src/array";

interface AlignCfg {
  lr: number;
  numSteps: number;
  batchSize: number;
  name: string;
  useBias: boolean;
  layers: number[];
  encoder: { dModel: number; nHeads: number };
  note: string | null;
}

const ALIGN = definePreset<AlignCfg>({
  name: "alignment",
  description: "test preset",
  defaults: { lr: 1e-3, numSteps: 500, batchSize: 32, name: "base", useBias: true, layers: [1, 2], encoder: { dModel: 64, nHeads: 4 }, note: null },
  profiles: { smoke: { numSteps: 20, encoder: { dModel: 16 } }, large: { numSteps: 5000 } },
  validate: (c) => {
    if (c.encoder.dModel % c.encoder.nHeads !== 0) throw new InputError(`encoder.nHeads = ${c.encoder.nHeads} must divide encoder.dModel = ${c.encoder.dModel}`);
  },
});

test("existing profile helpers keep working", () => {
  assert.deepEqual(PROFILES, ["smoke", "full", "large"]);
  assert.equal(byProfile("smoke", { smoke: 1, full: 2, large: 3 }), 1);
});

test("profiles apply on top of the defaults, nested objects merge", () => {
  const smoke = presetDefaults(ALIGN, "smoke");
  assert.equal(smoke.numSteps, 20);
  assert.deepEqual(smoke.encoder, { dModel: 16, nHeads: 4 });
  assert.equal(smoke.lr, 1e-3);
  assert.equal(presetDefaults(ALIGN, "full").numSteps, 500);
  assert.equal(presetDefaults(ALIGN, "large").numSteps, 5000);
  // The preset's defaults are not mutated.
  assert.equal(ALIGN.defaults.encoder.dModel, 64);
});

test("resolveConfig applies overrides (plain, nested and dotted) after the profile", () => {
  const c = resolveConfig(ALIGN, { lr: 3e-4, "encoder.nHeads": 8, layers: [3], note: "try" }, { profile: "smoke" });
  assert.equal(c.lr, 3e-4);
  assert.equal(c.numSteps, 20);
  assert.deepEqual(c.encoder, { dModel: 16, nHeads: 8 });
  assert.deepEqual(c.layers, [3]);
  assert.equal(c.note, "try");
  const d = resolveConfig(ALIGN, { encoder: { dModel: 128 } }, { profile: "full" });
  assert.deepEqual(d.encoder, { dModel: 128, nHeads: 4 });
});

test("resolveConfig names a bad key or value", () => {
  const full = { profile: "full" as const };
  assert.throws(() => resolveConfig(ALIGN, { lrr: 0.1 }, full), (e: unknown) => e instanceof InputError && /unknown .*key "lrr" \(did you mean "lr"\?\)/.test(e.message));
  assert.throws(() => resolveConfig(ALIGN, { numSteps: "abc" }, full), /"numSteps": expected a finite number, got string "abc"/);
  assert.throws(() => resolveConfig(ALIGN, { numSteps: NaN }, full), /"numSteps": expected a finite number, got number NaN/);
  assert.throws(() => resolveConfig(ALIGN, { useBias: "yes" }, full), /"useBias": expected a boolean, got string "yes"/);
  assert.throws(() => resolveConfig(ALIGN, { layers: [1, "x"] }, full), /"layers\[1\]": expected a finite number/);
  assert.throws(() => resolveConfig(ALIGN, { "encoder.dModle": 8 }, full), /unknown .*key "encoder.dModle"/);
  assert.throws(() => resolveConfig(ALIGN, { encoder: 5 }, full), /"encoder": expected an object, got number 5/);
  // The preset's own validation runs on the resolved config.
  assert.throws(() => resolveConfig(ALIGN, { "encoder.nHeads": 5 }, full), /nHeads = 5 must divide encoder.dModel = 64/);
  assert.throws(() => resolveConfig(ALIGN, {}, { profile: "huge" as never }), /invalid profile "huge"/);
});

test("definePreset checks profile sizes and the name", () => {
  assert.throws(() => definePreset({ name: "x", defaults: { a: 1 }, profiles: { smoke: { b: 2 } as never } }), /unknown .*key "b"/);
  assert.throws(() => definePreset({ name: "x", defaults: { a: 1 }, profiles: { smoke: { a: "2" } as never } }), /expected a finite number, got string "2"/);
  assert.throws(() => definePreset({ name: "a/b", defaults: {} }), /invalid preset name/);
});

test("parseOverrides reads --key=value, flags and dotted keys", () => {
  assert.deepEqual(parseOverrides(["--lr=0.001", "--numSteps=20"]), { lr: 0.001, numSteps: 20 });
  assert.deepEqual(parseOverrides(["--useBias", "--no-cache", "--name=abc", "--layers=[1,2]", "--encoder.dModel=8"]), {
    useBias: true,
    cache: false,
    name: "abc",
    layers: [1, 2],
    "encoder.dModel": 8,
  });
  // With defaults, values are read as the default's type.
  const p = parseOverrides(["--name=123", "--layers=4,5", "--no-useBias", "--encoder.nHeads=2"], { defaults: ALIGN.defaults });
  assert.deepEqual(p, { name: "123", layers: [4, 5], useBias: false, "encoder.nHeads": 2 });
  assert.deepEqual(resolveConfig(ALIGN, p, { profile: "full" }).layers, [4, 5]);
  assert.throws(() => parseOverrides(["--numSteps=abc"], { defaults: ALIGN.defaults }), /--numSteps: expected a number, got "abc"/);
  assert.throws(() => parseOverrides(["--lrr=1"], { defaults: ALIGN.defaults }), /unknown override key "lrr" \(did you mean "lr"\?\)/);
  assert.throws(() => parseOverrides(["positional"]), /invalid override "positional"; expected --key=value/);
  assert.throws(() => parseOverrides(["--lr=1", "--lr=2"]), /--lr is given twice/);
});
