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
