// The engine's methods: one table every transport reads. A method is one row of EngineMethods (its request
// and response types) and one row of ENGINE_METHOD_TABLE (how the EngineClient call's arguments make the
// request body, and the validator a receiving transport runs); its implementation is the engine service's
// (src-ml/host/engine-service.ts). The transports are generic over the table: the HTTP client and the preload
// send `requestBody(method, args)` (POST /api/<method>, the IPC channel `ich:<method>`), the IPC router and the
// web host check `validateRequest(method, body)`, and the engine's dispatch calls `callEngine(client, method,
// body)`. No Node or DOM imports: every process imports this file.
import type {
  EngineEvent, EngineInfo, JobEvent, PredictStudiesRequest, SaliencyMap, SaliencyRequest, ScanProblemRecord, SeriesDetail, SeriesPredictions, SeriesSummary, SliceDetail,
  StartTrainingRequest, StudyQuery, StudyRow,
} from './engine.ts';
import {
  EngineError, idField, invalid, isObject, noFields, pathField, validatePredictStudies, validateSaliencyRequest, validateStartTraining, validateStudyQuery, validateVersion,
  type BodyValidator,
} from './engine-validate.ts';
import type { PromoteResult, RunSummary, TrainHistory, TrainJobState, VersionSummary } from './training.ts';

/** Request body (the JSON a transport carries) and response of each method. */
export interface EngineMethods {
  info: { request: Record<string, never>; response: EngineInfo };
  listStudies: { request: StudyQuery; response: StudyRow[] };
  getSeriesList: { request: { studyUid: string }; response: SeriesSummary[] };
  getSeries: { request: { seriesUid: string }; response: SeriesDetail };
  getPredictions: { request: { seriesUid: string }; response: SeriesPredictions };
  getSliceDetail: { request: { imageId: string }; response: SliceDetail };
  /** Indexes a folder in the background; progress arrives as job events. */
  addFolder: { request: { path: string }; response: { jobId: string } };
  /** Latest event of every job this engine ran (for a renderer that reconnects). */
  listJobs: { request: Record<string, never>; response: JobEvent[] };
  /** Launches a training run in a child process (one at a time); progress arrives as training events. */
  startTraining: { request: StartTrainingRequest; response: { jobId: string } };
  /** Stops a running training job (what it committed stays; launching the same request again resumes). */
  cancelTraining: { request: { jobId: string }; response: { cancelled: boolean } };
  /** Latest state of every training job this engine ran. */
  listTrainingJobs: { request: Record<string, never>; response: TrainJobState[] };
  /** Epoch records and batch losses of one training job, for the charts. */
  getTrainingHistory: { request: { jobId: string }; response: TrainHistory };
  /** The workspace's training runs (as `ich runs --json`). */
  listRuns: { request: Record<string, never>; response: RunSummary[] };
  /** Model versions, newest first (as `ich models list --json`). */
  listVersions: { request: Record<string, never>; response: VersionSummary[] };
  /** Makes a version active (promote a candidate, or roll back to an archived one); emits a versions event. */
  promoteVersion: { request: { version: string }; response: PromoteResult };
  /**
   * Predicts studies with the active version in the background (a 'predict' job); without studyUids,
   * every indexed CT slice still without a prediction.
   */
  predictStudies: { request: PredictStudiesRequest; response: { jobId: string } };
  /**
   * A saliency map of one slice for one label from the active version's base CNNs (Grad-CAM or SmoothGrad),
   * computed on demand and cached per version, slice and label.
   */
  getSaliency: { request: SaliencyRequest; response: SaliencyMap };
  /** The files the scans could not index and why (as `ich scan` reports them), by path. */
  listProblems: { request: Record<string, never>; response: ScanProblemRecord[] };
}

export type EngineMethod = keyof EngineMethods;
export type EngineRequests = { [M in keyof EngineMethods]: EngineMethods[M]['request'] };
export type EngineResponses = { [M in keyof EngineMethods]: EngineMethods[M]['response'] };

/**
 * How an EngineClient method's arguments make its request body: `none` takes no argument (body {}), `body`
 * and `optional-body` take the body itself (absent: {}), `{ field }` takes the value of the body's one field.
 */
export type ArgStyle = 'none' | 'body' | 'optional-body' | { readonly field: string };

export interface MethodSpec<M extends EngineMethod> {
  readonly args: 'none' | 'body' | 'optional-body' | { readonly field: keyof EngineRequests[M] & string };
  /** Checks a body a transport received (a JSON object); throws EngineError('invalid') with one line. */
  readonly validate: BodyValidator<EngineRequests[M]>;
}

const field = <F extends string>(name: F) => ({ field: name }) as const;

/** The methods, in the order of EngineMethods. */
export const ENGINE_METHOD_TABLE = {
  info: { args: 'none', validate: noFields },
  listStudies: { args: 'optional-body', validate: validateStudyQuery },
  getSeriesList: { args: field('studyUid'), validate: idField('studyUid') },
  getSeries: { args: field('seriesUid'), validate: idField('seriesUid') },
  getPredictions: { args: field('seriesUid'), validate: idField('seriesUid') },
  getSliceDetail: { args: field('imageId'), validate: idField('imageId') },
  addFolder: { args: field('path'), validate: pathField('path') },
  listJobs: { args: 'none', validate: noFields },
  startTraining: { args: 'body', validate: validateStartTraining },
  cancelTraining: { args: field('jobId'), validate: idField('jobId') },
  listTrainingJobs: { args: 'none', validate: noFields },
  getTrainingHistory: { args: field('jobId'), validate: idField('jobId') },
  listRuns: { args: 'none', validate: noFields },
  listVersions: { args: 'none', validate: noFields },
  promoteVersion: { args: field('version'), validate: validateVersion },
  predictStudies: { args: 'body', validate: validatePredictStudies },
  getSaliency: { args: 'body', validate: validateSaliencyRequest },
  listProblems: { args: 'none', validate: noFields },
} as const satisfies { readonly [M in EngineMethod]: MethodSpec<M> };

type Table = typeof ENGINE_METHOD_TABLE;

/** The EngineClient arguments of method M, from its ArgStyle. */
export type EngineArgs<M extends EngineMethod> = Table[M]['args'] extends 'none' ? []
  : Table[M]['args'] extends 'body' ? [request: EngineRequests[M]]
    : Table[M]['args'] extends 'optional-body' ? [request?: EngineRequests[M]]
      : Table[M]['args'] extends { readonly field: infer F extends keyof EngineRequests[M] } ? [value: EngineRequests[M][F]]
        : never;

/** The request methods of an EngineClient, one per row of the table. */
export type EngineRequestMethods = { [M in keyof EngineMethods]: (...args: EngineArgs<M>) => Promise<EngineResponses[M]> };

/** The interface every transport's client and the engine service implement: the table's methods plus events. */
export interface EngineClient extends EngineRequestMethods {
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (e: EngineEvent) => void): () => void;
}

export const ENGINE_METHODS = Object.keys(ENGINE_METHOD_TABLE) as EngineMethod[];

export function isEngineMethod(name: string): name is EngineMethod {
  return Object.hasOwn(ENGINE_METHOD_TABLE, name);
}

/** Checks one request body (undefined = {}); throws EngineError('invalid') with one line. */
export function validateRequest<M extends EngineMethod>(method: M, body: unknown): EngineRequests[M] {
  const b = body === undefined || body === null ? {} : body;
  if (!isObject(b)) return invalid(`${method}: the request body must be a JSON object`);
  return (ENGINE_METHOD_TABLE[method].validate as BodyValidator<EngineRequests[M]>)(b, method);
}

const argStyle = (method: EngineMethod): ArgStyle => ENGINE_METHOD_TABLE[method].args;

/** The request body of one EngineClient call from its arguments (what a sending transport carries). */
export function requestBody(method: EngineMethod, args: readonly unknown[]): Record<string, unknown> {
  const style = argStyle(method);
  if (style === 'none') return {};
  if (style === 'body' || style === 'optional-body') return { ...((args[0] ?? {}) as object) };
  return { [style.field]: args[0] };
}

/** The EngineClient call's arguments from a request body: requestBody's inverse. */
export function clientArgs(method: EngineMethod, body: Record<string, unknown>): unknown[] {
  const style = argStyle(method);
  if (style === 'none') return [];
  if (style === 'body' || style === 'optional-body') return [body];
  return [body[style.field]];
}

/** Validates and runs one request on `client`; throws EngineError('not_found') for an unknown method, ('invalid') for bad params. */
export async function callEngine(client: EngineRequestMethods, method: string, body: unknown): Promise<unknown> {
  if (!isEngineMethod(method)) throw new EngineError('not_found', `unknown method "${method.slice(0, 64)}"`);
  const params = validateRequest(method, body) as Record<string, unknown>;
  return (client[method] as (...a: unknown[]) => Promise<unknown>).call(client, ...clientArgs(method, params));
}

/** Sends one request body over a transport and resolves with the response. */
export type EngineSend = (method: EngineMethod, body: Record<string, unknown>) => Promise<unknown>;

/** The request methods of an EngineClient over a transport: each sends its method name and request body. */
export function engineProxy(send: EngineSend): EngineRequestMethods {
  const out: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of ENGINE_METHODS) out[method] = (...args) => send(method, requestBody(method, args));
  return out as unknown as EngineRequestMethods;
}

/** The base class of a transport's client: the table's request methods (engineProxy) on every instance; the subclass adds onEvent. */
export const EngineProxy = class {
  constructor(send: EngineSend) {
    Object.assign(this, engineProxy(send));
  }
} as new (send: EngineSend) => EngineRequestMethods;
