// What the live server cannot show on demand: retries, deadlines, the token, cancellation and the
// decoding of google.rpc.BadRequest, against an in-process grpc-js server with the generated service.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Metadata, Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import {
  Assessment,
  CancelledError,
  createClient,
  DeadlineExceededError,
  FineTuningAdvisorServiceService,
  InvalidProfileError,
  ServerError,
  UnavailableError,
  Verdict,
  DecisionRecord,
  NotFoundError,
  type ListDecisionsRequest,
  type EvaluateRequest,
  type EvaluateResponse,
  type FineTuningAdvisorServiceServer,
} from "../src/index.js";
import { BadRequest } from "../src/gen/google/rpc/error_details.js";
import { Status as RpcStatus } from "../src/gen/google/rpc/status.js";

type Behaviour = (call: ServerUnaryCall<EvaluateRequest, EvaluateResponse>, cb: sendUnaryData<EvaluateResponse>) => void;

let behaviour: Behaviour = (_call, cb) => cb(null, { assessment: Assessment.fromPartial({ verdict: Verdict.VERDICT_FINE_TUNE }) });
let attempts = 0;
let lastMetadata: Metadata | undefined;

function ok(cb: sendUnaryData<EvaluateResponse>): void {
  cb(null, { assessment: Assessment.fromPartial({ verdict: Verdict.VERDICT_FINE_TUNE, decisionId: "d-1" }) });
}

const impl: FineTuningAdvisorServiceServer = {
  evaluate(call, cb) {
    attempts += 1;
    lastMetadata = call.metadata;
    behaviour(call, cb);
  },
  evaluateBatch: (_c, cb) => cb({ code: status.UNIMPLEMENTED, details: "fake" }),
  recordOutcome: (_c, cb) => cb({ code: status.UNIMPLEMENTED, details: "fake" }),
  grantWaiver: (_c, cb) => cb({ code: status.UNIMPLEMENTED, details: "fake" }),
  listWaivers: (_c, cb) => cb({ code: status.UNIMPLEMENTED, details: "fake" }),
  revokeWaiver: (_c, cb) => cb({ code: status.UNIMPLEMENTED, details: "fake" }),
  checkRegression: (_c, cb) => cb({ code: status.UNIMPLEMENTED, details: "fake" }),
  listRules: (_c, cb) => cb({ code: status.INTERNAL, details: "boom" }),
  getDecision(call, cb) {
    if (call.request.decisionId === "missing") return cb({ code: status.NOT_FOUND, details: "no such decision" });
    cb(null, {
      decision: DecisionRecord.fromPartial({
        decisionId: call.request.decisionId,
        decidedAt: new Date("2026-01-02T03:04:05.678Z"),
        assessment: { verdict: Verdict.VERDICT_FINE_TUNE },
      }),
    });
  },
  listDecisions(call, cb) {
    listRequests.push(call.request);
    const page = call.request.pageToken === "" ? 0 : Number(call.request.pageToken);
    cb(null, {
      decisions: [DecisionRecord.fromPartial({ decisionId: `d-${page}` })],
      nextPageToken: page < 2 ? String(page + 1) : "",
    });
  },
};
const listRequests: ListDecisionsRequest[] = [];

describe("createClient against an in-process fake server", () => {
  const server = new Server();
  let address = "";
  before(async () => {
    server.addService(FineTuningAdvisorServiceService, impl);
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    address = `127.0.0.1:${port}`;
  });
  after(() => {
    server.forceShutdown();
  });

  test("the token is sent as authorization: Bearer metadata, with extra metadata", async () => {
    behaviour = (_c, cb) => ok(cb);
    const c = createClient(address, { token: "s3cret", metadata: { "x-team": "search" } });
    try {
      const a = await c.evaluate({ name: "p" }, { metadata: { "x-request-id": "r-1" } });
      assert.equal(a.decisionId, "d-1");
      assert.deepEqual(lastMetadata?.get("authorization"), ["Bearer s3cret"]);
      assert.deepEqual(lastMetadata?.get("x-team"), ["search"]);
      assert.deepEqual(lastMetadata?.get("x-request-id"), ["r-1"]);
    } finally {
      c.close();
    }
  });

  test("UNAVAILABLE is retried through the service config, then succeeds", async () => {
    attempts = 0;
    behaviour = (_c, cb) => (attempts < 3 ? cb({ code: status.UNAVAILABLE, details: "warming up" }) : ok(cb));
    const c = createClient(address, { retry: { maxAttempts: 4, initialBackoffMs: 10, maxBackoffMs: 50 } });
    try {
      const a = await c.evaluate({});
      assert.equal(a.verdict, Verdict.VERDICT_FINE_TUNE);
      assert.equal(attempts, 3);
    } finally {
      c.close();
    }
  });

  test("retries give up after maxAttempts with UnavailableError; retry: false does not retry", async () => {
    behaviour = (_c, cb) => cb({ code: status.UNAVAILABLE, details: "down" });
    attempts = 0;
    const c = createClient(address, { retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20 } });
    const d = createClient(address, { retry: false });
    try {
      await assert.rejects(c.evaluate({}), UnavailableError);
      assert.equal(attempts, 3);
      attempts = 0;
      await assert.rejects(d.evaluate({}), UnavailableError);
      assert.equal(attempts, 1);
    } finally {
      c.close();
      d.close();
    }
  });

  test("INVALID_ARGUMENT is not retried and its BadRequest becomes fieldViolations", async () => {
    const detail = BadRequest.encode({
      fieldViolations: [
        { field: "project.target_score", description: "must be in [0, 1]", reason: "", localizedMessage: undefined },
        { field: "project.economics.requests_per_day", description: "must be >= 0", reason: "", localizedMessage: undefined },
      ],
    }).finish();
    const rpcStatus = RpcStatus.encode({
      code: status.INVALID_ARGUMENT,
      message: "bad profile",
      details: [{ typeUrl: "type.googleapis.com/google.rpc.BadRequest", value: Buffer.from(detail) }],
    }).finish();
    behaviour = (_c, cb) => {
      const md = new Metadata();
      md.set("grpc-status-details-bin", Buffer.from(rpcStatus));
      cb({ code: status.INVALID_ARGUMENT, details: "bad profile", metadata: md });
    };
    attempts = 0;
    const c = createClient(address);
    try {
      const err = await c.evaluate({}).then(() => assert.fail("expected an error"), (e: unknown) => e);
      assert.ok(err instanceof InvalidProfileError);
      assert.equal(attempts, 1);
      assert.equal(err.details, "bad profile");
      assert.deepEqual(err.fieldViolations, [
        { field: "project.target_score", description: "must be in [0, 1]" },
        { field: "project.economics.requests_per_day", description: "must be >= 0" },
      ]);
    } finally {
      c.close();
    }
  });

  test("INVALID_ARGUMENT without details or with a garbled trailer has no field violations", async () => {
    behaviour = (_c, cb) => {
      const md = new Metadata();
      md.set("grpc-status-details-bin", Buffer.from([0xff, 0xff, 0xff]));
      cb({ code: status.INVALID_ARGUMENT, details: "garbled", metadata: md });
    };
    const c = createClient(address);
    try {
      const err = await c.evaluate({}).then(() => assert.fail("expected an error"), (e: unknown) => e);
      assert.ok(err instanceof InvalidProfileError);
      assert.deepEqual(err.fieldViolations, []);
    } finally {
      c.close();
    }
  });

  // The fake answers after SLOW_MS, far beyond the deadlines and aborts below whatever the load:
  // an answer (rather than the expected error) would mean the deadline was not applied.
  const SLOW_MS = 60_000;

  test("the timeout is a deadline: a slow call rejects with DeadlineExceededError", async () => {
    behaviour = (call, cb) => {
      const t = setTimeout(() => ok(cb), SLOW_MS).unref(); // never keeps the test process alive
      call.on("cancelled", () => clearTimeout(t));
    };
    const c = createClient(address, { timeoutMs: SLOW_MS * 2 });
    try {
      const started = Date.now();
      await assert.rejects(c.evaluate({}, { timeoutMs: 150 }), DeadlineExceededError);
      assert.ok(Date.now() - started < SLOW_MS / 2, "the call's own timeout, not the client's");
    } finally {
      c.close();
    }
  });

  test("an AbortSignal cancels the call with CancelledError", async () => {
    behaviour = (call, cb) => {
      const t = setTimeout(() => ok(cb), SLOW_MS).unref(); // never keeps the test process alive
      call.on("cancelled", () => clearTimeout(t));
    };
    const c = createClient(address);
    try {
      await assert.rejects(c.evaluate({}, { signal: AbortSignal.timeout(100) }), CancelledError);
    } finally {
      c.close();
    }
  });

  test("getDecision() returns the record with Dates, and NotFoundError for an unknown id", async () => {
    const c = createClient(address);
    try {
      const d = await c.getDecision("4b0c6f7e-0000-4000-8000-000000000001");
      assert.equal(d.decisionId, "4b0c6f7e-0000-4000-8000-000000000001");
      assert.ok(d.decidedAt instanceof Date);
      assert.equal(d.decidedAt?.toISOString(), "2026-01-02T03:04:05.678Z");
      assert.equal(d.assessment?.verdict, Verdict.VERDICT_FINE_TUNE);
      await assert.rejects(c.getDecision("missing"), NotFoundError);
    } finally {
      c.close();
    }
  });

  test("listDecisions() sends the filter; allDecisions() follows the page tokens", async () => {
    const c = createClient(address);
    try {
      listRequests.length = 0;
      const since = new Date("2026-01-01T00:00:00Z");
      const ids: string[] = [];
      for await (const d of c.allDecisions({ since, verdict: Verdict.VERDICT_DO_NOT_FINE_TUNE, pageSize: 1 })) {
        ids.push(d.decisionId);
      }
      assert.deepEqual(ids, ["d-0", "d-1", "d-2"]);
      assert.deepEqual(listRequests.map((r) => r.pageToken), ["", "1", "2"]);
      assert.equal(listRequests[0]?.since?.toISOString(), since.toISOString());
      assert.equal(listRequests[0]?.until, undefined);
      assert.equal(listRequests[0]?.verdict, Verdict.VERDICT_DO_NOT_FINE_TUNE);
      assert.equal(listRequests[0]?.pageSize, 1);
    } finally {
      c.close();
    }
  });

  test("other server errors are ServerError", async () => {
    const c = createClient(address);
    try {
      await assert.rejects(c.listRules(), (e: unknown) => e instanceof ServerError && e.codeName === "INTERNAL");
    } finally {
      c.close();
    }
  });
});
