// Turns one validated transport request (method name + JSON body) into the EngineClient call. Shared by the
// web host and, later, the Electron engine host, so both accept exactly the same requests.
import { EngineError, isEngineMethod, validateRequest, type EngineClient, type EngineMethod, type EngineRequests, type EngineResponses } from '../api/engine.ts';

type Handlers = { [M in EngineMethod]: (c: EngineClient, p: EngineRequests[M]) => Promise<EngineResponses[M]> };

const HANDLERS: Handlers = {
  info: (c) => c.info(),
  listStudies: (c, p) => c.listStudies(p),
  getSeriesList: (c, p) => c.getSeriesList(p.studyUid),
  getSeries: (c, p) => c.getSeries(p.seriesUid),
  getPredictions: (c, p) => c.getPredictions(p.seriesUid),
  getSliceDetail: (c, p) => c.getSliceDetail(p.imageId),
  addFolder: (c, p) => c.addFolder(p.path),
  listJobs: (c) => c.listJobs(),
  startTraining: (c, p) => c.startTraining(p),
  cancelTraining: (c, p) => c.cancelTraining(p.jobId),
  listTrainingJobs: (c) => c.listTrainingJobs(),
  getTrainingHistory: (c, p) => c.getTrainingHistory(p.jobId),
  listRuns: (c) => c.listRuns(),
  listVersions: (c) => c.listVersions(),
  promoteVersion: (c, p) => c.promoteVersion(p.version),
  predictStudies: (c, p) => c.predictStudies(p),
};

/** Validates and runs one request; throws EngineError('not_found') for an unknown method, ('invalid') for bad params. */
export async function dispatch(client: EngineClient, method: string, body: unknown): Promise<unknown> {
  if (!isEngineMethod(method)) throw new EngineError('not_found', `unknown method "${method.slice(0, 64)}"`);
  return run(client, method, validateRequest(method, body));
}

function run<M extends EngineMethod>(client: EngineClient, method: M, params: EngineRequests[M]): Promise<EngineResponses[M]> {
  return (HANDLERS[method] as (c: EngineClient, p: EngineRequests[M]) => Promise<EngineResponses[M]>)(client, params);
}
