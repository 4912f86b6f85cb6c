// Many graphql-ws clients in one process, each on its own connection with its own subscription.
//   node --experimental-websocket graphql-ws-many.mjs <ws-url> <request-json | @file> [timeout-ms]
// request-json: {"query": "...", "variables": {...}, "count": <results per client>, "clients": [{"connectionParams": {...}}, ...]}
// Prints {"event":"connected","clients":N} once every client is acknowledged, then {"index":i,"at":<epoch ms>,"data":<result>} per
// result, then {"event":"done"} once every client has <count> results, or {"event":"timeout"} / {"index":i,"error":...}.
import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import { exit, print } from './lines.mjs';

const [url, requestJson, timeoutText] = process.argv.slice(2);
const request = JSON.parse(requestJson.startsWith('@') ? readFileSync(requestJson.slice(1), 'utf8') : requestJson);
const count = request.count ?? 1;
const expected = request.clients.filter((c) => c.expectsEvents !== false).length;

let connected = 0;
let finished = 0;
const clients = request.clients.map((options, index) => {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: options.connectionParams,
    on: {
      connected: () => {
        if (++connected === request.clients.length) {
          print({ event: 'connected', clients: connected });
        }
      },
    },
  });
  let received = 0;
  client.subscribe(
    { query: request.query, variables: request.variables },
    {
      next: (data) => {
        print({ index, at: Date.now(), data });
        if (++received === count && options.expectsEvents !== false && ++finished === expected) {
          print({ event: 'done' });
          Promise.allSettled(clients.map((c) => c.dispose())).finally(() => exit(0));
        }
      },
      error: (error) => print({ index, error: error?.message ?? error?.reason ?? JSON.stringify(error) }),
      complete: () => {},
    },
  );
  return client;
});

setTimeout(() => {
  print({ event: 'timeout' });
  exit(2);
}, Number(timeoutText ?? '60000'));
