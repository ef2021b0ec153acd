/**
 * Batches: many items rendered into one flat typed array, the layout a model's input tensor
 * wants (`tf.tensor(data, shape)` with no copy of nested arrays). Also the world's description for
 * run metadata.
 *
 * @module
 */
import { InputError } from "../array";
import { logMel } from "./audio";
import { renderAudio, renderDocument, renderImage, renderVideo, type DocumentOptions } from "./render";
import type { AssetMode, Split, World } from "./types";

/** A batch: row-major `data` of the given `shape` (first axis = item). */
export interface Batch {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

function stack(ids: readonly number[], per: number[], render: (id: number) => Float32Array): Batch {
  const size = per.reduce((a, b) => a * b, 1);
  const data = new Float32Array(ids.length * size);
  ids.forEach((id, k) => {
    const x = render(id);
    if (x.length !== size) throw new InputError(`item ${id} rendered ${x.length} values, expected ${size}`);
    data.set(x, k * size);
  });
  return { data, shape: [ids.length, ...per] };
}

function checkIds(world: World, ids: readonly number[]): void {
  for (const id of ids) if (!(Number.isInteger(id) && id >= 0 && id < world.items.length)) throw new InputError(`invalid item id ${id}; the world has ${world.items.length} items`);
}

/** Images of items `ids`: `[n, S, S, 3]`. */
export function imageBatch(world: World, ids: readonly number[]): Batch {
  checkIds(world, ids);
  const S = world.config.imageSize;
  return stack(ids, [S, S, 3], (id) => renderImage(world, world.items[id]).data);
}

/** Log-mel spectrograms of items `ids`: `[n, frames, nMels]` (front end from `config.audio`). */
export function logMelBatch(world: World, ids: readonly number[]): Batch {
  checkIds(world, ids);
  const a = world.config.audio;
  const frames = 1 + Math.floor((Math.round(a.duration * a.sampleRate) - a.nFft) / a.hop);
  return stack(ids, [frames, a.nMels], (id) => logMel(renderAudio(world, world.items[id]), a).data);
}

/** Documents of items `ids`: `[n, H, W]`; also returns the exact texts drawn (the OCR targets). */
export function documentBatch(world: World, ids: readonly number[], opts: DocumentOptions = {}): Batch & { texts: string[] } {
  checkIds(world, ids);
  const { height, width } = world.config.document;
  const texts: string[] = [];
  const b = stack(ids, [height, width], (id) => {
    const d = renderDocument(world, world.items[id], opts);
    texts.push(d.text);
    return d.data;
  });
  return { ...b, texts };
}

/** Videos of items `ids`: `[n, T, S, S, 3]`. */
export function videoBatch(world: World, ids: readonly number[]): Batch {
  checkIds(world, ids);
  const S = world.config.imageSize;
  return stack(ids, [world.config.videoFrames, S, S, 3], (id) => renderVideo(world, world.items[id]).data);
}

/** What a run records about its world (`world.mode` included), JSON-ready. */
export interface WorldInfo {
  mode: AssetMode;
  seed: number;
  profile: string;
  nItems: Record<Split, number>;
  nScenes: Record<Split, number>;
  heldOut: string[];
  summaryFormat: string;
  summaryAttributes: string[];
  nTextPairs: number;
  sources: string[];
}

/** Describe a world for run metadata and reports. */
export function worldInfo(world: World): WorldInfo {
  const splits: Split[] = ["train", "iid", "ood"];
  const count = (f: (s: Split) => number) => Object.fromEntries(splits.map((s) => [s, f(s)])) as Record<Split, number>;
  return {
    mode: world.mode,
    seed: world.seed,
    profile: world.config.profile,
    nItems: count((s) => world.splits[s].length),
    nScenes: count((s) => new Set(world.splits[s].map((i) => world.items[i].scene)).size),
    heldOut: world.config.heldOut.map(([c, o]) => `${c} ${o}`),
    summaryFormat: world.config.summaryFormat,
    summaryAttributes: [...world.config.summaryAttributes],
    nTextPairs: world.textPairs.length,
    sources: world.assets ? [...world.assets.sources] : ["procedural (drawn shapes, synthesised tones, 5×7 pixel font)"],
  };
}
