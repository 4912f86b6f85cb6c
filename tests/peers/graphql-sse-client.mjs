// The reference GraphQL over SSE client (graphql-sse, distinct connections mode) against the gateway, driven by the .NET tests.
//   node graphql-sse-client.mjs <url> <request-json | @file> [timeout-ms]
// request-json: {"headers": {"Authorization": "Bearer …"}, "operations": [{"query": "...", "variables": {...}}, ...]}
// The operations run one after another, each on its own event stream. Prints JSON lines: {"event":"started"} first,
// then per operation {"index":i,"event":"next","data":<execution result>} per result, and {"index":i,"event":"complete"}
// or {"index":i,"event":"error","error":"…","status":<HTTP status, when the server refused the stream>};
// then {"event":"done"} (or {"event":"timeout"}).
import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-sse';
import { exit, print } from './lines.mjs';

const [url, requestJson, timeoutText] = process.argv.slice(2);
// @path: the request is in that file (a large document does not fit on a command line).
const request = JSON.parse(requestJson.startsWith('@') ? readFileSync(requestJson.slice(1), 'utf8') : requestJson);

const client = createClient({ url, headers: request.headers ?? {}, retryAttempts: 0 });

const run = (operation, index) => new Promise((resolve) => {
  client.subscribe(
    { query: operation.query, variables: operation.variables },
    {
      next: (data) => print({ index, event: 'next', data }),
      error: (error) => {
        print({ index, event: 'error', error: error?.message ?? String(error), status: error?.response?.status });
        resolve();
      },
      complete: () => {
        print({ index, event: 'complete' });
        resolve();
      },
    },
  );
});

setTimeout(() => {
  print({ event: 'timeout' });
  exit(2);
}, Number(timeoutText ?? '60000'));

print({ event: 'started' });
for (const [index, operation] of request.operations.entries()) {
  await run(operation, index);
}
print({ event: 'done' });
client.dispose();
exit(0);
