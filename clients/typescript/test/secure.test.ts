// A live `ftgate serve` with TLS, bearer tokens and the decision audit log: the client's tls and token
// options, AuthError, and getDecision/allDecisions on recorded decisions.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AuthError,
  createClient,
  NotFoundError,
  UnavailableError,
  Verdict,
  type DecisionRecord,
  type FtgateClient,
} from "../src/index.js";
import { startServer, type LiveServer } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "ftgate-secure-"));
const made = spawnSync(
  "openssl",
  ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
  { encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" },
);
const skip = process.env.FTGATE_ADDRESS
  ? "FTGATE_ADDRESS is set: the server's flags cannot be chosen"
  : made.status === 0 ? false : `openssl could not make a certificate: ${made.error ?? made.stderr}`;
const TOKEN = "ts-sdk-test-token";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ftgate serve with TLS, tokens and the audit log", { skip }, () => {
  let server: LiveServer;
  let client: FtgateClient;
  const tls = { rootCerts: skip ? "" : readFileSync(join(dir, "cert.pem")) };
  before(async () => {
    writeFileSync(join(dir, "tokens"), `# test tokens\n${TOKEN}\n`);
    server = await startServer({
      args: [
        "--tls-cert", join(dir, "cert.pem"), "--tls-key", join(dir, "key.pem"),
        "--auth-tokens", join(dir, "tokens"), "--audit-db", join(dir, "audit.sqlite"),
      ],
      client: { tls },
    });
    client = createClient(server.address, { tls, token: TOKEN, timeoutMs: 10_000 });
  });
  after(async () => {
    client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("health answers over TLS without a token", async () => {
    const c = createClient(server.address, { tls });
    try {
      assert.equal(await c.health(), "SERVING");
    } finally {
      c.close();
    }
  });

  test("no token or a wrong token is AuthError (UNAUTHENTICATED)", async () => {
    const none = createClient(server.address, { tls });
    const wrong = createClient(server.address, { tls, token: "not-the-token" });
    try {
      await assert.rejects(none.listRules(), (e: unknown) => e instanceof AuthError && e.codeName === "UNAUTHENTICATED");
      await assert.rejects(wrong.evaluate({}), (e: unknown) => e instanceof AuthError && e.codeName === "UNAUTHENTICATED");
    } finally {
      none.close();
      wrong.close();
    }
  });

  test("a plaintext client cannot reach the TLS server", async () => {
    const c = createClient(server.address, { token: TOKEN, retry: false, timeoutMs: 3000 });
    try {
      await assert.rejects(c.listRules(), UnavailableError);
    } finally {
      c.close();
    }
  });

  test("a decision is recorded: getDecision() and allDecisions() find it", async () => {
    const a = await client.evaluate({ name: "audited", goal: 1 /* GOAL_KNOWLEDGE */ });
    let record: DecisionRecord | undefined;
    // The audit log is written in the background: poll, bounded (30 s, for a loaded machine).
    const until = Date.now() + 30_000;
    while (record === undefined && Date.now() < until) {
      record = await client.getDecision(a.decisionId).catch((e: unknown) => {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      });
      if (record === undefined) await sleep(100);
    }
    assert.ok(record, `decision ${a.decisionId} not recorded within 30 s`);
    assert.equal(record.decisionId, a.decisionId);
    assert.equal(record.project?.name, "audited");
    assert.equal(record.assessment?.verdict, a.verdict);
    assert.equal(record.rulesetVersion, a.rulesetVersion);
    assert.ok(record.decidedAt instanceof Date && Math.abs(record.decidedAt.getTime() - Date.now()) < 5 * 60_000);
    const ids: string[] = [];
    for await (const d of client.allDecisions({ verdict: a.verdict, since: new Date(Date.now() - 60 * 60_000) })) {
      ids.push(d.decisionId);
    }
    assert.ok(ids.includes(a.decisionId));
    assert.ok(a.verdict === Verdict.VERDICT_DO_NOT_FINE_TUNE || a.verdict === Verdict.VERDICT_NEEDS_INFORMATION);
  });

  test("an unknown decision id is NotFoundError", async () => {
    await assert.rejects(client.getDecision("00000000-0000-4000-8000-000000000000"), NotFoundError);
  });
});
