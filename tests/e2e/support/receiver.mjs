// A webhook receiver, run as its own process on loopback: it records every request to
// /hook/<name> and answers with the statuses planned for <name> (then 200). The tests read the
// records and set plans over HTTP:
//   GET  /_received/<name>   -> [{headers, body, at}]
//   POST /_plan/<name>       {"statuses": [500, 503], "body"?: "text", "headers"?: {...}}
//                            (body and headers, when given, answer every request to <name>)
// It prints {"port": N} on its first line of output.
import { createServer } from 'node:http';

const received = new Map();
const plans = new Map();
const answers = new Map();

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

const server = createServer(async (req, res) => {
  const [, kind, name] = req.url.split('?')[0].split('/');
  const body = await readBody(req);
  const reply = (status, value) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  if (kind === '_received' && req.method === 'GET') return reply(200, received.get(name) ?? []);
  if (kind === '_plan' && req.method === 'POST') {
    const { statuses, ...answer } = JSON.parse(body);
    plans.set(name, statuses);
    answers.set(name, answer);
    return reply(204, null);
  }
  if (kind === 'hook' && req.method === 'POST') {
    if (!received.has(name)) received.set(name, []);
    received.get(name).push({ headers: req.headers, body, at: Date.now() });
    const status = plans.get(name)?.shift() ?? 200;
    const answer = answers.get(name);
    if (answer?.body !== undefined) {
      res.writeHead(status, { 'content-type': 'text/plain', ...answer.headers });
      return res.end(answer.body);
    }
    return reply(status, { ok: status < 300 });
  }
  return reply(404, { error: 'no such receiver route' });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
