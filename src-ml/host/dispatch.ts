// Turns one transport request (method name + JSON body) into the EngineClient call, through the contract's
// method table (src-shared/engine-methods.ts): validated there, then called with the arguments the table
// says. Shared by the web host and the Electron engine host, so both accept exactly the same requests.
import { callEngine, type EngineClient } from '../../src-shared/engine-methods.ts';

/** Validates and runs one request; throws EngineError('not_found') for an unknown method, ('invalid') for bad params. */
export function dispatch(client: EngineClient, method: string, body: unknown): Promise<unknown> {
  return callEngine(client, method, body);
}
