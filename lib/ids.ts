/** App Services user ids (and pending-registration ids) are ObjectIds written as 24 hex characters. */
export function isObjectIdHex(value: unknown): value is string {
  return typeof value === "string" && /^[0-9a-f]{24}$/i.test(value);
}
