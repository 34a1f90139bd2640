// The request checks every transport runs on what it receives (engine-methods.ts names one per method): ids,
// paths, numbers, unknown fields. A failure is an EngineError('invalid') with one line. No Node or DOM imports.
import type { PredictStudiesRequest, SaliencyRequest, StartTrainingRequest, StudyQuery } from './engine.ts';
import { LABELS, type Label } from './labels.ts';
import { MAX_FOLDS, MAX_TEST_DIRS, MIN_FOLDS, PIPELINE_STAGES, TRAIN_PRESETS, type PipelineStage, type TrainPresetName } from './stages.ts';

export type EngineErrorCode = 'invalid' | 'not_found' | 'internal';

/** An error a transport reports as-is: one line, with a code it maps to a status (400, 404, 500). */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'EngineError';
    this.code = code;
  }
}

/** Throws EngineError('invalid') with `message`. */
export const invalid = (message: string): never => {
  throw new EngineError('invalid', message);
};

/** DICOM UIDs (digits and dots), RSNA ids (ID_0a1b2c), frames (`<uid>#<n>`): no slashes, spaces or controls. */
export const ID_PATTERN = /^[A-Za-z0-9._#-]{1,128}$/;
const MAX_PATH = 4096;
const MAX_FILTER = 200;
/** Patient folds a training request may ask for (startTraining.folds): stages.ts, where the panel reads them too. */
export { MAX_FOLDS, MIN_FOLDS };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Refuses any field of `body` not in `allowed`. */
export function only(body: Record<string, unknown>, method: string, allowed: readonly string[]): void {
  for (const k of Object.keys(body)) if (!allowed.includes(k)) invalid(`${method}: unknown field "${k.slice(0, 40)}"`);
}

export function validateId(v: unknown, field: string): string {
  if (typeof v !== 'string') return invalid(`${field} must be a string`);
  if (!ID_PATTERN.test(v)) return invalid(`${field} must be 1-128 characters of A-Z a-z 0-9 . _ # -`);
  return v;
}

/** POSIX absolute, Windows drive absolute (C:\ or C:/) or UNC (\\server\share). */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || /^\\\\[^\\]/.test(p);
}

export function validatePath(v: unknown, field: string): string {
  if (typeof v !== 'string') return invalid(`${field} must be a string`);
  if (v.length === 0 || v.length > MAX_PATH) return invalid(`${field} must be 1-${MAX_PATH} characters`);
  if (/[\u0000-\u001f]/.test(v)) return invalid(`${field} must not contain control characters`);
  if (!isAbsolutePath(v)) return invalid(`${field} must be an absolute path`);
  return v;
}

function validateFilter(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return invalid('filter must be a string');
  if (v.length > MAX_FILTER) return invalid(`filter must be at most ${MAX_FILTER} characters`);
  if (/[\u0000-\u001f]/.test(v)) return invalid('filter must not contain control characters');
  return v;
}

function validateProbability(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) return invalid(`${field} must be a finite number`);
  if (v < 0 || v > 1) return invalid(`${field} must be between 0 and 1`);
  return v;
}

function validateStages(v: unknown): PipelineStage[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0) return invalid(`stages must be a non-empty array of ${PIPELINE_STAGES.join(', ')}`);
  const out: PipelineStage[] = [];
  for (const s of v) {
    if (typeof s !== 'string' || !(PIPELINE_STAGES as readonly string[]).includes(s)) {
      return invalid(`stages: unknown stage ${JSON.stringify(s).slice(0, 40)}; known: ${PIPELINE_STAGES.join(', ')}`);
    }
    if (out.includes(s as PipelineStage)) return invalid(`stages: "${s}" given twice`);
    out.push(s as PipelineStage);
  }
  // In pipeline order, whatever order the caller listed them in.
  return PIPELINE_STAGES.filter((s) => out.includes(s));
}

export function validateStartTraining(b: Record<string, unknown>, method: string): StartTrainingRequest {
  only(b, method, ['preset', 'stages', 'data', 'labels', 'folds', 'initDir', 'fromScratch', 'testDirs']);
  if (typeof b.preset !== 'string' || !(TRAIN_PRESETS as readonly string[]).includes(b.preset)) {
    return invalid(`preset must be one of ${TRAIN_PRESETS.join(', ')}`);
  }
  const req: StartTrainingRequest = { preset: b.preset as TrainPresetName };
  const stages = validateStages(b.stages);
  if (stages) req.stages = stages;
  if (b.data !== undefined) req.data = validatePath(b.data, 'data');
  if (b.labels !== undefined) req.labels = validatePath(b.labels, 'labels');
  if (b.folds !== undefined) {
    if (typeof b.folds !== 'number' || !Number.isInteger(b.folds) || b.folds < MIN_FOLDS || b.folds > MAX_FOLDS) {
      return invalid(`folds must be an integer from ${MIN_FOLDS} to ${MAX_FOLDS}`);
    }
    req.folds = b.folds;
  }
  if (b.initDir !== undefined) req.initDir = validatePath(b.initDir, 'initDir');
  if (b.fromScratch !== undefined) {
    if (typeof b.fromScratch !== 'boolean') return invalid('fromScratch must be true or false');
    // false is the default: left out, so the request reads (and resumes) as one without it.
    if (b.fromScratch) req.fromScratch = true;
  }
  if (req.initDir !== undefined && req.fromScratch) return invalid('initDir and fromScratch exclude each other: give one');
  if (b.testDirs !== undefined) {
    if (!Array.isArray(b.testDirs) || b.testDirs.length === 0 || b.testDirs.length > MAX_TEST_DIRS) {
      return invalid(`testDirs must be an array of 1-${MAX_TEST_DIRS} absolute folder paths`);
    }
    const dirs = b.testDirs.map((d, i) => validatePath(d, `testDirs[${i}]`));
    if (new Set(dirs).size !== dirs.length) return invalid('testDirs names a folder twice');
    req.testDirs = dirs;
  }
  return req;
}

// ---- one validator per request shape (engine-methods.ts picks one for each method) ----

/** A body-level validator: the body (a JSON object) and the method name, for the messages. */
export type BodyValidator<T> = (body: Record<string, unknown>, method: string) => T;

/** A request without parameters. */
export const noFields: BodyValidator<Record<string, never>> = (b, method) => (only(b, method, []), {});

/** A request of one id field (a study, series, image or job id). */
export function idField<F extends string>(field: F): BodyValidator<{ [K in F]: string }> {
  return (b, method) => (only(b, method, [field]), { [field]: validateId(b[field], field) } as { [K in F]: string });
}

/** A request of one absolute path field. */
export function pathField<F extends string>(field: F): BodyValidator<{ [K in F]: string }> {
  return (b, method) => (only(b, method, [field]), { [field]: validatePath(b[field], field) } as { [K in F]: string });
}

export const validateStudyQuery: BodyValidator<StudyQuery> = (b, method) => {
  only(b, method, ['filter', 'threshold']);
  const q: StudyQuery = {};
  const filter = validateFilter(b.filter);
  const threshold = validateProbability(b.threshold, 'threshold');
  if (filter !== undefined) q.filter = filter;
  if (threshold !== undefined) q.threshold = threshold;
  return q;
};

/** A model version name: v1, v2 ... */
export const validateVersion: BodyValidator<{ version: string }> = (b, method) => {
  only(b, method, ['version']);
  if (typeof b.version !== 'string' || !/^v[1-9][0-9]{0,8}$/.test(b.version)) return invalid('version must look like v1, v2 ...');
  return { version: b.version };
};

export const validatePredictStudies: BodyValidator<PredictStudiesRequest> = (b, method) => {
  only(b, method, ['studyUids']);
  if (b.studyUids === undefined) return {};
  if (!Array.isArray(b.studyUids) || b.studyUids.length === 0 || b.studyUids.length > 10000) return invalid('studyUids must be a list of 1 to 10000 study UIDs');
  return { studyUids: b.studyUids.map((u, i) => validateId(u, `studyUids[${i}]`)) };
};

/** An image id and one of the six labels. */
export const validateSaliencyRequest: BodyValidator<SaliencyRequest> = (b, method) => {
  only(b, method, ['imageId', 'label']);
  const imageId = validateId(b.imageId, 'imageId');
  if (typeof b.label !== 'string' || !(LABELS as readonly string[]).includes(b.label)) return invalid(`label must be one of ${LABELS.join(', ')}`);
  return { imageId, label: b.label as Label };
};
