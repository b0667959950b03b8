/** 24 hex digits in lower case: how this bundle writes every user id (and how the owner stream lists owners). */
export const HEX_ID_PATTERN = "^[0-9a-f]{24}$";

/** The smallest id: a scan "after" it starts from the beginning. */
export const ZERO_ID = "000000000000000000000000";

const HEX_ID_ANY_CASE = new RegExp(HEX_ID_PATTERN, "i");

/** App Services user ids (and pending-registration ids) are ObjectIds written as 24 hex characters. */
export function isObjectIdHex(value: unknown): value is string {
  return typeof value === "string" && HEX_ID_ANY_CASE.test(value);
}
