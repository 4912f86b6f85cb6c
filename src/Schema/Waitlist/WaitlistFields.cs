using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Booking.Waitlist;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Waitlist;

/// <summary>The waitlist's fields of Query and Mutation (README "Waitlist").</summary>
public static class WaitlistFields
{
    public static void AddQueries(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        // A list, not a Relay connection: an entry is no Node of its own (its appointment is), and a connection's
        // edges carry Nodes (graphql-eslint relay-edge-types, tests/clients).
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<WaitlistEntryType>>>>("waitlist")
            .Description("The waitlist's waiting entries, first in line first: a patient sees only their own, a practitioner those naming them, schedulers and admins the whole line.")
            .Argument<IdGraphType>("patientId", a => a.Description = "Only this patient's entries.")
            .Argument<IdGraphType>("practitionerId", a => a.Description = "Only entries naming this practitioner.")
            .Argument<StringGraphType>("serviceType", a => a.Description = "Only entries for this service type, as joined.")
            .Argument<IntGraphType>("first", a => a.Description = $"At most this many, from the front of the line (default {Paging.DefaultPageSize}, at most {Paging.MaxPageSize}).")
            .ResolveAsync(async c =>
            {
                var first = c.GetArgument<int?>("first") ?? Paging.DefaultPageSize;
                if (first is < 0 or > Paging.MaxPageSize)
                {
                    throw new UserInputError($"'first' must be between 0 and {Paging.MaxPageSize}.");
                }

                var line = await c.RequestServices!.GetRequiredService<WaitlistLine>().ReadAsync(
                    c.GetArgument<string?>("patientId"), c.GetArgument<string?>("practitionerId"), c.GetArgument<string?>("serviceType"), first, c.CancellationToken);
                return line;
            });
    }

    public static void AddMutations(ObjectGraphType mutation)
    {
        ArgumentNullException.ThrowIfNull(mutation);
        mutation.Field<NonNullGraphType<JoinWaitlistPayloadType>>("joinWaitlist")
            .Description("Puts a patient on the waitlist for practitioners and/or a service within time windows: when a matching time frees up, the first in line is offered it as a hold that expires after Waitlist:OfferMinutes.")
            .Argument<NonNullGraphType<JoinWaitlistInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<JoinWaitlistInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, async () =>
                {
                    var entry = await c.RequestServices!.GetRequiredService<JoinWaitlistHandler>().JoinAsync(input, c.CancellationToken);
                    return new WaitlistPlace(WaitlistEntry.From(entry)!, entry, null);
                });
            });

        mutation.Field<NonNullGraphType<LeaveWaitlistPayloadType>>("leaveWaitlist")
            .Description("Takes a waiting entry off the waitlist (CANCELLED); an offer already made stays the patient's hold.")
            .Argument<NonNullGraphType<LeaveWaitlistInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<Booking.AppointmentIdInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId,
                    () => c.RequestServices!.GetRequiredService<LeaveWaitlistHandler>().LeaveAsync(input.AppointmentId, c.CancellationToken));
            });
    }
}

public sealed class WaitlistEntryType : ObjectGraphType<WaitlistPlace>
{
    public WaitlistEntryType()
    {
        Name = "WaitlistEntry";
        Description = "A place on the waitlist: a WAITLIST appointment (no time of its own) and what it waits for.";
        Field<NonNullGraphType<AppointmentType>>("appointment").Description("The entry as an appointment (status WAITLIST; the patient and the acceptable practitioners as participants).").Resolve(c => c.Source.Appointment);
        Field<StringGraphType>("serviceType").Description("The service waited for, as joined; null when only practitioners were named.").Resolve(c => c.Source.Entry.ServiceType);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<PeriodType>>>>("windows").Description("The acceptable windows (Appointment.requestedPeriod).").Resolve(c => c.Source.Appointment.RequestedPeriod);
        Field<NonNullGraphType<IntGraphType>>("durationMinutes").Description("How long the appointment waited for lasts.").Resolve(c => c.Source.Entry.DurationMinutes);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("joinedAt").Description("When the patient joined (Appointment.created): the line's order.").Resolve(c => c.Source.Entry.Created);
        Field<AppointmentType>("offer").Description("The hold offered to this entry and not yet answered or expired, if any: confirm it with confirmAppointment, decline it with cancelAppointment.").Resolve(c => c.Source.Offer);
    }
}

public sealed class WaitlistWindowInputType : InputObjectGraphType<WaitlistWindow>
{
    public WaitlistWindowInputType()
    {
        Name = "WaitlistWindowInput";
        Description = "A span of time in which any start is acceptable, end exclusive.";
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("The earliest start.");
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description("The latest end.");
    }
}

public sealed class JoinWaitlistInputType : InputObjectGraphType<JoinWaitlistInput>
{
    public JoinWaitlistInputType()
    {
        Name = "JoinWaitlistInput";
        Description = "Who waits, for whom or what, when, and for how long: at least one practitioner or a service type.";
        Field<NonNullGraphType<IdGraphType>>("patientId").Description("The patient waiting; a patient joins only for themselves.");
        Field<IdGraphType>("practitionerId").Description("One practitioner who will do.");
        Field<ListGraphType<NonNullGraphType<IdGraphType>>>("practitionerIds").Description("Several practitioners, any of whom will do (a pool).");
        Field<StringGraphType>("serviceType").Description("The service waited for (a schedule's service type, as availability matches it).");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<WaitlistWindowInputType>>>>("windows").Description("When the patient could come: 1 to Waitlist:MaxWindows windows, each at most 62 days.");
        Field<NonNullGraphType<IntGraphType>>("durationMinutes").Description("How long the appointment lasts, 5 to 1440 minutes.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class LeaveWaitlistInputType : InputObjectGraphType<Booking.AppointmentIdInput>
{
    public LeaveWaitlistInputType()
    {
        Name = "LeaveWaitlistInput";
        Description = "The waitlist entry to leave.";
        Field<NonNullGraphType<IdGraphType>>("appointmentId").Description("The entry's appointment id (WaitlistEntry.appointment).");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class JoinWaitlistPayloadType() : PayloadGraphType<WaitlistEntryType, WaitlistPlace>("JoinWaitlistPayload", "entry",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound);

public sealed class LeaveWaitlistPayloadType() : PayloadGraphType<AppointmentType, Appointment>("LeaveWaitlistPayload", "appointment",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.InvalidTransition);
