// The generated code in src/gen must match proto/: regenerate into a temp dir and compare.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { PACKAGE_ROOT } from "./support.js";

test("src/gen is up to date with proto/ (scripts/generate.sh --check)", () => {
  const r = spawnSync("bash", ["scripts/generate.sh", "--check"], {
    cwd: PACKAGE_ROOT,
    encoding: "utf8",
    timeout: 60_000,
    killSignal: "SIGKILL",
  });
  assert.equal(r.status, 0, `generated code is stale or generation failed:\n${r.stdout}\n${r.stderr}`);
});
