// Working images of one sub-plane (value and the masks lesions are clipped against) and of the slice
// (accumulated HU, centre-plane blood fractions). Reused between calls of the same size.
import { SUBTYPES } from './types.ts';

export interface PlaneBuffers {
  /** HU of the sub-plane so far. */
  val: Float32Array;
  /** Fractions of the pixel that are: inside the cranial cavity, brain parenchyma, subarachnoid CSF
   * (sulci, fissures, cisterns), ventricular CSF. */
  cav: Float32Array;
  brain: Float32Array;
  sub: Float32Array;
  vent: Float32Array;
  /** Which ventricle (1 left, 2 right, 3 third, 4 fourth) where vent > 0. */
  part: Uint8Array;
  /** Signed 3-D distance from the inner table (mm, + inside). */
  depth: Float32Array;
  /** Width (mm of depth) over which a surface parallel to the inner table ramps from 0 to 1 here. */
  soft: Float32Array;
}

export interface SliceBuffers extends PlaneBuffers {
  acc: Float32Array;
  /** The head pass's value and masks, restored before each sub-slab's structures and lesions. */
  headVal: Float32Array;
  headBrain: Float32Array;
  headSub: Float32Array;
  /** Blood fraction of each subtype on the centre plane (SUBTYPES order). */
  label: Float32Array[];
  tmp: Float32Array;
  tmp2: Float32Array;
}

const cache = new Map<number, SliceBuffers>();

export function buffersFor(size: number): SliceBuffers {
  let b = cache.get(size);
  if (!b) {
    const n = size * size;
    const f = () => new Float32Array(n);
    b = {
      val: f(), cav: f(), brain: f(), sub: f(), vent: f(), part: new Uint8Array(n), depth: f(), soft: f(),
      acc: f(), headVal: f(), headBrain: f(), headSub: f(), label: SUBTYPES.map(f), tmp: f(), tmp2: f(),
    };
    cache.set(size, b);
  }
  return b;
}
