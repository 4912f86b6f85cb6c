// A small typed week view over GraphQL Code Generator's output, as a front-end team writes it: no non-null
// assertions, no casts. It compiles under --strict because the schema says what FHIR guarantees (a slot's start,
// end, status and schedule are non-null; connections on an entity are non-null).
import type { SlotStatus, WeekViewQueryQuery as WeekViewQuery } from './gql/graphql';

type Schedule = NonNullable<WeekViewQuery['schedule']>;
type Actor = Schedule['actors'][number];
type SlotNode = Schedule['slots']['edges'][number]['node'];

export interface WeekSlot {
  id: string;
  start: string;
  end: string;
  status: SlotStatus;
  /** Who holds the slot, for a booked or held slot: every patient of the appointments holding it (a group class has several). */
  patients: string[];
}

export interface WeekDay {
  /** YYYY-MM-DD as the slot's start has it (the schedule's own offset). */
  date: string;
  slots: WeekSlot[];
  free: number;
}

export interface WeekView {
  scheduleId: string;
  title: string;
  days: WeekDay[];
  /** The week has more slots than one page: fetch again with pageInfo.endCursor. */
  more: boolean;
}

export function weekView(data: WeekViewQuery): WeekView | null {
  const schedule = data.schedule;
  if (schedule === null) {
    return null;
  }

  const days = new Map<string, WeekSlot[]>();
  for (const { node } of schedule.slots.edges) {
    const date = node.start.slice(0, 10);
    const day = days.get(date) ?? [];
    day.push(weekSlot(node));
    days.set(date, day);
  }

  return {
    scheduleId: schedule.id,
    title: schedule.actors.map(actorName).join(' · ') || (schedule.comment ?? 'Schedule'),
    days: [...days.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([date, slots]) => ({ date, slots, free: slots.filter((slot) => slot.status === 'FREE').length })),
    more: schedule.slots.pageInfo.hasNextPage,
  };
}

function weekSlot(slot: SlotNode): WeekSlot {
  const holding = slot.appointments.nodes.filter((appointment) => appointment.status !== 'CANCELLED');
  return {
    id: slot.id,
    start: slot.start,
    end: slot.end,
    status: slot.status,
    patients: holding.flatMap((appointment) => appointment.patients.map((patient) => patient.displayName ?? patient.id)),
  };
}

function actorName(actor: Actor): string {
  switch (actor.__typename) {
    case 'Practitioner':
    case 'Patient':
      return actor.displayName ?? actor.id;
    case 'Location':
    case 'HealthcareService':
      return actor.name ?? actor.id;
    case 'OtherActor':
      return actor.display ?? actor.reference ?? 'Someone';
    default:
      return unreachable(actor);
  }
}

function unreachable(value: never): never {
  throw new Error(`Unexpected actor ${JSON.stringify(value)}`);
}
