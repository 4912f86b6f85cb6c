// Runs graphql-http's GraphQL-over-HTTP server audit suite against a live endpoint and prints one JSON line:
//   {"results":[{"id":"22EB","name":"SHOULD ...","status":"ok"|"warn"|"error","reason":"..."}]}
//   node graphql-http-audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: graphql-http-audit.mjs <url>');
  process.exit(2);
}

const results = await auditServer({ url });
const out = [];
for (const result of results) {
  let reason;
  if (result.status !== 'ok') {
    reason = result.reason;
    try {
      reason += ' ' + (await result.response.text()).slice(0, 300);
    } catch {
      // the body may already be consumed
    }
  }
  out.push({ id: result.id, name: result.name, status: result.status, reason });
}
process.stdout.write(JSON.stringify({ results: out }) + '\n');
