// Several operations, one after another, over ONE graphql-transport-ws connection with the graphql-ws client.
//   node --experimental-websocket graphql-ws-operations.mjs <ws-url> <request-json | @file> [timeout-ms]
// request-json: {"connectionParams": {...}, "operations": [{"query": "...", "variables": {...}}, ...]}
// Prints {"event":"connected"} first, then per operation {"index":i,"result":{"data":...}} or
// {"index":i,"result":{"errors":[...]}} (an error message), then {"event":"done"} (or {"event":"closed","code":...}).
import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import { exit, print } from './lines.mjs';

const [url, requestJson, timeoutText] = process.argv.slice(2);
// @path: the request is in that file (a large document does not fit on a command line).
const request = JSON.parse(requestJson.startsWith('@') ? readFileSync(requestJson.slice(1), 'utf8') : requestJson);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: request.connectionParams,
  on: {
    connected: () => print({ event: 'connected' }),
    closed: (event) => {
      if (!finished) {
        print({ event: 'closed', code: event?.code, reason: event?.reason });
        exit(1);
      }
    },
  },
});

let finished = false;
const run = (operation) => new Promise((resolve) => {
  let result = null;
  client.subscribe(
    { query: operation.query ?? '', variables: operation.variables },
    {
      next: (value) => { result = value; },
      error: (error) => resolve(Array.isArray(error) ? { errors: error } : { closed: error?.code ?? String(error) }),
      complete: () => resolve(result ?? {}),
    },
  );
});

setTimeout(() => {
  print({ event: 'timeout' });
  exit(2);
}, Number(timeoutText ?? '60000'));

for (const [index, operation] of request.operations.entries()) {
  print({ index, result: await run(operation) });
}
finished = true;
print({ event: 'done' });
await client.dispose();
exit(0);
