// tls: a TLS channel to an in-process grpc-js server with a throwaway self-signed certificate (openssl).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Server, ServerCredentials, status } from "@grpc/grpc-js";
import {
  Assessment,
  createClient,
  FineTuningAdvisorServiceService,
  UnavailableError,
  Verdict,
  type FineTuningAdvisorServiceServer,
} from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "ftgate-tls-"));
const made = spawnSync(
  "openssl",
  ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
  { encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" },
);
const skip = made.status === 0 ? false : `openssl could not make a certificate: ${made.error ?? made.stderr}`;

describe("TLS", { skip }, () => {
  const server = new Server();
  let port = 0;
  let auth: string[] = [];
  before(async () => {
    const impl: FineTuningAdvisorServiceServer = {
      evaluate(call, cb) {
        auth = call.metadata.get("authorization").map(String);
        cb(null, { assessment: Assessment.fromPartial({ verdict: Verdict.VERDICT_DO_NOT_FINE_TUNE }) });
      },
      evaluateBatch: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      checkRegression: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      listRules: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      getDecision: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      listDecisions: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      recordOutcome: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      grantWaiver: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      listWaivers: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      revokeWaiver: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
    };
    server.addService(FineTuningAdvisorServiceService, impl);
    const creds = ServerCredentials.createSsl(null, [
      { private_key: readFileSync(join(dir, "key.pem")), cert_chain: readFileSync(join(dir, "cert.pem")) },
    ]);
    port = await new Promise<number>((res, rej) =>
      server.bindAsync("127.0.0.1:0", creds, (e, p) => (e ? rej(e) : res(p))),
    );
  });
  after(() => {
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  test("tls with the server's CA connects and sends the token", async () => {
    const c = createClient(`localhost:${port}`, {
      tls: { rootCerts: readFileSync(join(dir, "cert.pem")) },
      token: "t0ken",
    });
    try {
      const a = await c.evaluate({});
      assert.equal(a.verdict, Verdict.VERDICT_DO_NOT_FINE_TUNE);
      assert.deepEqual(auth, ["Bearer t0ken"]);
    } finally {
      c.close();
    }
  });

  test("a plaintext client cannot talk to the TLS server", async () => {
    const c = createClient(`localhost:${port}`, { timeoutMs: 3000, retry: false });
    try {
      await assert.rejects(c.evaluate({}), UnavailableError);
    } finally {
      c.close();
    }
  });
});
