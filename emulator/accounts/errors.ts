/**
 * The one error class of the account domain. Each reason is one answer the APIs give
 * (emulator/http/accountErrors.ts maps them); messages never hold a password, key, token or email.
 */
export type AccountErrorReason = "invalidRegistration" | "emailInUse" | "invalidCredentials" | "userDisabled" | "confirmationRequired";

export class AccountError extends Error {
  override name = "AccountError";
  constructor(
    readonly reason: AccountErrorReason,
    message: string,
  ) {
    super(message);
  }
}
