// Apollo Client 4 with InMemoryCache against the running gateway, configured as the README says: possibleTypes from
// GraphQL Code Generator's fragment-matcher. A booking updates the cached slot's status in the watched week view
// without a refetch; a refused booking's typed error is read through `... on Error { code message }`. The same
// refused booking through a cache without possibleTypes is reported beside it, for the README's warning.
//   node apollo.mjs '{"url":"...","token":"...","scheduleId":"...","slotId":"...","patientId":"...","from":"...","to":"..."}'
import { join } from 'node:path';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { generate } from '@graphql-codegen/cli';
import { args, bookingInput, operations, run, scratch, servedSchema, write } from './lib/gateway.mjs';

const warnings = [];
for (const level of ['warn', 'error']) {
  console[level] = (...parts) => warnings.push(`${level}: ${parts.map(String).join(' ')}`);
}

await run(async () => {
  const { url, token, scheduleId, slotId, patientId, from, to } = args();
  const input = bookingInput(slotId, patientId);
  const out = scratch('apollo');
  const schema = write(join(out, 'schema.graphql'), (await servedSchema(url, token)).sdl);
  const [matcher] = await generate({
    schema,
    silent: true,
    generates: { [join(out, 'possible-types.json')]: { plugins: ['fragment-matcher'], config: { apolloClientVersion: 3 } } },
  }, false);
  const { possibleTypes } = JSON.parse(matcher.content);

  const documents = Object.fromEntries(operations(['shared']).map((o) => [o.name, o.document]));
  let requests = 0;
  const client = (cache) => new ApolloClient({
    link: new HttpLink({
      uri: url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      fetch: (...request) => {
        requests += 1;
        return fetch(...request);
      },
    }),
    cache,
  });

  const apollo = client(new InMemoryCache({ possibleTypes }));
  const variables = { scheduleId, from, to };
  const slotIn = (data) => data?.schedule?.slots.edges.map((edge) => edge.node).find((slot) => slot.id === slotId) ?? null;

  // The week view, watched as a component would: every cache change that touches it is emitted.
  const seen = [];
  const watched = apollo.watchQuery({ query: documents.WeekView, variables });
  const subscription = watched.subscribe({
    next: (result) => seen.push(result.error ? `error: ${result.error.message}` : slotIn(result.data)?.status ?? null),
  });
  await until(() => seen.includes('FREE'), `the week view never showed the slot FREE (seen: ${seen.join(', ')})`);
  const requestsBeforeBooking = requests;

  const booking = await apollo.mutate({ mutation: documents.BookSlot, variables: { input } });
  const booked = booking.data.bookAppointment;
  await until(() => seen.at(-1) === 'BUSY', `the week view never showed the slot BUSY (seen: ${seen.join(', ')})`);
  const requestsAfterBooking = requests;
  const cached = slotIn(apollo.readQuery({ query: documents.WeekView, variables }));
  subscription.unsubscribe();

  // The same slot again: refused, the error typed.
  const refused = (await apollo.mutate({ mutation: documents.BookSlot, variables: { input } })).data.bookAppointment;
  const errorOf = (payload) => {
    const [error] = payload.errors;
    return error ? { typename: error.__typename, code: error.code ?? null, message: error.message ?? null, slotIds: error.slotIds ?? null } : null;
  };

  const warningsBefore = warnings.length;
  const bare = client(new InMemoryCache());
  const refusedWithoutPossibleTypes = (await bare.mutate({ mutation: documents.BookSlot, variables: { input } })).data.bookAppointment;

  return {
    possibleTypesOfError: possibleTypes.Error ?? [],
    possibleTypesOfNode: possibleTypes.Node ?? [],
    booked: { status: booked.appointment?.status ?? null, errors: booked.errors.length, slotStatus: booked.appointment?.slots[0]?.status ?? null },
    watchedSlotStatuses: seen,
    cachedSlotStatus: cached?.status ?? null,
    requestsBeforeBooking,
    requestsForTheBooking: requestsAfterBooking - requestsBeforeBooking,
    refusedError: errorOf(refused),
    refusedErrorWithoutPossibleTypes: errorOf(refusedWithoutPossibleTypes),
    warnings: warnings.slice(0, warningsBefore),
    warningsWithoutPossibleTypes: warnings.slice(warningsBefore),
  };
});

async function until(condition, message) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!condition()) throw new Error(message);
}
