// The README's production commands are ones the pinned wrangler really has: each `npx wrangler`
// line of "Deploy with wrangler" is checked against `wrangler <command> --help` (the command path,
// the number of positional arguments, every flag, and a flag's value where it has choices).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const wrangler = `${root}node_modules/wrangler/bin/wrangler.js`;
const readme = readFileSync(`${root}README.md`, 'utf8');
const section = readme.slice(readme.indexOf('## Deploy with wrangler'), readme.indexOf('## How it works'));
const commands = section.split('\n')
  .filter((l) => l.startsWith('npx wrangler '))
  .map((l) => l.replace(/#.*/, '').trim().split(/\s+/).slice(2));

function help(words) {
  const run = spawnSync(process.execPath, [wrangler, ...words, '--help'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  return { status: run.status, text: run.stdout + run.stderr };
}

test('the production section has the commands a deployment needs', () => {
  const joined = commands.map((c) => c.join(' '));
  for (const needed of ['d1 create', 'kv namespace create', 'queues create', 'secret put ADMIN_TOKEN',
    'secret put SECRETS_KEY', 'd1 migrations apply DB --remote', 'deploy', 'tail']) {
    assert.ok(joined.some((c) => c.startsWith(needed)), `missing: wrangler ${needed}`);
  }
});

for (const words of commands) {
  test(`wrangler ${words.join(' ')}`, () => {
    const positional = words.filter((w) => !w.startsWith('-'));
    const { status, text } = help(positional);
    assert.equal(status, 0, text);
    const usage = text.split('\n').find((l) => l.startsWith('wrangler')) ?? '';
    const path = usage.split(/\s+/).slice(1).filter((w) => !/^[<[]/.test(w));
    assert.deepEqual(words.slice(0, path.length), path, `no such command; wrangler says: ${usage}`);
    const required = (usage.match(/<[^>]+>/g) ?? []).length;
    const optional = (usage.match(/\[[^\]]+\]/g) ?? []).length;
    const flagLine = (flag) => text.split('\n').find((l) => new RegExp(`^\\s+(-\\w, )?${flag}\\b`).test(l));
    let args = 0;
    for (let i = path.length; i < words.length; i += 1) {
      const word = words[i];
      if (!word.startsWith('--')) { args += 1; continue; }
      const flag = word.split('=')[0];
      const line = flagLine(flag);
      assert.ok(line, `wrangler ${path.join(' ')} has no ${flag}`);
      if (line.includes('[boolean]') || word.includes('=')) continue;
      const value = words[i + 1];
      i += 1;
      // Choices may be listed on the flag's line or after its multi-line description.
      const rest = text.slice(text.indexOf(line));
      const choices = rest.slice(0, rest.search(/\n\s+--|$/) + 1 || undefined).match(/\[choices: ([^\]]+)\]/);
      if (choices) assert.ok(choices[1].includes(`"${value}"`), `${flag} ${value}: not one of ${choices[1]}`);
    }
    assert.ok(args >= required && args <= required + optional,
      `${args} positional argument(s) for "${usage}"`);
  });
}
