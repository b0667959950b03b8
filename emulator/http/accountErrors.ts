/** The account state's errors as both APIs answer them. */
import { AccountError, type AccountErrorReason } from "../accounts/errors";
import { HttpError } from "./reply";

const ANSWERS: Record<AccountErrorReason, { status: number; errorCode: string }> = {
  invalidRegistration: { status: 400, errorCode: "BadRequest" },
  emailInUse: { status: 409, errorCode: "AccountNameInUse" },
  invalidCredentials: { status: 401, errorCode: "InvalidPassword" },
  userDisabled: { status: 401, errorCode: "UserDisabled" },
  confirmationRequired: { status: 401, errorCode: "AuthError" },
};

/** An AccountError as its HTTP answer; anything else unchanged (an internal error). */
export function accountHttpError(error: unknown): unknown {
  if (!(error instanceof AccountError)) return error;
  const answer = ANSWERS[error.reason];
  return new HttpError(answer.status, error.message, answer.errorCode);
}
