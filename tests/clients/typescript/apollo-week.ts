// The week view loaded through Apollo Client 4 with the typed document codegen wrote, and a booking whose typed
// errors are read through the Error interface. possibleTypes comes from codegen's fragment-matcher output.
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { BookSlotMutationDocument, WeekViewQueryDocument } from './gql/graphql';
import type { BookAppointmentInput, SchedulingErrorCode } from './gql/graphql';
import possibleTypes from './possible-types';
import { weekView } from './week-view';
import type { WeekView } from './week-view';

export const createClient = (uri: string, token: string): ApolloClient =>
  new ApolloClient({
    link: new HttpLink({ uri, headers: { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes }),
  });

export async function loadWeek(client: ApolloClient, scheduleId: string, from: string, to: string): Promise<WeekView | null> {
  const result = await client.query({ query: WeekViewQueryDocument, variables: { scheduleId, from, to } });
  return result.data === undefined ? null : weekView(result.data);
}

export type BookingOutcome =
  | { booked: true; appointmentId: string }
  | { booked: false; code: SchedulingErrorCode; message: string; retry: boolean };

export async function book(client: ApolloClient, input: BookAppointmentInput): Promise<BookingOutcome> {
  const result = await client.mutate({ mutation: BookSlotMutationDocument, variables: { input } });
  const payload = result.data?.bookAppointment;
  if (payload === undefined) {
    throw new Error(result.error?.message ?? 'no answer');
  }

  const appointment = payload.appointment;
  if (appointment) {
    return { booked: true, appointmentId: appointment.id };
  }

  const [error] = payload.errors;
  if (error === undefined) {
    throw new Error('neither an appointment nor an error');
  }

  return {
    booked: false,
    code: error.code,
    message: error.message,
    retry: error.__typename === 'ServiceUnavailableError' || error.code === 'CONFLICT',
  };
}
