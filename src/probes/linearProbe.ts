/**
 * The linear probe (the paper's "Linear Probe" column): multinomial logistic regression on frozen
 * embeddings, trained on one set of items and scored by accuracy on another.
 *
 * Why written on TF.js instead of taken from a library: it is ten lines on the optimiser the kit
 * already ships, multinomial (not one-vs-rest), deterministic (zero initialisation; with the L2
 * penalty the problem is strictly convex, so the optimum does not depend on the start), and it
 * runs on the same backend as everything else.
 *
 * @module
 */
import type * as TF from "@tensorflow/tfjs";
import { InputError, type MatrixLike } from "../array";
import { checkFeats } from "./prepare";
import { readOnce, runAsync, runSync, type Reads } from "../backend/reads";
import { tfjs } from "../backend/lazy";

/** Options of {@link linearProbe}. */
export interface LinearProbeOptions {
  /** L2 penalty λ on the weights (not the biases), per training example: loss = CE + λ·‖W‖²/2. Default 1e-3. */
  l2?: number;
  /** Full-batch Adam steps. Default 300. */
  steps?: number;
  /** Adam learning rate. Default 0.05. */
  lr?: number;
}

/** Result of {@link linearProbe}. */
export interface LinearProbeResult {
  /** Accuracy on the test rows. */
  accuracy: number;
  /** Accuracy of always predicting the most frequent training label on the test rows. */
  majority: number;
  /** 1 / number of classes seen in training. */
  uniform: number;
  /** Training accuracy (how separable the training rows are). */
  trainAccuracy: number;
  classes: string[];
  /** Final regularised training loss (nats). */
  loss: number;
}

/**
 * Fit multinomial logistic regression on `train` rows with labels `trainLabels`, then predict
 * `test`. Features are standardised with the training rows' mean and standard deviation per
 * column. Test labels never seen in training count as errors.
 * @param train `[n, d]`, test `[m, d]` (same d).
 * @throws InputError on mismatched lengths or fewer than 2 classes.
 */
export function linearProbe(
  train: MatrixLike, trainLabels: readonly string[], test: MatrixLike, testLabels: readonly string[], opts: LinearProbeOptions = {},
): LinearProbeResult {
  return runSync(linearProbeReads(train, trainLabels, test, testLabels, opts));
}

/** {@link linearProbe} with asynchronous reads (the same result; also runs on `webgpu`). */
export function linearProbeAsync(
  train: MatrixLike, trainLabels: readonly string[], test: MatrixLike, testLabels: readonly string[], opts: LinearProbeOptions = {},
): Promise<LinearProbeResult> {
  return runAsync(linearProbeReads(train, trainLabels, test, testLabels, opts));
}

/** The body of {@link linearProbe}, yielding the final loss and the predictions to be read. */
function* linearProbeReads(
  train: MatrixLike, trainLabels: readonly string[], test: MatrixLike, testLabels: readonly string[], opts: LinearProbeOptions,
): Reads<LinearProbeResult> {
  const A = checkFeats(train, "train"), B = checkFeats(test, "test");
  if (A.rows !== trainLabels.length) throw new InputError(`train has ${A.rows} rows but ${trainLabels.length} labels`);
  if (B.rows !== testLabels.length) throw new InputError(`test has ${B.rows} rows but ${testLabels.length} labels`);
  if (A.cols !== B.cols) throw new InputError(`train has ${A.cols} columns, test ${B.cols}`);
  const classes = [...new Set(trainLabels)].sort();
  if (classes.length < 2) throw new InputError(`a linear probe needs at least 2 classes in training; got ${classes.length}`);
  const l2 = opts.l2 ?? 1e-3, steps = opts.steps ?? 300, lr = opts.lr ?? 0.05;
  const idx = new Map(classes.map((c, i) => [c, i]));
  const tf = tfjs();
  const d = A.cols, C = classes.length;
  // Standardisation from the training rows only.
  const mean = new Float64Array(d), sd = new Float64Array(d);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < d; j++) mean[j] += A.data[i * d + j] / A.rows;
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < d; j++) sd[j] += (A.data[i * d + j] - mean[j]) ** 2 / A.rows;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  const scale = (M: typeof A) => {
    const out = new Float32Array(M.rows * d);
    for (let i = 0; i < M.rows; i++) for (let j = 0; j < d; j++) out[i * d + j] = (M.data[i * d + j] - mean[j]) / sd[j];
    return tf.tensor2d(out, [M.rows, d]);
  };
  const W = tf.tidy(() => tf.variable(tf.zeros([d, C])));
  const b = tf.tidy(() => tf.variable(tf.zeros([C])));
  const opt = tf.train.adam(lr);
  try {
    const X = scale(A);
    const Y = tf.tidy(() => tf.oneHot(tf.tensor1d(trainLabels.map((l) => idx.get(l)!), "int32"), C).toFloat());
    const lossFn = () => tf.add(tf.losses.softmaxCrossEntropy(Y, tf.add(tf.matMul(X, W), b)), tf.mul(l2 / 2, tf.sum(tf.square(W)))) as TF.Scalar;
    for (let s = 0; s < steps; s++) tf.tidy(() => {
      opt.minimize(lossFn, false, [W, b]);
    });
    const loss = (yield* readOnce(tf.tidy(lossFn)))[0];
    const predict = function* (X2: TF.Tensor2D): Reads<number[]> {
      return Array.from(yield* readOnce(tf.tidy(() => tf.argMax(tf.add(tf.matMul(X2, W), b), 1))));
    };
    const trainPred = yield* predict(X);
    const Xt = scale(B);
    const testPred = yield* predict(Xt);
    tf.dispose([X, Y, Xt]);
    const acc = (pred: number[], labels: readonly string[]) => pred.filter((p, i) => classes[p] === labels[i]).length / labels.length;
    const counts = new Map<string, number>();
    for (const l of trainLabels) counts.set(l, (counts.get(l) ?? 0) + 1);
    const top = [...counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0][0];
    return {
      accuracy: acc(testPred, testLabels),
      majority: testLabels.filter((l) => l === top).length / testLabels.length,
      uniform: 1 / C,
      trainAccuracy: acc(trainPred, trainLabels),
      classes,
      loss,
    };
  } finally {
    tf.dispose([W, b]);
    opt.dispose();
  }
}
