// Model ids. A trained model is one fold of a K-fold family: `<name>.k<K>.f<fold>` (e.g.
// `pooled-res.tiny-se-resnext.k3.f0`), and its family is `<name>.k<K>`. The name may itself hold dots
// (a stage and a base model); K and the fold are the last two parts.

export interface FamilyIdParts {
  name: string;
  k: number;
}

export interface ModelIdParts extends FamilyIdParts {
  fold: number;
}

/** `<name>.k<K>`: the family of K fold models. */
export function familyId(name: string, k: number): string {
  return `${name}.k${k}`;
}

/** `<name>.k<K>.f<fold>`: one fold's model. */
export function modelId(name: string, k: number, fold: number): string {
  return `${familyId(name, k)}.f${fold}`;
}

/** The parts of a family id, or null when `id` is not one. */
export function parseFamilyId(id: string): FamilyIdParts | null {
  const m = /^(.+)\.k(\d+)$/.exec(id);
  return m ? { name: m[1]!, k: Number(m[2]) } : null;
}

/** The parts of a model id, or null when `id` is not one. */
export function parseModelId(id: string): ModelIdParts | null {
  const m = /^(.+)\.k(\d+)\.f(\d+)$/.exec(id);
  return m ? { name: m[1]!, k: Number(m[2]), fold: Number(m[3]) } : null;
}
