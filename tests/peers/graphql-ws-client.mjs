// The reference graphql-transport-ws client (graphql-ws) against the gateway, driven by the .NET tests.
//   node --experimental-websocket graphql-ws-client.mjs <ws-url> <request-json> <count> [timeout-ms]
// Prints JSON lines: {"event":"connected"} first, then {"event":"next","data":<execution result>} per result,
// then {"event":"done"} after <count> results, {"event":"complete"}, {"event":"error",...} or {"event":"timeout"}.
import { createClient } from 'graphql-ws';
import { exit, print } from './lines.mjs';

const [url, requestJson, countText, timeoutText] = process.argv.slice(2);
const request = JSON.parse(requestJson);
const count = Number(countText ?? '1');

// The socket the client opened, for sending what the client's API has no call for: a ping whose payload renews
// the connection's token ({"Authorization": "Bearer …"}), at request.renewals[i].afterMs after the ack.
let socket;
class TrackedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    socket = this;
  }
}

const client = createClient({
  url,
  webSocketImpl: TrackedWebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: request.connectionParams,
  on: {
    connected: () => {
      print({ event: 'connected' });
      for (const renewal of request.renewals ?? []) {
        setTimeout(() => socket.send(JSON.stringify({ type: 'ping', payload: { Authorization: 'Bearer ' + renewal.token } })), renewal.afterMs);
      }
    },
  },
});

let received = 0;
client.subscribe(
  // A persisted document is sent by id (documentId) with an empty query: the protocol requires 'query' to be a string.
  // extensions: e.g. {"lastEventId": "…"} to resume a subscription after the last event received.
  { query: request.query ?? '', documentId: request.documentId ?? undefined, variables: request.variables, extensions: request.extensions ?? undefined },
  {
    next: (data) => {
      print({ event: 'next', data });
      if (++received >= count) {
        print({ event: 'done' });
        client.dispose().finally(() => exit(0));
      }
    },
    error: (error) => {
      print({ event: 'error', error: error?.message ?? error?.reason ?? JSON.stringify(error), code: error?.code });
      exit(1);
    },
    complete: () => {
      print({ event: 'complete' });
      exit(0);
    },
  },
);

setTimeout(() => {
  print({ event: 'timeout' });
  exit(2);
}, Number(timeoutText ?? '20000'));
