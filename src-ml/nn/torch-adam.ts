/**
 * torch.optim.Adam (amsgrad=False, maximize=False) as a tfjs Optimizer, for the shallow NN (docs/seed-pipeline.md
 * section 5), so that LayersModel.trainOnBatch can drive it. Per parameter p with gradient g, step t:
 *   g = g + wd·p                          (coupled L2, torch's weight_decay)
 *   m = β1·m + (1 − β1)·g
 *   v = β2·v + (1 − β2)·g²
 *   p = p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * eps defaults to 1e-8 (torch's default). `reset(lr)` drops the moments and the step count, which is
 * exactly what the seed's "new torch.optim.Adam every epoch" does, without recompiling the model.
 */
import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

export interface TorchAdamConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

export class TorchAdam extends tf.Optimizer {
  static className = 'ICHTorchAdam';
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly moments = new Map<string, Moments>();
  /** Steps taken since construction or the last reset (torch's per-parameter `step`; all parameters step together). */
  private step = 0;

  constructor(cfg: TorchAdamConfig) {
    super();
    if (!(cfg.lr >= 0)) throw new Error(`TorchAdam: lr must be >= 0, got ${cfg.lr}`);
    this.lr = cfg.lr;
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.epsilon = cfg.epsilon ?? 1e-8;
    this.weightDecay = cfg.weightDecay ?? 0;
    for (const [k, b] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new Error(`TorchAdam: ${k} must be in [0, 1), got ${b}`);
    }
    if (!(this.weightDecay >= 0)) throw new Error(`TorchAdam: weightDecay must be >= 0, got ${this.weightDecay}`);
  }

  /** Fresh state (zero moments, step 0) and a new learning rate: a new torch.optim.Adam over the same parameters. */
  reset(lr = this.lr): void {
    for (const st of this.moments.values()) tf.dispose([st.m, st.v]);
    this.moments.clear();
    this.step = 0;
    this.lr = lr;
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
    this.step++;
    const t = this.step;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    const stepSize = this.lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    for (const [name, grad] of list) {
      if (grad == null) continue;
      const param = tf.engine().registeredVariables[name];
      if (!param) throw new Error(`TorchAdam: no variable named ${name}`);
      const st = this.momentsOf(name, param);
      tf.tidy(() => {
        const g = this.weightDecay > 0 ? tf.add(grad, tf.mul(param, tf.scalar(this.weightDecay))) : grad;
        const m = tf.add(tf.mul(st.m, tf.scalar(this.beta1)), tf.mul(g, tf.scalar(1 - this.beta1)));
        const v = tf.add(tf.mul(st.v, tf.scalar(this.beta2)), tf.mul(tf.square(g), tf.scalar(1 - this.beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), tf.scalar(sqrtBc2)), tf.scalar(this.epsilon));
        st.m.assign(m);
        st.v.assign(v);
        param.assign(tf.sub(param, tf.mul(tf.div(m, denom), tf.scalar(stepSize))));
      });
    }
    this.incrementIterations();
  }

  override dispose(): void {
    this.reset();
    super.dispose();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const [name, st] of this.moments) out.push({ name: `${name}/m`, tensor: st.m }, { name: `${name}/v`, tensor: st.v });
    return out;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.step = this.iterations;
    for (const { name, tensor } of rest) {
      const base = name.replace(/\/[mv]$/, '');
      const param = tf.engine().registeredVariables[base];
      if (!param) continue;
      const st = this.momentsOf(base, param);
      (name.endsWith('/m') ? st.m : st.v).assign(tensor);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { lr: this.lr, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls(config as unknown as TorchAdamConfig);
  }
}

tf.serialization.registerClass(TorchAdam);
