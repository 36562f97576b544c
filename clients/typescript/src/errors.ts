// Typed exceptions of @ftgate/client. Every failed call rejects with an FtgateError subclass, never a raw
// grpc-js ServiceError (which stays reachable as `cause`).
import { Metadata, status as Status, type ServiceError } from "@grpc/grpc-js";
import { BadRequest, ErrorInfo } from "./gen/google/rpc/error_details.js";
import { Status as RpcStatus } from "./gen/google/rpc/status.js";

/** One bad field of a request, from the google.rpc.BadRequest detail of an INVALID_ARGUMENT error. */
export interface FieldViolation {
  /** Field path, e.g. "project.target_score" or "projects[2].economics.requests_per_day". */
  field: string;
  description: string;
}

/** Base class of every error the client raises. */
export class FtgateError extends Error {
  /** The gRPC status code (grpc.status). */
  readonly code: Status;
  /** Its name, e.g. "INVALID_ARGUMENT". */
  readonly codeName: string;
  /** The server's status message. */
  readonly details: string;
  /** Trailing metadata of the failed call, when there was a call. */
  readonly metadata: Metadata | undefined;

  constructor(code: Status, details: string, metadata?: Metadata, options?: { cause?: unknown }) {
    const codeName = Status[code] ?? `CODE_${code}`;
    super(`${codeName}: ${details}`, options);
    this.name = new.target.name;
    this.code = code;
    this.codeName = codeName;
    this.details = details;
    this.metadata = metadata;
  }
}

/**
 * INVALID_ARGUMENT: the request (a profile, a batch, a regression check) was refused. `fieldViolations`
 * names each bad field, decoded from the google.rpc.BadRequest in the `grpc-status-details-bin` trailer.
 */
export class InvalidProfileError extends FtgateError {
  readonly fieldViolations: FieldViolation[];
  constructor(code: Status, details: string, metadata?: Metadata, options?: { cause?: unknown }) {
    super(code, details, metadata, options);
    this.fieldViolations = fieldViolationsOf(metadata);
  }
  /** The field paths alone. */
  get fields(): string[] {
    return this.fieldViolations.map((v) => v.field);
  }
}
/** Same class, for requests that are not profiles (CheckRegression). */
export { InvalidProfileError as InvalidArgumentError };

/** UNAVAILABLE after the retries of the channel's service config: the server cannot be reached. */
export class UnavailableError extends FtgateError {}
/** DEADLINE_EXCEEDED: the call took longer than its timeout. */
export class DeadlineExceededError extends FtgateError {}
/** UNAUTHENTICATED or PERMISSION_DENIED. */
export class AuthError extends FtgateError {}
/** RESOURCE_EXHAUSTED: the server refused the load (message or batch too large, rate limit). */
export class ResourceExhaustedError extends FtgateError {}
/** UNIMPLEMENTED: the server does not offer this method. */
export class UnimplementedError extends FtgateError {}
/** CANCELLED: the call was cancelled (for example by close()). */
export class CancelledError extends FtgateError {}
/** NOT_FOUND: no such decision (GetDecision). */
export class NotFoundError extends FtgateError {}
/** FAILED_PRECONDITION: the server cannot do this in its state (GetDecision without an audit log). */
export class FailedPreconditionError extends FtgateError {}
/** INTERNAL, UNKNOWN, DATA_LOSS and anything else: a server-side failure. */
export class ServerError extends FtgateError {}

type ErrorClass = new (code: Status, details: string, metadata?: Metadata, options?: { cause?: unknown }) => FtgateError;

const CLASSES: Partial<Record<Status, ErrorClass>> = {
  [Status.INVALID_ARGUMENT]: InvalidProfileError,
  [Status.UNAVAILABLE]: UnavailableError,
  [Status.DEADLINE_EXCEEDED]: DeadlineExceededError,
  [Status.UNAUTHENTICATED]: AuthError,
  [Status.PERMISSION_DENIED]: AuthError,
  [Status.RESOURCE_EXHAUSTED]: ResourceExhaustedError,
  [Status.UNIMPLEMENTED]: UnimplementedError,
  [Status.CANCELLED]: CancelledError,
  [Status.NOT_FOUND]: NotFoundError,
  [Status.FAILED_PRECONDITION]: FailedPreconditionError,
};

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "number";
}

/** Maps any error of a grpc-js call to the typed hierarchy. */
export function toFtgateError(err: unknown): FtgateError {
  if (err instanceof FtgateError) return err;
  if (isServiceError(err)) {
    const cls = CLASSES[err.code as Status] ?? ServerError;
    return new cls(err.code as Status, err.details ?? err.message, err.metadata, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ServerError(Status.INTERNAL, message, undefined, { cause: err });
}

const BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest";
const ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";

/** The google.rpc.Status carried by the `grpc-status-details-bin` trailer, if any (undefined if absent or garbled). */
export function rpcStatusOf(metadata: Metadata | undefined): RpcStatus | undefined {
  const raw = metadata?.get("grpc-status-details-bin")[0];
  if (raw === undefined) return undefined;
  const bytes = typeof raw === "string" ? Buffer.from(raw, "base64") : raw;
  try {
    return RpcStatus.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Field violations of every google.rpc.BadRequest detail of the trailer, in order. */
export function fieldViolationsOf(metadata: Metadata | undefined): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const detail of rpcStatusOf(metadata)?.details ?? []) {
    if (detail.typeUrl !== BAD_REQUEST_TYPE) continue;
    try {
      for (const v of BadRequest.decode(detail.value).fieldViolations) {
        out.push({ field: v.field, description: v.description });
      }
    } catch {
      // A garbled detail is ignored: the error still carries its code and message.
    }
  }
  return out;
}

/** google.rpc.ErrorInfo details of the trailer, if the server sent any. */
export function errorInfosOf(metadata: Metadata | undefined): ErrorInfo[] {
  const out: ErrorInfo[] = [];
  for (const detail of rpcStatusOf(metadata)?.details ?? []) {
    if (detail.typeUrl !== ERROR_INFO_TYPE) continue;
    try {
      out.push(ErrorInfo.decode(detail.value));
    } catch {
      // ignored, as above
    }
  }
  return out;
}
