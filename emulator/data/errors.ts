/** The data service's own errors: each message names the call and the namespace. */
import { describeValue } from "./wire";

/** An error this module raised on purpose: its message already names the call, so it is never re-wrapped. */
export class DataServiceError extends Error {}

export function serviceError(method: string, namespace: string, problem: string): DataServiceError {
  return new DataServiceError(`${method} on ${namespace}: ${problem}`);
}


export function duplicateKeyError(namespace: string, id: unknown): DataServiceError {
  // Same wording as the server, so code that matches on "E11000" behaves as in production.
  return new DataServiceError(
    `E11000 duplicate key error collection: ${namespace} index: _id_ dup key: { _id: ${describeValue(id)} }`,
  );
}
