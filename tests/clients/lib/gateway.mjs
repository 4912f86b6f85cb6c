// What every client script shares: the JSON-lines protocol the .NET tests read, the served schema as graphql-js 16
// sees it (introspection with every option graphql 16 has), the operations, and a scratch directory per tool.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildClientSchema, getIntrospectionQuery, parse, printSchema } from 'graphql';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));

export const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');

/** Runs a tool's body, printing {"event":"started"} first and then its result or the error that stopped it. */
export async function run(body) {
  print({ event: 'started' });
  try {
    print({ event: 'result', ...(await body()) });
  } catch (error) {
    print({ event: 'error', message: String(error?.stack ?? error) });
    process.exitCode = 1;
  }
}

/** The arguments the test passes as one JSON object (argv[2]). */
export const args = () => JSON.parse(process.argv[2] ?? '{}');

/** graphql-js 16's introspection query with every option it has switched on. */
export const introspectionOptions = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};

export async function post(url, query, variables, token) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.errors) {
    throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

/** The served schema: its introspection result, graphql-js's client schema built from it, and its SDL. */
export async function servedSchema(url, token) {
  const introspection = await post(url, getIntrospectionQuery(introspectionOptions), undefined, token);
  const schema = buildClientSchema(introspection);
  return { introspection, schema, sdl: printSchema(schema) };
}

/** A fresh scratch directory for one tool under tests/clients/.out (inside the package, so imports resolve). */
export function scratch(tool) {
  const directory = join(root, '.out', tool);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  return directory;
}

export function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/**
 * The operations a client team writes, one module per file (Relay's naming: file WeekView.graphql holds
 * WeekViewQuery and the WeekView_* fragments). `sets` picks folders under operations/: "shared" for every tool,
 * "relay" for Relay's own directives, and the availability shape the schema has now.
 */
export function operations(sets) {
  return sets.flatMap((set) =>
    readdirSync(join(root, 'operations', set))
      .filter((name) => name.endsWith('.graphql'))
      .sort()
      .map((name) => {
        const path = join(root, 'operations', set, name);
        const text = readFileSync(path, 'utf8');
        return { set, name: name.replace(/\.graphql$/, ''), path, text, document: parse(text) };
      }));
}

/** The operation sets every tool compiles: the shared ones and availability as a connection. */
export const operationSets = () => ['shared', 'availability-connection'];

/** bookAppointment's input for one slot, through `time` (@oneOf). */
export const bookingInput = (slotId, patientId) => ({ time: { slotIds: [slotId] }, patientId });
