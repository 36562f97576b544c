// Test support: a live `ftgate serve` on free loopback ports, started and stopped by the test setup.
// FTGATE_ADDRESS=host:port uses a server that is already running instead; FTGATE_BIN overrides the binary.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { createClient, type ClientOptions } from "../src/index.js";

/** The repository root (this file runs from clients/typescript/dist/test/). */
export const REPO_ROOT = resolve(__dirname, "..", "..", "..", "..");
export const PACKAGE_ROOT = resolve(__dirname, "..", "..");

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

export interface LiveServer {
  address: string;
  /** What the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitServing(
  address: string,
  child: ChildProcess | undefined,
  out: () => string,
  clientOptions: ClientOptions = {},
): Promise<void> {
  const client = createClient(address, { ...clientOptions, timeoutMs: 1000, retry: false });
  const until = Date.now() + START_TIMEOUT_MS;
  let last = "";
  try {
    while (Date.now() < until) {
      if (child && child.exitCode !== null) {
        throw new Error(`ftgate serve exited with ${child.exitCode} before serving:\n${out()}`);
      }
      try {
        const s = await client.health();
        if (s === "SERVING") return;
        last = s;
      } catch (e) {
        last = String(e);
      }
      await sleep(200);
    }
    throw new Error(`ftgate serve at ${address} not SERVING after ${START_TIMEOUT_MS} ms (last: ${last}):\n${out()}`);
  } finally {
    client.close();
  }
}

export interface StartOptions {
  /** Extra `ftgate serve` flags (not honoured with FTGATE_ADDRESS). */
  args?: string[];
  /** Client options for the health wait (tls, ...). */
  client?: ClientOptions;
}

/** Starts `ftgate serve` on free ports and waits (bounded) for health SERVING. */
export async function startServer(start: StartOptions = {}): Promise<LiveServer> {
  const external = process.env.FTGATE_ADDRESS;
  if (external) {
    await waitServing(external, undefined, () => "");
    return { address: external, output: () => "", stop: async () => {} };
  }
  const bin = process.env.FTGATE_BIN ?? resolve(REPO_ROOT, ".venv", "bin", "ftgate");
  if (!existsSync(bin)) {
    throw new Error(`${bin} not found: run 'make venv' at the repository root (or set FTGATE_BIN / FTGATE_ADDRESS)`);
  }
  const port = await freePort();
  const metricsPort = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = ["serve", "--listen", address, "--metrics-listen", `127.0.0.1:${metricsPort}`,
    "--http-listen", "", ...(start.args ?? [])]; // no HTTP: concurrent servers would share its default port
  const child = spawn(bin, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  let log = "";
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), STOP_TIMEOUT_MS);
    });
    const how = await Promise.race([exited.then(() => "exited" as const), timedOut]);
    clearTimeout(timer);
    if (how === "timeout") {
      child.kill("SIGKILL");
      await exited;
      throw new Error(`ftgate serve did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM:\n${log}`);
    }
    if (child.exitCode !== 0) {
      throw new Error(`ftgate serve exited with ${child.exitCode ?? child.signalCode} after SIGTERM (expected 0):\n${log}`);
    }
  };
  try {
    await waitServing(address, child, () => log, start.client);
  } catch (e) {
    await stop();
    throw e;
  }
  return { address, output: () => log, stop };
}
