// A random head: size, shape, pose, age (atrophy), tissue densities, skull base, cortical folds and deep
// anatomy. Every random draw happens here, so rendering is a pure function of the head, the lesions,
// the slice and the noise stream.
//
// Conventions. Patient coordinates are DICOM LPS: +x toward the patient's left, +y posterior, +z up
// (head-first supine, so the standard axial image has rows increasing toward posterior, +y, and
// columns toward the patient's left, +x). Head-local coordinates (mm): u toward the left, v toward
// posterior, w up from the foramen magnum; the head is turned in-plane by `rotation` about its centre.
import { buildBaseMaps, randomBaseParams, type BaseMaps, type BaseParams } from './skull-base.ts';
import { randomFolds, type FoldField } from './cortical-folding.ts';
import type { Rng } from '../base/random.ts';
import { buildStructures, type Landmarks, type Structure } from './structures.ts';
import { randomTissueHu, type TissueHu } from './tissue.ts';
import { ANGLE_BINS, innerTopW, randomVault, type Vault } from './vault.ts';

export interface HeadModel {
  /** Patient z (mm) of w = 0, the foramen magnum. */
  baseZ: number;
  /** w of the vertex (top of the scalp). */
  vertexW: number;
  /** Patient (x, y) of the vault's centre and the in-plane rotation (rad) of the head. */
  cx: number;
  cy: number;
  rotation: number;
  cosR: number;
  sinR: number;
  age: number;
  /** 0 young .. 1 marked atrophy: wider sulci, ventricles, cisterns. */
  atrophy: number;
  /** Reference-head scales: lateral, antero-posterior, vertical. */
  su: number;
  sv: number;
  sw: number;
  vault: Vault;
  base: BaseParams;
  folds: FoldField;
  hu: TissueHu;
  structures: readonly Structure[];
  landmarks: Landmarks;
  /** Interhemispheric fissure half-width and falx half-thickness (mm). */
  fissureHalf: number;
  falxHalf: number;
  /** Superior sagittal sinus: half-width of its base on the inner table and its depth (mm). */
  sssHalf: number;
  sssDepth: number;
  /** Largest in-plane reach from the centre (mm): the nose, ears and scalp. */
  extent: number;
  /** Image noise SD (HU) and the in-plane point-spread SD (mm) of the reconstruction. */
  noiseSd: number;
  psfSigmaMm: number;
  /** Beam-hardening streaks of the posterior fossa: overall strength (HU) and line set. */
  streakHu: number;
  streaks: Float64Array;
}

export function randomHead(rng: Rng): HeadModel {
  const age = rng.uniform(18, 94);
  const atrophy = Math.min(1, Math.max(0, Math.max(0, (age - 35) / 55) ** 1.4 + 0.12 * rng.normal()));
  const vault = randomVault(rng.fork('vault'), atrophy);
  const binOf = (phi: number) => Math.floor(((phi + Math.PI) / (2 * Math.PI)) * ANGLE_BINS) % ANGLE_BINS;
  const r = (phi: number) => vault.r0[binOf(phi)]!;
  const su = (r(0) + r(Math.PI - 1e-9)) / 2 / 66;
  const sv = (r(Math.PI / 2) + r(-Math.PI / 2)) / 2 / 85;
  const sw = innerTopW(vault) / 138;
  const base = randomBaseParams(rng.fork('base'), su, sv, sw);
  const folds = randomFolds(rng.fork('folds'), atrophy);
  const hu = randomTissueHu(rng.fork('tissue'), age);
  const transverseW = (39 + base.tentEdge) * sw;
  const { structures, landmarks } = buildStructures(rng.fork('structures'), { su, sv, sw, vault, hu, atrophy, age, transverseW });
  const rotation = rng.uniform(-0.12, 0.12);
  let extent = vault.rMax + vault.maxOuter + 3;
  for (const s of structures) extent = Math.max(extent, Math.hypot(Math.abs(s.e.cu) + s.e.eu, Math.abs(s.e.cv) + s.e.ev) + 2);
  const streakCount = 7;
  const streaks = new Float64Array(streakCount * 4);
  for (let i = 0; i < streakCount; i++) {
    // Line through a point near one petrous apex: angle, offset along the ridge, sign, width.
    streaks[4 * i] = rng.uniform(0, Math.PI);
    streaks[4 * i + 1] = rng.uniform(-1, 1);
    streaks[4 * i + 2] = rng.chance(0.5) ? 1 : -1;
    streaks[4 * i + 3] = rng.uniform(1, 2.5);
  }
  const vertexW = innerTopW(vault) + meanTop(vault);
  return {
    baseZ: rng.uniform(-70, 10),
    vertexW,
    cx: rng.uniform(-8, 8),
    cy: rng.uniform(-10, 10),
    rotation,
    cosR: Math.cos(rotation),
    sinR: Math.sin(rotation),
    age,
    atrophy,
    su,
    sv,
    sw,
    vault,
    base,
    folds,
    hu,
    structures,
    landmarks,
    fissureHalf: rng.uniform(0.5, 0.8) + 1.4 * atrophy,
    falxHalf: rng.uniform(0.45, 0.7),
    sssHalf: rng.uniform(3.2, 5),
    sssDepth: rng.uniform(5.5, 8),
    extent,
    noiseSd: rng.uniform(3.6, 7),
    psfSigmaMm: rng.uniform(0.5, 0.85),
    streakHu: rng.uniform(6, 26),
    streaks,
  };
}

/** Skull and scalp thickness over the apex. */
function meanTop(vault: Vault): number {
  let s = 0;
  for (let i = 0; i < ANGLE_BINS; i++) s += vault.tIn[i]! + vault.tDip[i]! + vault.tOut[i]! + vault.scalp[i]!;
  return s / ANGLE_BINS;
}

export function headZRange(head: HeadModel): { baseMm: number; vertexMm: number } {
  return { baseMm: head.baseZ, vertexMm: head.baseZ + head.vertexW };
}

export function headCentre(head: HeadModel): { x: number; y: number } {
  return { x: head.cx, y: head.cy };
}

/** Patient (x, y) -> head-local (u, v). */
export function toHead(head: HeadModel, x: number, y: number): { u: number; v: number } {
  const dx = x - head.cx;
  const dy = y - head.cy;
  return { u: head.cosR * dx + head.sinR * dy, v: -head.sinR * dx + head.cosR * dy };
}

/** Head-local (u, v) -> patient (x, y). */
export function toPatient(head: HeadModel, u: number, v: number): { x: number; y: number } {
  return { x: head.cx + head.cosR * u - head.sinR * v, y: head.cy + head.sinR * u + head.cosR * v };
}

// The base maps (~0.5 MB) are derived, not drawn: built on first use and kept for the few heads in use.
const baseCache: { head: HeadModel; maps: BaseMaps }[] = [];

export function baseMapsOf(head: HeadModel): BaseMaps {
  const hit = baseCache.find((c) => c.head === head);
  if (hit) return hit.maps;
  const half = head.vault.rMax + 6;
  const maps = buildBaseMaps(head.base, half, half);
  baseCache.unshift({ head, maps });
  if (baseCache.length > 3) baseCache.pop();
  return maps;
}
