// A webhook receiver (receiver.mjs) run as its own process for a suite: `url` is its base,
// `received(name)` what /hook/<name> got, `plan(name, statuses, answer)` what it answers next.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export async function startReceiver() {
  const child = spawn(process.execPath, [new URL('./receiver.mjs', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout, 'data');
  const url = `http://127.0.0.1:${JSON.parse(line.toString()).port}`;
  return {
    url,
    received: async (name) => (await fetch(`${url}/_received/${name}`)).json(),
    plan: (name, statuses, answer = {}) => fetch(`${url}/_plan/${name}`, { method: 'POST', body: JSON.stringify({ statuses, ...answer }) }),
    stop: () => child.kill('SIGTERM'),
  };
}
