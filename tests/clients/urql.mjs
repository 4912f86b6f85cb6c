// urql with graphcache (normalized caching) against the running gateway, configured as the README says: the schema's
// introspection for fragment matching, and keys from the schema (entities are the Node types, keyed by their global
// id; every other object type is embedded in its parent). Every shared query and both mutations run without a
// graphcache warning; a booking updates the cached slot in the watched week view without a refetch.
//   node urql.mjs '{"url":"...","token":"...","scheduleId":"...","slotId":"...","patientId":"...","from":"...","to":"...","practitionerId":"..."}'
import { Client, fetchExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { args, bookingInput, operationSets, operations, run, servedSchema } from './lib/gateway.mjs';

const warnings = [];
for (const level of ['warn', 'error']) {
  console[level] = (...parts) => warnings.push(`${level}: ${parts.map(String).join(' ')}`);
}

/** graphcache's keys from the schema: Node types by id (graphcache's default), other object types embedded. */
export function graphcacheKeys(introspection) {
  const roots = new Set(['Query', 'Mutation', 'Subscription']);
  return Object.fromEntries(introspection.__schema.types
    .filter((type) => type.kind === 'OBJECT' && !type.name.startsWith('__') && !roots.has(type.name))
    .filter((type) => !type.interfaces.some((i) => i.name === 'Node'))
    .map((type) => [type.name, () => null]));
}

await run(async () => {
  const { url, token, scheduleId, slotId, patientId, from, to, practitionerId } = args();
  const input = bookingInput(slotId, patientId);
  const { introspection } = await servedSchema(url, token);
  const keys = graphcacheKeys(introspection);
  const objectTypes = introspection.__schema.types.filter((t) => t.kind === 'OBJECT' && !t.name.startsWith('__'));
  const withIdButNoNode = objectTypes
    .filter((t) => t.fields.some((f) => f.name === 'id') && !t.interfaces.some((i) => i.name === 'Node'))
    .map((t) => t.name);

  let requests = 0;
  const client = new Client({
    url,
    exchanges: [cacheExchange({ schema: introspection, keys }), fetchExchange],
    fetchOptions: { headers: token ? { authorization: `Bearer ${token}` } : {} },
    fetch: (...request) => {
      requests += 1;
      return fetch(...request);
    },
  });
  const documents = Object.fromEntries(operations(operationSets()).map((o) => [o.name, o.document]));
  const variables = { scheduleId, from, to };
  const slotIn = (data) => data?.schedule?.slots.edges.map((edge) => edge.node).find((slot) => slot.id === slotId) ?? null;

  const seen = [];
  const watched = client.query(documents.WeekView, variables).subscribe((result) =>
    seen.push(result.error ? `error: ${result.error.message}` : slotIn(result.data)?.status ?? null));
  await until(() => seen.includes('FREE'), () => `the week view never showed the slot FREE (seen: ${seen.join(', ')})`);
  const requestsBeforeBooking = requests;
  const booking = await client.mutation(documents.BookSlot, { input }).toPromise();
  if (booking.error) throw booking.error;
  await until(() => seen.at(-1) === 'BUSY', () => `the week view never showed the slot BUSY (seen: ${seen.join(', ')}; booking: ${JSON.stringify(booking.data)})`);
  const requestsForTheBooking = requests - requestsBeforeBooking;
  watched.unsubscribe();
  const appointmentId = booking.data.bookAppointment.appointment?.id ?? null;

  // The other shared operations, so that every entity and value type they reach passes through the cache.
  const others = {
    details: await client.query(documents.AppointmentDetails, { id: appointmentId }).toPromise(),
    practitioners: await client.query(documents.PractitionerSearch, { first: 5 }).toPromise(),
    availability: await client.query(documents.Availability, { practitionerIds: [practitionerId], start: from, end: to, first: 5 }).toPromise(),
    refused: await client.mutation(documents.BookSlot, { input }).toPromise(),
    cancel: await client.mutation(documents.CancelAppointment, { input: { appointmentId, reason: 'Changed plans' } }).toPromise(),
  };
  const week = await client.query(documents.WeekView, variables, { requestPolicy: 'cache-only' }).toPromise();

  const [refusal] = others.refused.data?.bookAppointment.errors ?? [];
  return {
    keyedById: objectTypes.filter((t) => !(t.name in keys)).map((t) => t.name).filter((n) => !['Query', 'Mutation', 'Subscription'].includes(n)),
    embedded: Object.keys(keys).length,
    withIdButNoNode,
    watchedSlotStatuses: seen,
    requestsBeforeBooking,
    requestsForTheBooking,
    operationErrors: Object.fromEntries(Object.entries(others).filter(([, r]) => r.error).map(([name, r]) => [name, r.error.message])),
    detailsTypename: others.details.data?.node?.__typename ?? null,
    refusedError: refusal ? { typename: refusal.__typename, code: refusal.code ?? null, message: refusal.message ?? null } : null,
    cancelledStatus: others.cancel.data?.cancelAppointment.appointment?.status ?? null,
    slotAfterCancelFromCache: slotIn(week.data)?.status ?? null,
    warnings,
  };
});

async function until(condition, message) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!condition()) throw new Error(message());
}
