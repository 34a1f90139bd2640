// Per-head tissue densities (HU). Each head draws its own values within physiological ranges, so that
// no single HU threshold separates blood from everything else across heads.
import type { Rng } from '../base/random.ts';

export interface TissueHu {
  air: number;
  fat: number;
  /** Skin and subcutaneous tissue of the scalp. */
  scalp: number;
  /** Temporalis and neck muscles. */
  muscle: number;
  /** Cortical bone of the inner and outer tables. */
  table: number;
  diploe: number;
  /** Skull base (sphenoid, occipital) and the denser petrous bone. */
  baseBone: number;
  petrous: number;
  csf: number;
  gm: number;
  wm: number;
  /** Basal ganglia and thalami. */
  deepGm: number;
  brainstem: number;
  cerebellum: number;
  /** Dura of the falx and tentorium (thin, so it shows at partial volume only). */
  dura: number;
  /** Flowing blood in the dural venous sinuses: depends on the haematocrit. */
  venous: number;
  /** Periventricular white matter hypodensity of small-vessel disease. */
  leukoaraiosis: number;
  globe: number;
  lens: number;
}

export function randomTissueHu(rng: Rng, age: number): TissueHu {
  const wm = rng.uniform(25, 31);
  // Grey-white contrast narrows with age; keep GM within 35-41.
  const gm = Math.min(41, Math.max(35, wm + rng.uniform(6.5, 10) - (age > 70 ? 1.5 : 0)));
  const venous = rng.uniform(45, 65);
  return {
    air: -1000,
    fat: rng.uniform(-105, -80),
    scalp: rng.uniform(25, 45),
    muscle: rng.uniform(42, 55),
    table: rng.uniform(1450, 1850),
    diploe: rng.uniform(450, 850),
    baseBone: rng.uniform(1100, 1500),
    petrous: rng.uniform(1650, 1900),
    csf: rng.uniform(2, 10),
    gm,
    wm,
    deepGm: gm + rng.uniform(-2, 1),
    brainstem: (gm + wm) / 2 + rng.uniform(0, 3),
    cerebellum: gm + rng.uniform(-1, 2),
    dura: rng.uniform(50, 65),
    venous,
    leukoaraiosis: wm - rng.uniform(5, 9),
    globe: rng.uniform(5, 15),
    lens: rng.uniform(80, 110),
  };
}
