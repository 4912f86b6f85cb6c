// Relay 21 as a client team uses it: relay-compiler compiles the operations against the schema fetched from the
// running gateway (a @refetchable fragment on Appointment, pagination on Schedule.slots, and availability's
// @connection once it is a connection), then relay-runtime runs the compiled refetch and pagination queries against
// the gateway and reads the records back from its normalized store.
//   node relay.mjs '{"url":"...","token":"...","appointmentId":"...","scheduleId":"...","practitionerId":"...","from":"...","to":"..."}'
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { print as printDocument } from 'graphql';
import { Environment, Network, RecordSource, Store, fetchQuery, getSelector } from 'relay-runtime';
import { args, operationSets, operations, root, run, scratch, servedSchema, write } from './lib/gateway.mjs';

await run(async () => {
  const { url, token, appointmentId, scheduleId, practitionerId, from, to } = args();
  const out = scratch('relay');
  write(join(out, 'schema.graphql'), (await servedSchema(url, token)).sdl);

  // One JavaScript module per operation file, one graphql`` tag per definition, as Relay wants them.
  const sets = [...operationSets(), 'relay', 'relay-availability-connection'];
  const modules = operations(sets);
  for (const module of modules) {
    const tags = module.document.definitions.map((definition) => `export const ${definition.name.value} = graphql\`\n${printDocument(definition)}\n\`;\n`);
    write(join(out, 'src', `${module.name}.js`), `const graphql = String.raw;\n${tags.join('\n')}`);
  }
  write(join(out, 'relay.config.json'), JSON.stringify({
    src: './src',
    schema: './schema.graphql',
    language: 'javascript',
    customScalarTypes: { DateTime: 'string' },
    eagerEsModules: false,
  }, null, 2));

  const compiler = spawnSync(join(root, 'node_modules', '.bin', 'relay-compiler'), ['--output', 'quiet-with-errors'], { cwd: out, encoding: 'utf8' });
  const artifactsDirectory = join(out, 'src', '__generated__');
  const artifacts = compiler.status === 0 ? readdirSync(artifactsDirectory).filter((name) => name.endsWith('.graphql.js')).sort() : [];
  const result = {
    operationFiles: modules.map((module) => `${module.set}/${module.name}.graphql`),
    compilerExitCode: compiler.status,
    compilerOutput: `${compiler.stdout}${compiler.stderr}`.trim(),
    artifacts,
  };
  if (compiler.status !== 0) return result;

  // relay-runtime over HTTP, with the artifacts the compiler wrote.
  // The artifacts are CommonJS (they require each other without extensions), as bundlers load them.
  write(join(out, 'package.json'), JSON.stringify({ type: 'commonjs' }));
  const require = createRequire(join(artifactsDirectory, 'index.js'));
  const artifact = async (name) => require(`./${name}.graphql.js`);
  const environment = new Environment({
    network: Network.create(async (request, variables) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query: request.text, variables }),
      });
      return response.json();
    }),
    store: new Store(new RecordSource()),
  });
  // What useFragment reads: the fragment's data from the store, through the reference the query returned.
  const readFragment = async (name, reference) => environment.lookup(getSelector(await artifact(name), reference)).data;

  const refetch = await artifact('AppointmentCardRefetchQuery');
  const refetched = await fetchQuery(environment, refetch, { id: appointmentId }).toPromise();
  const card = await readFragment('AppointmentCard_appointment', refetched.node);
  const stored = environment.getStore().getSource().get(appointmentId);

  // What usePaginationFragment does: the first page, then loadNext through the compiled pagination query; the
  // connection handler merges the pages under the @connection key.
  const pagination = await artifact('ScheduleSlotsPaginationQuery');
  const firstPage = await fetchQuery(environment, pagination, { id: scheduleId, first: 2 }).toPromise();
  const beforeLoadNext = await readFragment('ScheduleSlots_schedule', firstPage.node);
  const cursor = beforeLoadNext.slots.pageInfo?.endCursor ?? null;
  await fetchQuery(environment, pagination, { id: scheduleId, first: 2, after: cursor }).toPromise();
  const afterLoadNext = await readFragment('ScheduleSlots_schedule', firstPage.node);
  const slotIds = (fragment) => fragment.slots.edges.map((edge) => edge.node.id);

  // The same over Query.availability: two pages of a practitioner's bookable times.
  const optionsQuery = await artifact('AvailabilityListPaginationQuery');
  const optionsInput = { practitionerIds: [practitionerId], start: from, end: to };
  const optionsRoot = await fetchQuery(environment, optionsQuery, { input: optionsInput, first: 2 }).toPromise();
  const optionsBefore = await readFragment('AvailabilityList_query', optionsRoot);
  await fetchQuery(environment, optionsQuery, { input: optionsInput, first: 2, after: optionsBefore.availability.pageInfo?.endCursor ?? null }).toPromise();
  const optionsAfter = await readFragment('AvailabilityList_query', optionsRoot);
  const starts = (fragment) => fragment.availability.edges.map((edge) => edge.node.start);

  return {
    ...result,
    refetchQueryText: refetch.params.text,
    card: card ? { id: card.id, status: card.status, slots: card.slots.length } : null,
    storedTypename: stored?.__typename ?? null,
    slotsBeforeLoadNext: slotIds(beforeLoadNext),
    slotsAfterLoadNext: slotIds(afterLoadNext),
    optionsBeforeLoadNext: starts(optionsBefore),
    optionsAfterLoadNext: starts(optionsAfter),
  };
});
