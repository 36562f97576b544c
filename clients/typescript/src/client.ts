// The hand-written layer of @ftgate/client: createClient(address, options) over the generated grpc-js stubs.
import {
  credentials as grpcCredentials,
  Metadata,
  type CallOptions as GrpcCallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type ServiceError,
  status as Status,
} from "@grpc/grpc-js";
import {
  Assessment,
  CheckRegressionRequest,
  CheckRegressionResponse,
  DecisionRecord,
  EvaluateBatchRequest,
  type EvaluateBatchResponse,
  EvaluateRequest,
  type EvaluateResponse,
  FineTuningAdvisorServiceClient,
  type GetDecisionResponse,
  ListDecisionsRequest,
  type ListDecisionsResponse,
  ListRulesResponse,
  ProjectOutcome,
  ProjectProfile,
  type RecordOutcomeResponse,
  Waiver,
  type ListWaiversRequest,
  TaskScore,
  type DeepPartial,
} from "./gen/ftgate/v1/advisor.js";
import {
  HealthCheckRequest,
  HealthClient,
  type HealthCheckResponse,
  healthCheckResponse_ServingStatusToJSON,
} from "./gen/grpc/health/v1/health.js";
import { CancelledError, toFtgateError } from "./errors.js";

/** The name of the advised service, as the health service and the retry config know it. */
export const SERVICE_NAME = "ftgate.v1.FineTuningAdvisorService";
/** The metadata key that carries a waiver token (the server's --waiver-tokens). */
export const WAIVER_TOKEN = "ftgate-waiver-token";

/** A project profile: a ProjectProfile or any part of one (absent fields mean "unknown"). */
export type ProjectInput = DeepPartial<ProjectProfile>;

/** What became of a project: a ProjectOutcome or any part of one (absent figures: not measured). */
export type OutcomeInput = DeepPartial<ProjectOutcome>;

/** A waiver to grant: a Waiver or any part of one (the server sets id and createdAt). */
export type WaiverInput = DeepPartial<Waiver>;

/** Task scores as a list of {task, score} (order kept) or as an object {task: score}. */
export type TaskScoresInput = ReadonlyArray<DeepPartial<TaskScore>> | Readonly<Record<string, number>>;

/** The serving status answered by grpc.health.v1. */
export type HealthStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN" | "UNRECOGNIZED";

export interface RetryOptions {
  /** Attempts in all, first one included (2..5; gRPC caps it at 5). Default 4. */
  maxAttempts?: number;
  /** Default 100 ms. */
  initialBackoffMs?: number;
  /** Default 2000 ms. */
  maxBackoffMs?: number;
  /** Default 2. */
  backoffMultiplier?: number;
}

export interface TlsOptions {
  /** PEM root certificates; the system roots when absent. */
  rootCerts?: Buffer | string;
  /** PEM client key and certificate chain, for mutual TLS. */
  privateKey?: Buffer | string;
  certChain?: Buffer | string;
}

export interface ClientOptions {
  /** Deadline of each call, in milliseconds (also accepted as `deadlineMs`). Default 10,000. */
  timeoutMs?: number;
  deadlineMs?: number;
  /** true or TLS settings for a TLS channel; plaintext when absent or false. */
  tls?: boolean | TlsOptions;
  /** Channel credentials of your own; they override `tls`. */
  credentials?: ChannelCredentials;
  /** Sent as `authorization: Bearer <token>` metadata on every call. */
  token?: string;
  /** Retries on UNAVAILABLE only, through gRPC's retry service config. false turns them off. Default on. */
  retry?: boolean | RetryOptions;
  /** Extra metadata sent on every call. */
  metadata?: Record<string, string>;
  /** Extra grpc-js channel options. */
  channelOptions?: ChannelOptions;
}

export interface CallOptions {
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
  /** Extra metadata for this call. */
  metadata?: Record<string, string>;
  /** Cancels the call (it then rejects with CancelledError). */
  signal?: AbortSignal;
}

/** The languages of the answers' texts. */
export type Language = "en" | "fr";

export interface EvaluateOptions extends CallOptions {
  /**
   * Also ask for the counterfactuals (what would make the verdict FINE_TUNE) and, for
   * NEEDS_INFORMATION, what each missing field's values lead to (`Assessment.counterfactuals`,
   * `fineTuneUnreachable`, `missingFieldOutcomes`). They cost several evaluations: off by default.
   */
  explain?: boolean;
  /** Language of the texts, sent as `accept-language` metadata (default: the server's, "en"). */
  lang?: Language;
}

export interface FtgateClient {
  /** Evaluates one project profile. */
  evaluate(project: ProjectInput, options?: EvaluateOptions): Promise<Assessment>;
  /** Evaluates several profiles in one call; one assessment per profile, in order. */
  evaluateBatch(projects: ReadonlyArray<ProjectInput>, options?: EvaluateOptions): Promise<Assessment[]>;
  /** Compares a candidate with its baseline, task by task (tolerance in (0, 1], server default 0.9). */
  checkRegression(
    baseline: TaskScoresInput,
    candidate: TaskScoresInput,
    tolerance?: number,
    options?: CallOptions,
  ): Promise<CheckRegressionResponse>;
  /** The rules, thresholds and ruleset version loaded in the server. */
  listRules(options?: CallOptions): Promise<ListRulesResponse>;
  /**
   * One decision from the server's audit log, by Assessment.decisionId. NotFoundError when unknown,
   * InvalidProfileError when not a decision id, FailedPreconditionError when the server keeps no audit log.
   */
  getDecision(decisionId: string, options?: CallOptions): Promise<DecisionRecord>;
  /** One page of the audit log, newest first, filtered by time range (Dates) and verdict. */
  listDecisions(filter?: DeepPartial<ListDecisionsRequest>, options?: CallOptions): Promise<ListDecisionsResponse>;
  /** Every decision matching the filter, newest first, following the page tokens. */
  allDecisions(filter?: DeepPartial<ListDecisionsRequest>, options?: CallOptions): AsyncGenerator<DecisionRecord>;
  /**
   * Records what became of the project of a decision (a later outcome replaces it in reports).
   * NotFoundError for an unknown decision, InvalidArgumentError naming a bad figure
   * (`outcome.measured_score`), FailedPreconditionError when the server keeps no audit log.
   */
  recordOutcome(decisionId: string, outcome: OutcomeInput, options?: CallOptions): Promise<RecordOutcomeResponse>;
  /**
   * Grants a waiver: the BLOCKER rules it names stop blocking its project until it expires.
   * Needs a token of the server's --waiver-tokens (AuthError otherwise); InvalidArgumentError
   * naming a bad field (`waiver.rule_ids[0]`, `waiver.expires_at`...).
   */
  grantWaiver(waiver: WaiverInput, waiverToken: string, options?: CallOptions): Promise<Waiver>;
  /** Waivers, newest first, of one project and in one state (both optional). */
  listWaivers(filter?: DeepPartial<ListWaiversRequest>, options?: CallOptions): Promise<Waiver[]>;
  /** Revokes a waiver now (NotFoundError for an unknown id); the waiver as stored. */
  revokeWaiver(waiverId: string, waiverToken: string, options?: CallOptions): Promise<Waiver>;
  /** grpc.health.v1 Check of `service` ("" = the whole server). */
  health(service?: string, options?: CallOptions): Promise<HealthStatus>;
  /** Closes the channel; calls still running are cancelled. */
  close(): void;
  /** The address the client was created for. */
  readonly address: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The gRPC service config: retry on UNAVAILABLE only, for the advisor and the health service. */
export function serviceConfig(retry: boolean | RetryOptions | undefined): string {
  if (retry === false) return JSON.stringify({ loadBalancingConfig: [{ pick_first: {} }] });
  const r: RetryOptions = typeof retry === "object" ? retry : {};
  const seconds = (ms: number) => `${(ms / 1000).toFixed(3)}s`;
  return JSON.stringify({
    methodConfig: [
      {
        name: [{ service: SERVICE_NAME }, { service: "grpc.health.v1.Health" }],
        retryPolicy: {
          maxAttempts: Math.min(5, Math.max(2, Math.trunc(r.maxAttempts ?? 4))),
          initialBackoff: seconds(r.initialBackoffMs ?? 100),
          maxBackoff: seconds(r.maxBackoffMs ?? 2000),
          backoffMultiplier: r.backoffMultiplier ?? 2,
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
    ],
  });
}

function channelCredentials(options: ClientOptions): ChannelCredentials {
  if (options.credentials) return options.credentials;
  if (!options.tls) return grpcCredentials.createInsecure();
  const t: TlsOptions = options.tls === true ? {} : options.tls;
  const buf = (v: Buffer | string | undefined) => (v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));
  return grpcCredentials.createSsl(buf(t.rootCerts), buf(t.privateKey), buf(t.certChain));
}

/** True when a profile is in the proto3 JSON shape: a snake_case key, or a string where the typed form has none. */
function isJsonShaped(value: unknown, top = true): boolean {
  if (typeof value === "string") return true;
  if (Array.isArray(value)) return value.some((v) => isJsonShaped(v, false));
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(
    ([k, v]) => k.includes("_") || (top && k === "name" ? false : isJsonShaped(v, false)),
  );
}

/**
 * A ProjectProfile from a typed partial profile, or from the proto3 JSON shape (enum names, snake_case or
 * lowerCamelCase keys, int64 as strings, "NaN"/"Infinity"), as read from a JSON or YAML file.
 */
export function toProjectProfile(input: ProjectInput | Readonly<Record<string, unknown>>): ProjectProfile {
  if (isJsonShaped(input)) return ProjectProfile.fromJSON(input);
  return ProjectProfile.fromPartial(input as ProjectProfile);
}

function toTaskScores(input: TaskScoresInput): TaskScore[] {
  if (Array.isArray(input)) return (input as ReadonlyArray<DeepPartial<TaskScore>>).map((s) => TaskScore.fromPartial(s));
  return Object.entries(input as Record<string, number>).map(([task, score]) => ({ task, score }));
}

type Callback<Res> = (err: ServiceError | null, res?: Res) => void;

/**
 * Creates a client of ftgate.v1 for `address` ("host:port", or any grpc-js target such as "dns:///host:443").
 * Every method returns a Promise of the typed result, and rejects with an FtgateError subclass.
 */
export function createClient(address: string, options: ClientOptions = {}): FtgateClient {
  const timeoutMs = options.timeoutMs ?? options.deadlineMs ?? DEFAULT_TIMEOUT_MS;
  const channelOptions: ChannelOptions = {
    "grpc.service_config": serviceConfig(options.retry),
    "grpc.enable_retries": options.retry === false ? 0 : 1,
    "grpc.primary_user_agent": "ftgate-client-ts/1.0.0",
    ...options.channelOptions,
  };
  const advisor = new FineTuningAdvisorServiceClient(address, channelCredentials(options), channelOptions);
  // The health stub shares the advisor's channel: one connection, one close().
  const healthStub = new HealthClient(address, grpcCredentials.createInsecure(), {
    ...channelOptions,
    channelOverride: advisor.getChannel(),
  });

  let closed = false;

  function metadataFor(call?: CallOptions): Metadata {
    const md = new Metadata();
    for (const [k, v] of Object.entries(options.metadata ?? {})) md.set(k, v);
    for (const [k, v] of Object.entries(call?.metadata ?? {})) md.set(k, v);
    const lang = (call as EvaluateOptions | undefined)?.lang;
    if (lang !== undefined) md.set("accept-language", lang);
    if (options.token) md.set("authorization", `Bearer ${options.token}`);
    return md;
  }

  function unary<Res>(
    invoke: (md: Metadata, opts: GrpcCallOptions, cb: Callback<Res>) => { cancel(): void },
    call?: CallOptions,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      if (closed) {
        reject(new CancelledError(Status.CANCELLED, "the client is closed"));
        return;
      }
      const deadline = new Date(Date.now() + (call?.timeoutMs ?? timeoutMs));
      const signal = call?.signal;
      let onAbort: (() => void) | undefined;
      let handle: { cancel(): void };
      try {
        handle = invoke(metadataFor(call), { deadline }, (err, res) => {
          if (signal && onAbort) signal.removeEventListener("abort", onAbort);
          if (err) reject(toFtgateError(err));
          else resolve(res as Res);
        });
      } catch (e) {
        // grpc-js throws at once on a channel shut down under the call, or on bad metadata.
        reject(toFtgateError(e));
        return;
      }
      if (signal) {
        onAbort = () => handle.cancel();
        if (signal.aborted) handle.cancel();
        else signal.addEventListener("abort", onAbort, { once: true });
      }
    });
  }

  const client: FtgateClient = {
    address,
    async evaluate(project, call) {
      const request: EvaluateRequest = {
        project: toProjectProfile(project),
        explain: call?.explain ?? false,
      };
      const res = await unary<EvaluateResponse>(
        (md, o, cb) => advisor.evaluate(request, md, o, cb),
        call,
      );
      return res.assessment ?? Assessment.fromPartial({});
    },
    async evaluateBatch(projects, call) {
      const request: EvaluateBatchRequest = {
        projects: projects.map((p) => toProjectProfile(p)),
        explain: call?.explain ?? false,
      };
      const res = await unary<EvaluateBatchResponse>(
        (md, o, cb) => advisor.evaluateBatch(request, md, o, cb),
        call,
      );
      return res.assessments;
    },
    checkRegression(baseline, candidate, tolerance, call) {
      const request: CheckRegressionRequest = {
        baseline: toTaskScores(baseline),
        candidate: toTaskScores(candidate),
        tolerance,
      };
      return unary<CheckRegressionResponse>((md, o, cb) => advisor.checkRegression(request, md, o, cb), call);
    },
    listRules(call) {
      return unary<ListRulesResponse>((md, o, cb) => advisor.listRules({}, md, o, cb), call);
    },
    async getDecision(decisionId, call) {
      const res = await unary<GetDecisionResponse>(
        (md, o, cb) => advisor.getDecision({ decisionId }, md, o, cb),
        call,
      );
      return res.decision ?? DecisionRecord.fromPartial({});
    },
    listDecisions(filter = {}, call) {
      const request = ListDecisionsRequest.fromPartial(filter as ListDecisionsRequest);
      return unary<ListDecisionsResponse>((md, o, cb) => advisor.listDecisions(request, md, o, cb), call);
    },
    async *allDecisions(filter = {}, call) {
      let pageToken = "";
      do {
        const page = await client.listDecisions({ ...filter, pageToken }, call);
        yield* page.decisions;
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
    },
    recordOutcome(decisionId, outcome, call) {
      const request = { decisionId, outcome: ProjectOutcome.fromPartial(outcome) };
      return unary<RecordOutcomeResponse>((md, o, cb) => advisor.recordOutcome(request, md, o, cb), call);
    },
    async grantWaiver(waiver, waiverToken, call) {
      const request = { waiver: Waiver.fromPartial(waiver) };
      const withToken = { ...call, metadata: { ...call?.metadata, [WAIVER_TOKEN]: waiverToken } };
      const res = await unary<{ waiver?: Waiver }>(
        (md, o, cb) => advisor.grantWaiver(request, md, o, cb), withToken);
      return res.waiver ?? Waiver.fromPartial({});
    },
    async listWaivers(filter = {}, call) {
      const request = { projectName: filter.projectName ?? "", state: filter.state ?? 0 };
      const res = await unary<{ waivers: Waiver[] }>(
        (md, o, cb) => advisor.listWaivers(request, md, o, cb), call);
      return res.waivers;
    },
    async revokeWaiver(waiverId, waiverToken, call) {
      const withToken = { ...call, metadata: { ...call?.metadata, [WAIVER_TOKEN]: waiverToken } };
      const res = await unary<{ waiver?: Waiver }>(
        (md, o, cb) => advisor.revokeWaiver({ waiverId }, md, o, cb), withToken);
      return res.waiver ?? Waiver.fromPartial({});
    },
    async health(service = "", call) {
      const request = HealthCheckRequest.fromPartial({ service });
      const res = await unary<HealthCheckResponse>(
        (md, o, cb) => healthStub.check(request, md, o, cb),
        call,
      );
      return healthCheckResponse_ServingStatusToJSON(res.status) as HealthStatus;
    },
    close() {
      closed = true;
      healthStub.close();
      advisor.close();
    },
  };
  return client;
}
