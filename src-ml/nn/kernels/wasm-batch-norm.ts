/**
 * Batch normalisation in training mode as two fused kernels on the wasm backend, forward and backward.
 *
 * tfjs-layers computes a training-mode batch norm as moments (Mean, SquaredDifference, Mean) and then
 * FusedBatchNorm, and its gradient as the autodiff of all of them: tfjs-core's FusedBatchNorm gradient tiles
 * the per-channel vectors to the activation's size, and the moments add their own full-size passes, about
 * 15 full-size kernels per layer (~15% of a BenchCNN step on wasm). Here:
 *   forward  (IchBatchNormTrain):     mean and biased variance (one pass, shifted sums), y = (x - mean) * gamma / sqrt(var + eps) + beta;
 *   backward (IchBatchNormTrainGrad): sums of dy and dy*(x - mean) per channel (one pass), then
 *     dx = gamma * r * (dy - sum(dy)/N - (x - mean) * r^2 * sum(dy*(x - mean))/N), r = 1/sqrt(var + eps),
 *     dgamma = r * sum(dy*(x - mean)), dbeta = sum(dy): the exact gradient through the batch statistics.
 * Per-channel sums are float64. installFusedBatchNorm routes tfjs-layers' BatchNormalization to them in
 * training mode, on the wasm backend, for float32 inputs normalised over the last axis with centre and
 * scale; anything else takes the layer's own code. The moving averages are updated as the layer does.
 * With the native addon on (native-blas.ts) both kernels run the same loops in C (ich-blas.c), ~5x faster.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeBlas } from './native-blas.ts';

export const BN_TRAIN = 'IchBatchNormTrain';
export const BN_TRAIN_GRAD = 'IchBatchNormTrainGrad';

interface BnAttrs {
  epsilon: number;
}

function f32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function channelsOf(x: TensorInfo): { rows: number; c: number } {
  const c = x.shape[x.shape.length - 1]!;
  return { rows: c === 0 ? 0 : tf.util.sizeFromShape(x.shape) / c, c };
}

function bnTrain(args: { inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }; backend: BackendWasm; attrs: BnAttrs }): TensorInfo[] {
  const { inputs: { x, gamma, beta }, backend, attrs: { epsilon } } = args;
  const { rows, c } = channelsOf(x);
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  const blas = nativeBlas();
  if (blas && rows > 0 && c > 0) {
    blas.bnTrain(f32(backend, x), f32(backend, gamma), f32(backend, beta), f32(backend, y), f32(backend, mean), f32(backend, variance), epsilon);
    return [y, mean, variance];
  }
  const xv = f32(backend, x);
  const yv = f32(backend, y);
  const g = f32(backend, gamma);
  const b = f32(backend, beta);
  // One pass for both statistics: sums of d = x - k and d^2 with k the channel's first value (the shifted-data
  // variance: no cancellation when the mean is large against the spread), in float64.
  const k = new Float64Array(c);
  for (let j = 0; j < c && rows > 0; j++) k[j] = xv[j]!;
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let r = 0, at = 0; r < rows; r++, at += c) {
    for (let j = 0; j < c; j++) {
      const d = xv[at + j]! - k[j]!;
      s1[j] = s1[j]! + d;
      s2[j] = s2[j]! + d * d;
    }
  }
  const mu = new Float64Array(c);
  const acc = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const m1 = s1[j]! / rows;
    mu[j] = k[j]! + m1;
    acc[j] = Math.max(0, s2[j]! - s1[j]! * m1);
  }
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  const mv = f32(backend, mean);
  const vv = f32(backend, variance);
  for (let j = 0; j < c; j++) {
    const v = acc[j]! / rows;
    mv[j] = mu[j]!;
    vv[j] = v;
    scale[j] = g[j]! / Math.sqrt(v + epsilon);
    shift[j] = b[j]! - mu[j]! * scale[j]!;
  }
  for (let r = 0, at = 0; r < rows; r++, at += c) for (let j = 0; j < c; j++) yv[at + j] = xv[at + j]! * scale[j]! + shift[j]!;
  return [y, mean, variance];
}

function bnTrainGrad(args: {
  inputs: { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo; mean: TensorInfo; variance: TensorInfo };
  backend: BackendWasm;
  attrs: BnAttrs;
}): TensorInfo[] {
  const { inputs: { dy, x, gamma, mean, variance }, backend, attrs: { epsilon } } = args;
  const { rows, c } = channelsOf(x);
  const dx = backend.makeOutput(x.shape, 'float32');
  const dgamma = backend.makeOutput([c], 'float32');
  const dbeta = backend.makeOutput([c], 'float32');
  const blas = nativeBlas();
  if (blas && rows > 0 && c > 0) {
    blas.bnTrainGrad(f32(backend, dy), f32(backend, x), f32(backend, gamma), f32(backend, mean), f32(backend, variance), f32(backend, dx), f32(backend, dgamma), f32(backend, dbeta), epsilon);
    return [dx, dgamma, dbeta];
  }
  const dyv = f32(backend, dy);
  const xv = f32(backend, x);
  const g = f32(backend, gamma);
  const mu = f32(backend, mean);
  const vv = f32(backend, variance);
  const sumDy = new Float64Array(c);
  const sumDyXmu = new Float64Array(c);
  for (let r = 0, at = 0; r < rows; r++, at += c) {
    for (let j = 0; j < c; j++) {
      const d = dyv[at + j]!;
      sumDy[j] = sumDy[j]! + d;
      sumDyXmu[j] = sumDyXmu[j]! + d * (xv[at + j]! - mu[j]!);
    }
  }
  // dx = k1 * dy + k2 * x + k0 per channel, the three coefficients folded from the formula above.
  const k1 = new Float64Array(c);
  const k2 = new Float64Array(c);
  const k0 = new Float64Array(c);
  const dgv = f32(backend, dgamma);
  const dbv = f32(backend, dbeta);
  for (let j = 0; j < c; j++) {
    const r = 1 / Math.sqrt(vv[j]! + epsilon);
    dgv[j] = sumDyXmu[j]! * r;
    dbv[j] = sumDy[j]!;
    k1[j] = g[j]! * r;
    k2[j] = -k1[j]! * r * r * (sumDyXmu[j]! / rows);
    k0[j] = -k1[j]! * (sumDy[j]! / rows) - k2[j]! * mu[j]!;
  }
  const dxv = f32(backend, dx);
  for (let r = 0, at = 0; r < rows; r++, at += c) {
    for (let j = 0; j < c; j++) dxv[at + j] = k1[j]! * dyv[at + j]! + k2[j]! * xv[at + j]! + k0[j]!;
  }
  return [dx, dgamma, dbeta];
}

export const bnTrainWasmConfig: KernelConfig = { kernelName: BN_TRAIN, backendName: 'wasm', kernelFunc: bnTrain as unknown as KernelFunc };
export const bnTrainGradWasmConfig: KernelConfig = { kernelName: BN_TRAIN_GRAD, backendName: 'wasm', kernelFunc: bnTrainGrad as unknown as KernelFunc };

/** The parts of tfjs-layers' BatchNormalization the fused path reads. */
interface BnLayer {
  axis: number;
  epsilon: number;
  momentum: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type CallFn = (this: BnLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }) => tf.Tensor | tf.Tensor[];

let installed = false;

function fusable(layer: BnLayer, x: tf.Tensor): boolean {
  const axis = layer.axis >= 0 ? layer.axis : layer.axis + x.rank;
  return x.rank >= 2 && axis === x.rank - 1 && x.dtype === 'float32' && layer.gamma !== null && layer.beta !== null
    && tf.getKernel(BN_TRAIN, tf.getBackend()) !== undefined;
}

/** As the layer's doMovingAverage: variable -= (variable - value) * (1 - momentum). */
function movingAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

function fusedTrainingCall(layer: BnLayer, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let stats: tf.Tensor[] = [];
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xi, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x: xi, gamma, beta }, { epsilon: layer.epsilon }) as tf.Tensor[];
      save([xi, gamma, mean!, variance!]);
      // The statistics outlive customGrad's scope for the moving averages; disposed below.
      stats = [tf.keep(mean!), tf.keep(variance!)];
      return {
        value: y!,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sg, sm, sv] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          return tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x: sx, gamma: sg, mean: sm, variance: sv }, { epsilon: layer.epsilon }) as tf.Tensor[];
        },
      };
    });
    try {
      const y = op(x, layer.gamma!.read(), layer.beta!.read());
      movingAverage(layer.movingMean, stats[0]!, layer.momentum);
      movingAverage(layer.movingVariance, stats[1]!, layer.momentum);
      return y;
    } finally {
      tf.dispose(stats);
    }
  });
}

/**
 * Routes tfjs-layers' BatchNormalization in training mode to the fused kernels where they apply (see the
 * module comment). Idempotent. The kernels must be registered for the backend (registerWasmTrainingKernels).
 */
export function installFusedBatchNorm(): void {
  if (installed) return;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'];
  if (!entry) throw new Error('tfjs-layers BatchNormalization is not registered');
  const proto = (entry[0] as unknown as { prototype: { call: CallFn } }).prototype;
  const original = proto.call;
  proto.call = function (this: BnLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs?.training || !x || (Array.isArray(inputs) && inputs.length !== 1) || !fusable(this, x)) return original.call(this, inputs, kwargs);
    return fusedTrainingCall(this, x);
  };
  installed = true;
}
