/**
 * The seed's optimizer, BertAdam (docs/seed-pipeline.md section 3), as a tfjs Optimizer so that
 * LayersModel.trainOnBatch (which runs layers in training mode) can drive it:
 *   - each gradient tensor is clipped to L2 norm `maxGradNorm` on its own (torch clip_grad_norm_ per
 *     parameter: g *= maxNorm / (norm + 1e-6) when that factor is < 1);
 *   - Adam moments WITHOUT bias correction: update = m / (sqrt(v) + eps);
 *   - decoupled weight decay: update += wd * p (wd 0 for biases and norms, decided by the caller);
 *   - per-parameter learning rates (discriminative LR groups), all scaled by one schedule multiplier.
 * A parameter whose LR is 0 is skipped entirely (no state, no work): the seed's DenseNet transitions.
 */
import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

export interface ParamSpec {
  lr: number;
  weightDecay: number;
}

export interface BertAdamConfig {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Per-tensor gradient-norm clip; <= 0 disables it. */
  maxGradNorm?: number;
}

interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

export class BertAdam extends tf.Optimizer {
  static className = 'ICHBertAdam';
  /** The schedule's multiplier for the next step(s). */
  multiplier = 1;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly maxGradNorm: number;
  private readonly moments = new Map<string, Moments>();
  private readonly specs = new Map<string, ParamSpec>();

  /** `resolve` gives the LR and weight decay of a variable from its name (called once per variable). */
  constructor(private readonly resolve: (variableName: string) => ParamSpec, cfg: BertAdamConfig = {}) {
    super();
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.epsilon = cfg.epsilon ?? 1e-6;
    this.maxGradNorm = cfg.maxGradNorm ?? 1.0;
  }

  private specOf(name: string): ParamSpec {
    let spec = this.specs.get(name);
    if (!spec) {
      spec = this.resolve(name);
      if (!(spec.lr >= 0) || !(spec.weightDecay >= 0)) throw new Error(`BertAdam: bad lr/weight decay for ${name}: ${JSON.stringify(spec)}`);
      this.specs.set(name, spec);
    }
    return spec;
  }

  private momentsOf(name: string, like: tf.Tensor): Moments {
    let st = this.moments.get(name);
    if (!st) {
      st = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(like), false), v: tf.variable(tf.zerosLike(like), false) }));
      this.moments.set(name, st);
    }
    return st;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor] as const)
      : Object.entries(variableGradients);
    for (const [name, grad] of list) {
      if (grad == null) continue;
      const param = tf.engine().registeredVariables[name];
      if (!param) throw new Error(`BertAdam: no variable named ${name}`);
      const spec = this.specOf(name);
      if (spec.lr === 0) continue;
      const st = this.momentsOf(name, param);
      tf.tidy(() => {
        let g = grad;
        if (this.maxGradNorm > 0) {
          const norm = tf.sqrt(tf.sum(tf.square(g)));
          const coef = tf.minimum(tf.scalar(1), tf.div(tf.scalar(this.maxGradNorm), tf.add(norm, tf.scalar(1e-6))));
          g = tf.mul(g, coef);
        }
        const m = tf.add(tf.mul(st.m, tf.scalar(this.beta1)), tf.mul(g, tf.scalar(1 - this.beta1)));
        const v = tf.add(tf.mul(st.v, tf.scalar(this.beta2)), tf.mul(tf.square(g), tf.scalar(1 - this.beta2)));
        let update = tf.div(m, tf.add(tf.sqrt(v), tf.scalar(this.epsilon)));
        if (spec.weightDecay > 0) update = tf.add(update, tf.mul(param, tf.scalar(spec.weightDecay)));
        st.m.assign(m);
        st.v.assign(v);
        param.assign(tf.sub(param, tf.mul(update, tf.scalar(spec.lr * this.multiplier))));
      });
    }
    this.incrementIterations();
  }

  /** Moments in the order of `names` (zeros where a variable has no state yet), for checkpoints. Read with
   * await data(): the webgpu backend has no synchronous read in Node. */
  async exportMoments(names: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const name of names) {
      const st = this.moments.get(name);
      const param = tf.engine().registeredVariables[name];
      if (!param) throw new Error(`BertAdam: no variable named ${name}`);
      const n = param.size;
      out.push(st ? ((await st.m.data()) as Float32Array).slice() : new Float32Array(n));
      out.push(st ? ((await st.v.data()) as Float32Array).slice() : new Float32Array(n));
    }
    return out;
  }

  /** Restores moments exported by exportMoments (same order of names, possibly in another process). */
  importMoments(names: readonly string[], arrays: readonly Float32Array[], iterations: number): void {
    if (arrays.length !== 2 * names.length) throw new Error(`BertAdam: ${arrays.length} moment arrays for ${names.length} variables`);
    names.forEach((name, i) => {
      const param = tf.engine().registeredVariables[name];
      if (!param) throw new Error(`BertAdam: no variable named ${name}`);
      const m = arrays[2 * i]!;
      const v = arrays[2 * i + 1]!;
      if (m.length !== param.size || v.length !== param.size) throw new Error(`BertAdam: moment size mismatch for ${name}`);
      const st = this.momentsOf(name, param);
      tf.tidy(() => {
        st.m.assign(tf.tensor(m, param.shape));
        st.v.assign(tf.tensor(v, param.shape));
      });
    });
    this.iterations_ = iterations;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const [name, st] of this.moments) out.push({ name: `${name}/m`, tensor: st.m }, { name: `${name}/v`, tensor: st.v });
    return out;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    for (const { name, tensor } of rest) {
      const base = name.replace(/\/[mv]$/, '');
      const param = tf.engine().registeredVariables[base];
      if (!param) continue;
      const st = this.momentsOf(base, param);
      (name.endsWith('/m') ? st.m : st.v).assign(tensor);
    }
  }

  override dispose(): void {
    for (const st of this.moments.values()) {
      st.m.dispose();
      st.v.dispose();
    }
    this.moments.clear();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, maxGradNorm: this.maxGradNorm };
  }
}
