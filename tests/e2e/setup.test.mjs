// The set-up script says how far it is, and a failure names the missing piece and its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const setup = (env) => spawnSync('/bin/sh', ['scripts/setup.sh'], { cwd: root, encoding: 'utf8', env });

test('on a ready machine every piece reports present, numbered', () => {
  const run = setup(process.env);
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  const total = Number(lines[0].match(/^\[1\/(\d+)\]/)?.[1]);
  assert.ok(total > 5, run.stdout);
  for (let k = 1; k <= total; k += 1) {
    assert.ok(lines.some((l) => l.startsWith(`[${k}/${total}] `) && l.endsWith(': present')), `piece ${k}:\n${run.stdout}`);
  }
});

test('without Rust it stops at the first piece, naming it and the fix', () => {
  // A PATH with nothing on it but what the script's first lines use, and a HOME with no ~/.cargo.
  const home = mkdtempSync(join(tmpdir(), 'hookmap-nohome-'));
  mkdirSync(join(home, 'bin'));
  symlinkSync('/usr/bin/dirname', join(home, 'bin', 'dirname'));
  const run = setup({ HOME: home, PATH: join(home, 'bin') });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /setup failed at \[1\/\d+\] the toolchains .*: cargo or rustup is missing/);
  assert.match(run.stderr, /fix: install Rust with rustup/);
});

test('env.sh finds the repository root however it is run, never a folder outside it', () => {
  const rootOf = (cwd, script) => spawnSync('/bin/sh', ['-c', `. ${script} && printf %s "$root"`], { cwd, encoding: 'utf8' });
  const bare = root.replace(/\/$/, '');
  // Sourced as the Makefile does ($0 is the shell), from the root and from a folder inside it.
  assert.equal(rootOf(root, 'scripts/env.sh').stdout, bare);
  assert.equal(rootOf(join(root, 'crates'), '../scripts/env.sh').stdout, bare);
  // Sourced by a script of scripts/ ($0 is that script), from elsewhere.
  const run = spawnSync('/bin/sh', [join(root, 'scripts', 'build-worker.sh')], {
    cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, HOOKMAP_PREBUILT: '1' },
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(spawnSync('/bin/sh', ['-c', `cd /tmp && . ${join(root, 'scripts', 'env.sh')} && printf %s "$WRANGLER_LOG_PATH"`], { encoding: 'utf8' }).stdout.startsWith('/tmp'), false);
});
