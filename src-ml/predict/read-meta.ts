/**
 * A saved model's meta.json alone (nn/model-io.ts's folder layout), for inference that runs the model on
 * ONNX Runtime and so needs its settings but not the tfjs model.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../base/errors.ts';
import { META_JSON } from '../nn/model-io.ts';

export async function readModelMeta<M = Record<string, unknown>>(modelDir: string): Promise<M> {
  const file = path.join(path.resolve(modelDir), META_JSON);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file} is missing` : `cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    return JSON.parse(text) as M;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * The probability floor a model was trained and validated with (meta.probabilityFloor, metrics/probability-floor.ts),
 * which its served probabilities keep; 0 for models saved without one (their output is left as it was).
 */
export function probabilityFloorOf(meta: Record<string, unknown>, where: string): number {
  const f = meta.probabilityFloor;
  if (f === undefined || f === null) return 0;
  if (typeof f !== 'number' || !(f >= 0 && f < 0.5)) throw new Error(`${where}: meta.json probabilityFloor must be a number in [0, 0.5), got ${JSON.stringify(f)}`);
  return f;
}
