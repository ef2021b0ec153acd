import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  ATTRIBUTES,
  Tokenizer,
  captionsOf,
  fft,
  generateWorld,
  hasAssets,
  hzToMel,
  loadAssets,
  logMel,
  melToHz,
  mentionsHeldOut,
  parseCaption,
  renderAudio,
  renderDocument,
  renderImage,
  renderVideo,
  sceneKey,
  sha256File,
  splitWords,
  summarize,
  summaryPrompt,
  verifySha256,
  worldConfig,
  worldDataDir,
  worldTexts,
  encodePng,
  encodeWav,
  imageBatch,
  logMelBatch,
  documentBatch,
  videoBatch,
  worldInfo,
  melTile,
  chanceLevels,
} from "../src/world/index";
import { worldExercises } from "../src/exercises/world";
import type { Meaning, World } from "../src/world/index";

const smoke = worldConfig("smoke");
const full = worldConfig("full");

/** Number of attributes (size, colour, object per object; position or relation) in which two meanings differ. */
function nDiff(a: Meaning, b: Meaning): number {
  let d = 0;
  a.objects.forEach((o, k) => {
    for (const f of ["size", "colour", "object"] as const) if (o[f] !== b.objects[k][f]) d++;
  });
  if (a.position !== b.position) d++;
  if (a.relation !== b.relation) d++;
  return d;
}

/**
 * Do two canonical meanings differ in exactly one attribute or in the relation? For two objects,
 * "B left of A" is the reversed relation of "A left of B" (one change), although in canonical
 * form the objects trade places.
 */
function oneChange(a: Meaning, b: Meaning): boolean {
  if (nDiff(a, b) === 1) return true;
  if (a.objects.length !== 2) return false;
  const swapped: Meaning = { objects: [a.objects[1], a.objects[0]], relation: a.relation };
  return nDiff(swapped, b) === 0;
}

test("same seed → identical items, triples and pixels; another seed → different", () => {
  const a = generateWorld(smoke, 3), b = generateWorld(smoke, 3), c = generateWorld(smoke, 4);
  assert.deepEqual(a.items, b.items);
  assert.deepEqual(a.textPairs, b.textPairs);
  for (const i of [0, 7, a.items.length - 1]) {
    assert.deepEqual(renderImage(a, a.items[i]).data, renderImage(b, b.items[i]).data);
    assert.deepEqual(renderAudio(a, a.items[i]).data, renderAudio(b, b.items[i]).data);
    assert.deepEqual(renderDocument(a, a.items[i]).data, renderDocument(b, b.items[i]).data);
    assert.deepEqual(renderVideo(a, a.items[i]).data, renderVideo(b, b.items[i]).data);
  }
  // Same scenes (the scene set depends only on the config), but other jitter and other triples.
  assert.deepEqual(a.items.map((x) => x.scene), c.items.map((x) => x.scene));
  assert.notDeepEqual(a.items.map((x) => x.renderSeed), c.items.map((x) => x.renderSeed));
  assert.notDeepEqual(renderImage(a, a.items[0]).data, renderImage(c, c.items[0]).data);
  assert.notDeepEqual(a.textPairs, c.textPairs);
});

test("full one-object world: 288 scenes, 6 held-out combinations → 240 train scenes, 48 OOD", () => {
  const w = generateWorld(full, 0);
  assert.equal(full.heldOut.length, 6);
  const trainScenes = new Set(w.splits.train.map((i) => w.items[i].scene));
  const oodScenes = new Set(w.splits.ood.map((i) => w.items[i].scene));
  assert.equal(trainScenes.size, 240);
  assert.equal(oodScenes.size, 48); // 6 combos × 2 sizes × 4 positions
  assert.equal(w.splits.train.length, 240 * full.trainRepeats);
  assert.equal(w.splits.iid.length, 240);
  w.items.forEach((it, i) => assert.equal(it.id, i));
});

function checkSplits(w: World): void {
  const cfg = w.config;
  const trainScenes = new Set<string>();
  for (const i of w.splits.train) {
    assert.equal(mentionsHeldOut(w.items[i].meaning, cfg), false, `train item ${i} mentions a held-out combination`);
    trainScenes.add(w.items[i].scene);
  }
  for (const i of w.splits.ood) {
    assert.equal(mentionsHeldOut(w.items[i].meaning, cfg), true, `ood item ${i} has no held-out combination`);
    assert.ok(!trainScenes.has(w.items[i].scene));
  }
  for (const i of w.splits.iid) assert.ok(trainScenes.has(w.items[i].scene), `iid item ${i} is not a training composition`);
  // IID items are new renders of training scenes, never pixel copies.
  const trainSeeds = new Set(w.splits.train.map((i) => w.items[i].renderSeed));
  for (const i of w.splits.iid) assert.ok(!trainSeeds.has(w.items[i].renderSeed));
  assert.ok(w.textPairs.length > 0);
  for (const p of w.textPairs) {
    const it = w.items[p.itemId];
    assert.equal(it.split, "train");
    const ma = parseCaption(p.anchor, cfg), mp = parseCaption(p.positive, cfg), mn = parseCaption(p.negative, cfg);
    assert.ok(ma && mp && mn, `unparseable triple ${JSON.stringify(p)}`);
    assert.equal(sceneKey(ma!), it.scene);
    assert.equal(sceneKey(mp!), it.scene);
    assert.notEqual(p.anchor, p.positive);
    assert.equal(sceneKey(mn!), sceneKey(p.negativeMeaning));
    assert.ok(oneChange(ma!, mn!), `negative "${p.negative}" does not differ from "${p.anchor}" in exactly one attribute`);
    for (const m of [ma!, mp!, mn!]) assert.equal(mentionsHeldOut(m, cfg), false, `triple mentions a held-out combination: ${JSON.stringify(p)}`);
  }
}

test("split integrity and text triples (one object): no held-out combination in train or in any triple; negatives differ in exactly one attribute", () => {
  checkSplits(generateWorld(full, 1));
  checkSplits(generateWorld(smoke, 2));
});

test("split integrity and text triples (two objects with a relation)", () => {
  const cfg = worldConfig("smoke", { nObjects: 2 });
  const w = generateWorld(cfg, 5);
  assert.ok(w.splits.ood.length > 0 && w.splits.iid.length > 0);
  checkSplits(w);
  const changed = new Set(w.textPairs.map((p) => p.changed));
  assert.ok(changed.has("relation") && changed.has("colour"));
  for (const it of w.items.slice(0, 40)) {
    for (let c = 0; c < it.captions.length; c++) assert.ok(renderDocument(w, it, { caption: c }).data.some((v) => v > 0));
    assert.ok(renderImage(w, it).data.every((v) => v >= 0 && v <= 1));
  }
});

test("every caption of every item parses back to the item's scene (one and two objects)", () => {
  for (const cfg of [full, worldConfig("smoke", { nObjects: 2 })]) {
    const w = generateWorld(cfg, 0);
    for (const it of w.items) {
      assert.equal(new Set(it.captions).size, it.captions.length);
      for (const c of it.captions) assert.equal(sceneKey(parseCaption(c, cfg)!), it.scene, c);
    }
  }
});

test("captions: distinct paraphrases that all parse back to the meaning; the inverted relation is used", () => {
  const one: Meaning = { objects: [{ size: "big", colour: "red", object: "star" }], position: "top" };
  const caps = captionsOf(one);
  assert.equal(new Set(caps).size, caps.length);
  assert.equal(caps[0], "a big red star at the top");
  for (const c of caps) assert.equal(sceneKey(parseCaption(c, full)!), sceneKey(one));
  const two: Meaning = { objects: [{ size: "big", colour: "red", object: "star" }, { size: "small", colour: "blue", object: "ring" }], relation: "left of" };
  const caps2 = captionsOf(two);
  assert.equal(caps2[1], "a small blue ring is to the right of a big red star");
  const cfg2 = worldConfig("full", { nObjects: 2 });
  for (const c of caps2) assert.equal(sceneKey(parseCaption(c, cfg2)!), sceneKey(two));
  assert.equal(parseCaption("a big red star in the middle", full), null);
});

test("summaries: compound word and few words, in the configured order", () => {
  const m: Meaning = { objects: [{ size: "big", colour: "red", object: "circle" }], position: "left" };
  assert.deepEqual(summarize(m, ATTRIBUTES), { word: "big-red-circle-left", fewWords: "big red circle left" });
  assert.deepEqual(summarize(m, ["position", "size", "colour", "object"]), { word: "left-big-red-circle", fewWords: "left big red circle" });
  assert.deepEqual(summarize(m, ["colour", "object"]), { word: "red-circle", fewWords: "red circle" });
  assert.equal(summaryPrompt("image"), "Summarize the above image in one word:");
  assert.equal(summaryPrompt("audio", "fewWords"), "Summarize the above audio in a few words:");
});

test("fft matches a direct DFT", () => {
  const n = 16;
  const x = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) + 0.3 * Math.cos(i * i));
  const re = Float64Array.from(x), im = new Float64Array(n);
  fft(re, im);
  for (let k = 0; k < n; k++) {
    let r = 0, j = 0;
    for (let t = 0; t < n; t++) {
      r += x[t] * Math.cos((-2 * Math.PI * k * t) / n);
      j += x[t] * Math.sin((-2 * Math.PI * k * t) / n);
    }
    assert.ok(Math.abs(re[k] - r) < 1e-9 && Math.abs(im[k] - j) < 1e-9, `bin ${k}`);
  }
});

test("log-mel of a pure 1 kHz tone equals the hand-computed value and peaks in the right band", () => {
  // sr 8000, nFft 256: 1000 Hz is exactly bin k0 = 32. With a periodic Hann window a unit cosine
  // has |X[k0]| = N/4 = 64 and |X[k0±1]| = N/8 = 32, every other bin 0. So the power is 4096 at
  // 1000 Hz and 1024 at 968.75 and 1031.25 Hz.
  const sr = 8000, nFft = 256, nMels = 32;
  const x = Float32Array.from({ length: 1024 }, (_, i) => Math.cos((2 * Math.PI * 1000 * i) / sr));
  const lm = logMel({ data: x, sampleRate: sr }, { nFft, hop: 128, nMels, fMin: 0, eps: 1e-6 });
  assert.equal(lm.frames, 1 + Math.floor((1024 - 256) / 128));
  assert.equal(lm.nMels, 32);
  // HTK mel: edges equally spaced in mel between 0 and mel(4000) = 2146.06.
  assert.ok(Math.abs(hzToMel(1000) - 1000) < 0.1);
  const melMax = 2595 * Math.log10(1 + 4000 / 700);
  const edge = (i: number) => melToHz((melMax * i) / (nMels + 1));
  // mel(1000)/spacing = 1000/65.03 = 15.4, so 1000 Hz lies between edges 15 and 16: band 14
  // (edges 14, 15, 16) on its falling side, band 15 on its rising side with the smaller weight.
  const tri = (m: number, f: number) => Math.max(0, Math.min((f - edge(m)) / (edge(m + 1) - edge(m)), (edge(m + 2) - f) / (edge(m + 2) - edge(m + 1))));
  const expected = (m: number) => Math.log(4096 * tri(m, 1000) + 1024 * (tri(m, 968.75) + tri(m, 1031.25)) + 1e-6);
  for (let t = 0; t < lm.frames; t++) {
    const row = Array.from(lm.data.subarray(t * nMels, (t + 1) * nMels));
    assert.equal(row.indexOf(Math.max(...row)), 14);
    assert.ok(Math.abs(row[14] - expected(14)) < 1e-3, `frame ${t}: ${row[14]} vs ${expected(14)}`);
    assert.ok(Math.abs(row[15] - expected(15)) < 1e-3);
    assert.ok(Math.abs(row[0] - Math.log(1e-6)) < 1e-3); // no energy far from the tone
  }
  assert.ok(Math.abs(expected(14) - Math.log(3871)) < 0.001); // the worked number in the chapter
});

test("audio sonifies the meaning: colour → pitch band, position → onset order, size → loudness", () => {
  const w = generateWorld(full, 0);
  const find = (key: string) => w.items.find((it) => it.scene === key)!;
  const peakBand = (key: string) => {
    const lm = logMel(renderAudio(w, find(key)), full.audio);
    const mean = new Array(lm.nMels).fill(0);
    for (let t = 0; t < lm.frames; t++) for (let m = 0; m < lm.nMels; m++) mean[m] += lm.data[t * lm.nMels + m];
    return mean.indexOf(Math.max(...mean));
  };
  // circle = a pure sine: red 262 Hz sits below cyan 698 Hz.
  assert.ok(peakBand("big|red|square|left") >= 0);
  assert.ok(peakBand("big|green|circle|left") < peakBand("big|cyan|circle|left"));
  const onset = (key: string) => {
    const x = renderAudio(w, find(key)).data;
    return x.findIndex((v) => Math.abs(v) > 0.05);
  };
  const on = full.positions.map((p) => onset(`big|green|circle|${p}`));
  for (let i = 1; i < on.length; i++) assert.ok(on[i] > on[i - 1], `onsets ${on}`);
  const energy = (key: string) => renderAudio(w, find(key)).data.reduce((s, v) => s + v * v, 0);
  assert.ok(energy("big|green|circle|left") > 4 * energy("small|green|circle|left"));
  const wav = encodeWav(renderAudio(w, w.items[0]));
  assert.equal(Buffer.from(wav.subarray(0, 4)).toString("ascii"), "RIFF");
  assert.equal(wav.length, 44 + 2 * full.audio.sampleRate * full.audio.duration);
});

test("images, videos and documents have the documented shapes and value ranges", () => {
  const w = generateWorld(full, 0);
  const it = w.items[10];
  const img = renderImage(w, it);
  assert.equal(img.data.length, 24 * 24 * 3);
  assert.ok(img.data.every((v) => v >= 0 && v <= 1));
  // The object is drawn in its colour: the brightest pixel's dominant channel matches (red).
  const redScene = w.items.find((x) => x.scene === "big|red|square|left")!;
  const ri = renderImage(w, redScene);
  let best = 0;
  for (let p = 0; p < 24 * 24; p++) if (ri.data[p * 3] > ri.data[best * 3]) best = p;
  assert.ok(ri.data[best * 3] > 0.7 && ri.data[best * 3 + 1] < 0.4);
  // Left objects are drawn in the left half.
  let left = 0, right = 0;
  for (let y = 0; y < 24; y++) for (let x = 0; x < 24; x++) (x < 12 ? (left += ri.data[(y * 24 + x) * 3]) : (right += ri.data[(y * 24 + x) * 3]));
  assert.ok(left > 2 * right);
  const vid = renderVideo(w, it);
  assert.equal(vid.data.length, full.videoFrames * 24 * 24 * 3);
  assert.deepEqual(vid.data.subarray((full.videoFrames - 1) * 24 * 24 * 3), img.data);
  assert.notDeepEqual(vid.data.subarray(0, 24 * 24 * 3), img.data);
  for (const script of ["latin", "lowres"] as const) {
    for (const x of w.items.slice(0, 60)) {
      for (let c = 0; c < x.captions.length; c++) {
        const d = renderDocument(w, x, { script, caption: c });
        assert.equal(d.data.length, full.document.height * full.document.width);
        assert.ok(d.data.every((v) => v >= 0 && v <= 1));
        assert.ok(d.data.reduce((s, v) => s + v, 0) > 20, "a document has ink");
      }
    }
  }
  const lat = renderDocument(w, it, { script: "latin" }), low = renderDocument(w, it, { script: "lowres" });
  assert.notDeepEqual(lat.data, low.data);
  assert.equal(lat.text, it.captions[it.renderSeed % it.captions.length]);
  const png = encodePng(img.data, 24, 24);
  assert.deepEqual(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test("tokenizer: prompt words are in the vocabulary, round trip, save/load, unknown words", () => {
  const w = generateWorld(full, 0);
  const tok = Tokenizer.fit(worldTexts(w));
  assert.deepEqual(tok.vocab.slice(0, 4), ["<pad>", "<bos>", "<eos>", "<unk>"]);
  for (const m of ["text", "image", "audio", "document", "video"] as const) {
    for (const f of ["word", "fewWords"] as const) assert.ok(!tok.encode(summaryPrompt(m, f)).includes(tok.special.unk));
  }
  for (const t of worldTexts(w).slice(0, 500)) assert.equal(tok.decode(tok.encode(t)), splitWords(t).join(" ").replace(/ ([:,.?!])/g, "$1"));
  assert.equal(tok.decode(tok.encode("Summarize the above image in one word:")), "summarize the above image in one word:");
  assert.equal(tok.encode("big-red-circle-left").length, 1);
  const ids = tok.encode("<img> a big red circle", { bos: true, eos: true });
  assert.deepEqual(ids.slice(0, 2), [tok.special.bos, tok.special.img]);
  assert.equal(ids[ids.length - 1], tok.special.eos);
  assert.deepEqual(tok.encode("a zebra"), [tok.id("a"), tok.special.unk]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lco-world-")), "tok.json");
  tok.save(file);
  const back = Tokenizer.load(file);
  assert.deepEqual(back.vocab, tok.vocab);
  assert.throws(() => tok.decode([tok.vocabSize]), /invalid token id/);
  // Fitting on the training split only leaves held-out compound words out of the vocabulary.
  const wordCfg = worldConfig("full", { summaryFormat: "word" });
  const ww = generateWorld(wordCfg, 0);
  const trainTok = Tokenizer.fit(worldTexts(ww, ["train"]));
  const oodItem = ww.items[ww.splits.ood[0]];
  assert.deepEqual(trainTok.encode(oodItem.summary.word), [trainTok.special.unk]);
});

test("config errors name the bad value", () => {
  assert.throws(() => worldConfig("smoke", { colours: ["red", "mauve"] }), /unknown colour "mauve"/);
  assert.throws(() => worldConfig("smoke", { objects: ["circle", "frog"] }), /cannot draw object "frog"/);
  assert.throws(() => worldConfig("smoke", { heldOut: [["red", "star"]] }), /\(red, star\)/);
  assert.throws(() => generateWorld(worldConfig("smoke", { mode: "real" }), 0), /needs an asset bundle/);
});

test("sha256 verification accepts the registered file and rejects a modified copy", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-world-sha-"));
  const f = path.join(dir, "asset.bin");
  fs.writeFileSync(f, "a frog.\n");
  // sha256("a frog.\n"), computed independently with `printf 'a frog.\n' | sha256sum`.
  const registered = "e10d76078d0bab6fed6a2699f92dc0b44ff854a0d0b6fbe2d6a333da4cd3df4b";
  assert.equal(sha256File(f), registered);
  const good = registered;
  verifySha256(f, good);
  fs.appendFileSync(f, "x");
  assert.throws(() => verifySha256(f, good), /sha256 mismatch/);
  assert.throws(() => verifySha256(path.join(dir, "missing.bin"), good), /missing/);
});

test("real-asset cache: loads after its sha256 check, drives real mode, and a modified copy is rejected", { skip: !hasAssets() && "no committed asset cache (run environment/fetch-assets.mjs)" }, () => {
  const assets = loadAssets();
  const cfg = worldConfig("smoke", { mode: "real" });
  const w = generateWorld(cfg, 0, assets);
  assert.equal(w.mode, "real");
  const img = renderImage(w, w.items[0]);
  assert.ok(img.data.every((v) => v >= 0 && v <= 1));
  const a = renderAudio(w, w.items[0]);
  assert.ok(a.data.some((v) => Math.abs(v) > 0.05));
  const d = renderDocument(w, w.items[0], { script: "lowres" });
  assert.ok(/[\u10D0-\u10FF]/.test(d.text), `lowres text is Georgian: ${d.text}`);
  // A temp copy of the cache with one byte changed must be refused.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-world-assets-"));
  fs.copyFileSync(path.join(worldDataDir(), "registry.json"), path.join(dir, "registry.json"));
  const bytes = fs.readFileSync(path.join(worldDataDir(), "assets.json"));
  bytes[bytes.length - 2] ^= 1;
  fs.writeFileSync(path.join(dir, "assets.json"), bytes);
  assert.throws(() => loadAssets(dir), /sha256 mismatch/);
});

test("batches stack the single renderers; worldInfo records the mode", () => {
  const w = generateWorld(smoke, 0);
  const ids = [0, 5, w.items.length - 1];
  const ib = imageBatch(w, ids);
  assert.deepEqual(ib.shape, [3, 16, 16, 3]);
  assert.deepEqual(ib.data.subarray(16 * 16 * 3, 2 * 16 * 16 * 3), renderImage(w, w.items[5]).data);
  const mb = logMelBatch(w, ids);
  const one = logMel(renderAudio(w, w.items[5]), smoke.audio);
  assert.deepEqual(mb.shape, [3, one.frames, one.nMels]);
  assert.deepEqual(mb.data.subarray(one.data.length, 2 * one.data.length), one.data);
  const db = documentBatch(w, ids, { script: "lowres" });
  assert.deepEqual(db.shape, [3, smoke.document.height, smoke.document.width]);
  assert.equal(db.texts.length, 3);
  assert.deepEqual(videoBatch(w, [1]).shape, [1, smoke.videoFrames, 16, 16, 3]);
  assert.throws(() => imageBatch(w, [w.items.length]), /invalid item id/);
  const info = worldInfo(w);
  assert.equal(info.mode, "procedural");
  assert.equal(info.nItems.train + info.nItems.iid + info.nItems.ood, w.items.length);
  const t = melTile(one);
  assert.equal(t.data.length, one.nMels * one.frames * 3);
  assert.ok(t.data.every((v) => v >= 0 && v <= 1));
});

test("chapter 20 exercises accept the right answers and reject wrong ones", () => {
  const ex = (id: string) => worldExercises.find((e) => e.id === id)!;
  assert.equal(ex("20.1").check(48).ok, true);
  assert.equal(ex("20.1").check(47).ok, false);
  assert.equal(ex("20.2").check(22).ok, true); // mel(2000 Hz) = 1521 mel = edge 23.4 → falling side of band 22
  assert.equal(ex("20.2").check(23).ok, false);
  assert.equal(ex("20.3").check("b").ok, true);
  assert.equal(ex("20.3").check("a").ok, false);
  assert.equal(ex("20.4").check("a big red circle on the left").ok, true);
  assert.equal(ex("20.4").check("a big green circle on the left").ok, false);
});

test("chance levels match the prototype's hand-computed values", () => {
  // organism-notes round 2: IID n = 240, OOD n = 48 in 12 classes (size-colour-object words):
  // class-R@1 chance 1/12 = 0.083, mutual-kNN@10 chance 10/47 = 0.21, within-class R@1 1/4;
  // attribute chance 0.50, 0.17, 0.17, 0.25 on the IID gallery.
  const cfg = worldConfig("full", { summaryFormat: "word", summaryAttributes: ["size", "colour", "object"] });
  const w = generateWorld(cfg, 0);
  const ood = chanceLevels(w, w.splits.ood);
  assert.equal(ood.n, 48);
  assert.equal(ood.nClasses, 12);
  assert.ok(Math.abs(ood.classR1 - 1 / 12) < 1e-12);
  assert.ok(Math.abs(ood.mutualKnn - 10 / 47) < 1e-12);
  assert.ok(Math.abs(ood.withinClassR1 - 0.25) < 1e-12);
  const iid = chanceLevels(w, w.splits.iid);
  assert.equal(iid.n, 240);
  assert.ok(Math.abs(iid.r1 - 1 / 240) < 1e-12);
  assert.ok(Math.abs(iid.attribute.size - 0.5) < 1e-12);
  assert.ok(Math.abs(iid.attribute.position - 0.25) < 1e-12);
  // The diagonal takes exactly one object from every colour, so IID colours stay balanced: 40 of 240 each.
  assert.ok(Math.abs(iid.attribute.colour - 1 / 6) < 1e-12);
  assert.throws(() => chanceLevels(w, w.splits.ood, 48), /invalid k/);
});
