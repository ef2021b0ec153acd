/**
 * One body for a computation that reads tensor values, run with synchronous or asynchronous
 * reads. The `webgpu` backend cannot read synchronously in Node (see `webgpu.ts`
 * `canReadSync`), while the wasm path's callers are synchronous; writing the body twice would let
 * the two drift. So the body is a generator that yields each tensor whose values it needs and gets
 * them back from `next`:
 *
 * ```ts
 * function* meanLoss(x: tf.Tensor): Reads<number> {
 *   const t = tf.mean(x);
 *   try { return (yield t)[0]; } finally { t.dispose(); }
 * }
 * runSync(meanLoss(x));        // dataSync: wasm, cpu, tensorflow
 * await runAsync(meanLoss(x)); // await data(): every backend, webgpu too
 * ```
 *
 * Both drivers issue the same ops in the same order, so the numbers do not depend on the driver.
 * The body owns what it yields (it disposes it, in a `finally` so an error while reading frees
 * it too); the drivers only read. Bodies compose with `yield*`.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** The values of a read tensor (`Float32Array` for float32, `Int32Array` for int32). */
export type ReadValues = Float32Array | Int32Array | Uint8Array;

/** A computation that yields the tensors it reads and returns `T`. */
export type Reads<T> = Generator<tf.Tensor, T, ReadValues>;

/** Run `body`, reading each yielded tensor with `dataSync()`. */
export function runSync<T>(body: Reads<T>): T {
  try {
    let r = body.next();
    while (!r.done) r = body.next(r.value.dataSync() as ReadValues);
    return r.value;
  } finally {
    // After an error while reading: runs the body's `finally` blocks (no-op once it is done).
    body.return(undefined as T);
  }
}

/** Run `body`, reading each yielded tensor with `await data()` (the form that also runs on webgpu). */
export async function runAsync<T>(body: Reads<T>): Promise<T> {
  try {
    let r = body.next();
    while (!r.done) r = body.next((await r.value.data()) as ReadValues);
    return r.value;
  } finally {
    body.return(undefined as T);
  }
}

/** Yield `t` to be read and dispose it afterwards (also when the read fails): `(yield* readOnce(t))[0]`. */
export function* readOnce(t: tf.Tensor): Reads<ReadValues> {
  try {
    return yield t;
  } finally {
    t.dispose();
  }
}
