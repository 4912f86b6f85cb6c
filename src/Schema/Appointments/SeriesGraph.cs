using System.Globalization;
using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Booking.Series;
using Scheduling.Schema.Common;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Execution;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;

namespace Scheduling.Schema.Appointments;

/// <summary>The recurring-series mutations: bookSeries and cancelSeriesFrom (one occurrence is cancelled or moved with the appointment mutations).</summary>
public static class SeriesMutations
{
    public static void AddTo(ObjectGraphType mutation)
    {
        ArgumentNullException.ThrowIfNull(mutation);
        mutation.Field<NonNullGraphType<BookSeriesPayloadType>>("bookSeries")
            .Description("Books a weekly series for a patient on one schedule, each occurrence as bookAppointment books one, in the schedule's time zone (09:00 stays 09:00 local across daylight-saving changes), written as one change: ALL_OR_NOTHING (default) books every occurrence or none; AVAILABLE_ONLY books the free ones and lists the others in skipped.")
            .Argument<NonNullGraphType<BookSeriesInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<BookSeriesInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId,
                    () => c.RequestServices!.GetRequiredService<SeriesBooking>().BookAsync(input.ToRequest(), c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<RescheduleSeriesFromPayloadType>>("rescheduleSeriesFrom")
            .Description("Moves an occurrence of a series and every later standing one to a new local start time and/or weekday, each as rescheduleAppointment moves one, as one change. The moved occurrences become a series of their own (a new template with the new pattern, as calendars split a series on \"this and following\"); the earlier series ends before them.")
            .Argument<NonNullGraphType<RescheduleSeriesFromInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<RescheduleSeriesFromInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId,
                    () => c.RequestServices!.GetRequiredService<SeriesReschedule>().RescheduleFromAsync(input.ToRequest(), c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<CancelSeriesFromPayloadType>>("cancelSeriesFrom")
            .Description("Cancels an occurrence of a series and every later one (by recurrenceId) as one change, freeing their slots; cancelled from the first occurrence, the series' template is cancelled too.")
            .Argument<NonNullGraphType<CancelSeriesFromInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CancelAppointmentInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId,
                    () => c.RequestServices!.GetRequiredService<SeriesCancel>().CancelFromAsync(input.AppointmentId, input.Reason, c.CancellationToken));
            });
    }
}

/// <summary>rescheduleSeriesFrom's input.</summary>
public sealed record RescheduleSeriesFromInput
{
    public string AppointmentId { get; init; } = string.Empty;

    public string? StartTime { get; init; }

    public DayOfWeek? DayOfWeek { get; init; }

    public SeriesMode Mode { get; init; } = SeriesMode.AllOrNothing;

    public string? ClientMutationId { get; init; }

    public RescheduleSeriesRequest ToRequest() =>
        new(AppointmentId, StartTime is null ? null : ScheduleInputChecks.ParseTime(StartTime, "startTime"), DayOfWeek, Mode);
}

/// <summary>The weekly recurrence of bookSeries' input.</summary>
public sealed record SeriesRecurrenceInput
{
    public IEnumerable<DayOfWeek>? DaysOfWeek { get; init; }

    public int WeekInterval { get; init; } = 1;

    public int? Count { get; init; }

    public string? Until { get; init; }
}

public sealed record BookSeriesInput
{
    public string ScheduleId { get; init; } = string.Empty;

    public string FirstDate { get; init; } = string.Empty;

    public string StartTime { get; init; } = string.Empty;

    public int Minutes { get; init; }

    public SeriesRecurrenceInput Recurrence { get; init; } = new();

    public SeriesMode Mode { get; init; } = SeriesMode.AllOrNothing;

    public string PatientId { get; init; } = string.Empty;

    public string? PractitionerId { get; init; }

    public string? ServiceType { get; init; }

    public string? Reason { get; init; }

    public string? Comment { get; init; }

    public string? ClientMutationId { get; init; }

    public BookSeriesRequest ToRequest() => new(
        ScheduleId,
        new SeriesRecurrence(Day(FirstDate, "firstDate") ?? default, ScheduleInputChecks.ParseTime(StartTime, "startTime"), Minutes,
            [.. Recurrence.DaysOfWeek ?? []], Recurrence.WeekInterval, Recurrence.Count, Day(Recurrence.Until, "recurrence.until")),
        PatientId, PractitionerId, ServiceType, Reason, Comment, Mode, ClientMutationId);

    private static DateOnly? Day(string? text, string field) =>
        text is null ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day
        : throw new SchedulingException(new ValidationError($"'{field}' must be a date such as 2027-03-02.", field));
}

public sealed class SeriesModeType : EnumerationGraphType<SeriesMode>
{
    public SeriesModeType()
    {
        Name = "SeriesMode";
        Description = "What bookSeries does with occurrences whose time is not free.";
        this.DescribeValues(
            ("ALL_OR_NOTHING", "Every occurrence or none: one that cannot be booked refuses the series, naming it, and nothing is written."),
            ("AVAILABLE_ONLY", "Books the occurrences that can be booked and lists each other one in skipped, with the error booking it alone would meet."));
    }
}

public sealed class SeriesRecurrenceInputType : InputObjectGraphType<SeriesRecurrenceInput>
{
    public SeriesRecurrenceInputType()
    {
        Name = "SeriesRecurrenceInput";
        Description = "A weekly recurrence (FHIR R5 weeklyTemplate): the days, every how many weeks, and how it ends (count or until, exactly one).";
        Field<ListGraphType<NonNullGraphType<DayOfWeekType>>>("daysOfWeek").Description("The days it recurs on; default: the first date's day. The first date's day must be one of them.");
        Field<IntGraphType>("weekInterval").DefaultValue(1).Description("Every this many weeks (weeks start on Monday, counted from the first date's week).");
        Field<IntGraphType>("count").Description($"How many occurrences, 1 to {SeriesRecurrence.MaxOccurrences}.");
        Field<StringGraphType>("until").Description("The last day an occurrence may fall on (local date, e.g. 2027-04-06).");
    }
}

public sealed class BookSeriesInputType : InputObjectGraphType<BookSeriesInput>
{
    public BookSeriesInputType()
    {
        Name = "BookSeriesInput";
        Description = "What bookSeries books: on which schedule, from when, how often, for whom.";
        Field<NonNullGraphType<IdGraphType>>("scheduleId").Description("The schedule every occurrence is booked on; its time zone is the series'.");
        Field<NonNullGraphType<StringGraphType>>("firstDate").Description("The first occurrence's local date, e.g. 2027-03-02.");
        Field<NonNullGraphType<StringGraphType>>("startTime").Description("Each occurrence's local wall-clock start, e.g. 09:00. A time the zone skips that day moves forward by the gap; a time it repeats is the earlier one.");
        Field<NonNullGraphType<IntGraphType>>("minutes").Description("How long each occurrence lasts; each is booked exactly as an availability option of that span would be.");
        Field<NonNullGraphType<SeriesRecurrenceInputType>>("recurrence").Description("How the series recurs and ends.");
        Field<SeriesModeType>("mode").DefaultValue(SeriesMode.AllOrNothing).Description("ALL_OR_NOTHING (default) or AVAILABLE_ONLY.");
        Field<NonNullGraphType<IdGraphType>>("patientId").Description("The patient the series is for; a patient books only for themselves.");
        Field<IdGraphType>("practitionerId").Description("The practitioner taking part; default: the schedule's practitioner.");
        Field<StringGraphType>("serviceType").Description("The kind of service, a code or system|code; default: the slot's service type.");
        Field<StringGraphType>("reason").Description("Why the series is made, in words.");
        Field<StringGraphType>("comment").Description("A note on every occurrence.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class CancelSeriesFromInputType : InputObjectGraphType<CancelAppointmentInput>
{
    public CancelSeriesFromInputType()
    {
        Name = "CancelSeriesFromInput";
        Description = "From which occurrence cancelSeriesFrom cancels a series, and why.";
        Field<NonNullGraphType<IdGraphType>>("appointmentId").Description("The first occurrence to cancel; every later one of its series is cancelled with it.");
        Field<NonNullGraphType<StringGraphType>>("reason").Description("Why (not blank); kept as each cancelled appointment's cancelationReason.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class SkippedOccurrenceType : ObjectGraphType<SkippedOccurrence>
{
    public SkippedOccurrenceType()
    {
        Name = "SkippedOccurrence";
        Description = "An occurrence AVAILABLE_ONLY left out, and why.";
        Field<NonNullGraphType<IntGraphType>>("recurrenceId").Description("Its place in the series, from 1.").Resolve(c => c.Source.RecurrenceId);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("When it would have started.").Resolve(c => c.Source.Start);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description("When it would have ended.").Resolve(c => c.Source.End);
        Field<NonNullGraphType<ErrorInterfaceType>>("reason").Description("The error booking it alone would have met: SlotUnavailableError, or a BookingRuleError naming the rule.").Resolve(c => c.Source.Reason);
    }
}

public sealed class BookSeriesPayloadType : PayloadBaseGraphType<BookedSeries>
{
    public BookSeriesPayloadType()
        : base("BookSeriesPayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.SlotUnavailable, SchedulingErrorCode.BookingRule)
    {
        Field<AppointmentSeriesType>("series").Description("The series booked; null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Template);
        Field<ListGraphType<NonNullGraphType<AppointmentType>>>("occurrences").Description("The occurrences booked, in order; null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Occurrences);
        Field<ListGraphType<NonNullGraphType<SkippedOccurrenceType>>>("skipped").Description("AVAILABLE_ONLY: the occurrences left out, each with its reason; empty otherwise.").Resolve(c => c.Source.Result?.Skipped);
    }
}

public sealed class CancelSeriesFromPayloadType : PayloadBaseGraphType<CancelledOccurrences>
{
    public CancelSeriesFromPayloadType()
        : base("CancelSeriesFromPayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.InvalidTransition, SchedulingErrorCode.BookingRule)
    {
        Field<ListGraphType<NonNullGraphType<AppointmentType>>>("cancelled").Description("The occurrences cancelled, in order; null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Cancelled);
        Field<AppointmentSeriesType>("series").Description("The series after the change.").Resolve(c => c.Source.Result?.Template);
    }
}

public sealed class RescheduleSeriesFromInputType : InputObjectGraphType<RescheduleSeriesFromInput>
{
    public RescheduleSeriesFromInputType()
    {
        Name = "RescheduleSeriesFromInput";
        Description = "From which occurrence rescheduleSeriesFrom moves a series, and to what local start time and/or weekday (at least one).";
        Field<NonNullGraphType<IdGraphType>>("appointmentId").Description("The first occurrence to move; every later standing one of its series moves with it.");
        Field<StringGraphType>("startTime").Description("The new local wall-clock start, e.g. 10:30; default: the series' start time.");
        Field<DayOfWeekType>("dayOfWeek").Description("The new weekday, in each occurrence's own week (weeks start on Monday); only for a series that recurs on one day.");
        Field<SeriesModeType>("mode").DefaultValue(SeriesMode.AllOrNothing).Description("ALL_OR_NOTHING (default): every occurrence moves or none; AVAILABLE_ONLY: one that cannot move stays where it was, listed in skipped.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class RescheduleSeriesFromPayloadType : PayloadBaseGraphType<RescheduledSeries>
{
    public RescheduleSeriesFromPayloadType()
        : base("RescheduleSeriesFromPayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.SlotUnavailable, SchedulingErrorCode.InvalidTransition)
    {
        Field<AppointmentSeriesType>("series").Description("The new series the moved occurrences belong to (its own template, places from 1); null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Template);
        Field<ListGraphType<NonNullGraphType<AppointmentType>>>("occurrences").Description("The occurrences moved, in order; null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Occurrences);
        Field<ListGraphType<NonNullGraphType<SkippedOccurrenceType>>>("skipped").Description("AVAILABLE_ONLY: the occurrences left where they were (in the earlier series), each with its reason; empty otherwise.").Resolve(c => c.Source.Result?.Skipped);
        Field<AppointmentSeriesType>("earlierSeries").Description("The series moved from, after the change: ending after the places before the first moved, or cancelled when moved from its first place.").Resolve(c => c.Source.Result?.Earlier);
    }
}

/// <summary>
/// A recurring series, as its template appointment records it (FHIR R5's recurrenceTemplate). Sourced from the
/// template, which is PROPOSED and takes no time: its occurrences are the appointments.
/// </summary>
public sealed class AppointmentSeriesType : ObjectGraphType<Appointment>
{
    public AppointmentSeriesType()
    {
        Name = "AppointmentSeries";
        Description = "A weekly recurring series: its pattern (FHIR R5 recurrenceTemplate, carried in R4 extensions) and its occurrences.";
        Field<NonNullGraphType<AppointmentType>>("template").Description("The template appointment (PROPOSED, no time or slots of its own) that records the pattern; CANCELLED once cancelled from its first occurrence.").Resolve(c => c.Source);
        Field<NonNullGraphType<StringGraphType>>("timeZone").Description("The IANA time zone the occurrences keep their wall-clock time in.").Resolve(c => Pattern(c.Source).TimeZone);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DayOfWeekType>>>>("daysOfWeek").Description("The days it recurs on.").Resolve(c => Pattern(c.Source).DaysOfWeek);
        Field<NonNullGraphType<IntGraphType>>("weekInterval").Description("Every this many weeks.").Resolve(c => Pattern(c.Source).WeekInterval);
        Field<IntGraphType>("occurrenceCount").Description("How many occurrences it was booked with, when it ends by count.").Resolve(c => Pattern(c.Source).OccurrenceCount);
        Field<StringGraphType>("lastOccurrenceDate").Description("Its last day, when it ends by date.")
            .Resolve(c => Pattern(c.Source).LastOccurrenceDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Field<StringGraphType>("startTime").Description("Each occurrence's local wall-clock start, e.g. 09:00.")
            .Resolve(c => Pattern(c.Source).StartTime?.ToString("HH:mm", CultureInfo.InvariantCulture));
        Field<IntGraphType>("minutesDuration").Description("How long each occurrence lasts.").Resolve(c => Pattern(c.Source).Minutes);
        Field<NonNullGraphType<ConnectionGraphType<AppointmentType, Appointment>>>("occurrences")
            .Description("The occurrences the caller may see, by recurrenceId (cancelled ones too).")
            .PagingArguments()
            .Resolve(c =>
            {
                var (offset, first) = Paging.Read(c);
                return c.RequestServices!.GetRequiredService<SeriesReads>().Occurrences(c.Source).Then(all => Paging.Slice(all, offset, first));
            });
    }

    private static SeriesPattern Pattern(Appointment template) =>
        SeriesProfile.PatternOf(template) ?? throw new InvalidOperationException($"Appointment/{template.Id} is no series template.");

    /// <summary>Appointment's series fields: the series it belongs to, its place in it, whether it was moved.</summary>
    public static void AddTo(ObjectGraphType<Appointment> appointment)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        appointment.Field<AppointmentSeriesType>("series").NotFhirElement()
            .Description("The recurring series this appointment is the template or an occurrence of; null for a single appointment.")
            .WithMetadata(OperationSize.SearchesMetadata, (Func<FieldArguments, long>)(_ => 1)) // its members' search (batched per level)
            .Resolve(c => c.RequestServices!.GetRequiredService<SeriesReads>().TemplateOf(c.Source));
        appointment.Field<IntGraphType>("recurrenceId").NotFhirElement()
            .Description("An occurrence's place in its series, from 1 (FHIR R5 recurrenceId); null otherwise.")
            .Resolve(c => SeriesProfile.RecurrenceIdOf(c.Source));
        appointment.Field<NonNullGraphType<BooleanGraphType>>("occurrenceChanged").NotFhirElement()
            .Description("Whether this occurrence was moved off its series' time (FHIR R5 occurrenceChanged).")
            .Resolve(c => SeriesProfile.OccurrenceChanged(c.Source));
    }
}

/// <summary>Reads of a series for the schema, as the caller may see them, through <see cref="SeriesMembersDataLoader"/> (N series in a list: one search).</summary>
public sealed class SeriesReads(SeriesMembersDataLoader members)
{
    public IDataLoaderResult<Appointment?> TemplateOf(Appointment appointment)
    {
        if (GatewayProfile.IsSeriesTemplate(appointment))
        {
            return new CompletedResult<Appointment?>(appointment);
        }

        return SeriesProfile.IsOccurrence(appointment) && SeriesProfile.SeriesIdOf(appointment) is { } seriesId
            ? members.Load(seriesId).Then(all => all.FirstOrDefault(GatewayProfile.IsSeriesTemplate))
            : new CompletedResult<Appointment?>(null);
    }

    public IDataLoaderResult<IReadOnlyList<Appointment>> Occurrences(Appointment template) =>
        SeriesProfile.SeriesIdOf(template) is { } seriesId
            ? members.Load(seriesId).Then(all => (IReadOnlyList<Appointment>)[.. all.Where(SeriesProfile.IsOccurrence).OrderBy(SeriesProfile.RecurrenceIdOf)])
            : new CompletedResult<IReadOnlyList<Appointment>>([]);
}
