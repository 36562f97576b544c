// @ftgate/client: the TypeScript client of the ftgate.v1 fine-tuning policy service.
export {
  createClient,
  serviceConfig,
  toProjectProfile,
  SERVICE_NAME,
  type CallOptions,
  type ClientOptions,
  type EvaluateOptions,
  type FtgateClient,
  type HealthStatus,
  type Language,
  type OutcomeInput,
  type ProjectInput,
  type RetryOptions,
  type TaskScoresInput,
  type TlsOptions,
} from "./client.js";
export {
  AuthError,
  CancelledError,
  DeadlineExceededError,
  errorInfosOf,
  FailedPreconditionError,
  fieldViolationsOf,
  FtgateError,
  InvalidArgumentError,
  InvalidProfileError,
  NotFoundError,
  ResourceExhaustedError,
  rpcStatusOf,
  ServerError,
  toFtgateError,
  UnavailableError,
  UnimplementedError,
  type FieldViolation,
} from "./errors.js";
// The generated ftgate.v1 types and enums (with fromJSON/toJSON for the proto3 JSON shape).
export * from "./gen/ftgate/v1/advisor.js";
