using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Execution;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Schedules;

public static class AvailabilityQueries
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Field<ConnectionGraphType<AvailabilityOptionType, AvailabilityOption>>("availability")
            .Description("Bookable times across the matching schedules, sorted by start, then schedule, then end: a Relay connection. Book one with its id (time: { optionId }).")
            .Argument<NonNullGraphType<AvailabilityInputType>>("input", a => a.Description = "Where, when and how long.")
            .KeysetPagingArguments()
            .WithMetadata(OperationSize.SearchesMetadata, (Func<FieldArguments, long>)SearchesFor)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<AvailabilityInput>("input");
                var page = PageArguments.Read(c);
                var options = input.Requires is null
                    ? await c.RequestServices!.GetRequiredService<AvailabilitySearch>().FindAsync(input, c.CancellationToken)
                    : await c.RequestServices!.GetRequiredService<RequiredAvailability>().FindAsync(input, c.CancellationToken);
                var loader = c.ById();
                foreach (var schedule in options.SelectMany(o => o.Parts?.Select(p => p.Schedule) ?? [o.Schedule]).DistinctBy(s => s.Id))
                {
                    loader.Prime(schedule);
                }

                return KeysetPaging.Page(options, o => o.Offered, Comparer<OfferedTime>.Default, AvailabilityCursor.Encode, AvailabilityCursor.Decode, page);
            });
    }

    /// <summary>
    /// An availability node asked by id: the option if still offered exactly (<see cref="AvailabilitySearch.FindOfferedAsync"/>), else null.
    /// </summary>
    public static Task<AvailabilityOption?> FindAsync(IResolveFieldContext context, OfferedTime offered)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(offered);
        return offered.IsMultiPart
            ? context.RequestServices!.GetRequiredService<RequiredAvailability>().FindOfferedAsync(offered, context.CancellationToken)
            : context.RequestServices!.GetRequiredService<AvailabilitySearch>().FindOfferedAsync(offered, context.CancellationToken);
    }

    /// <summary>Schedules an availability search without ids is priced as: it may match any number of them.</summary>
    public const int OpenSearchSchedules = 5;

    /// <summary>
    /// Priced by its span: one search for the schedules, then about one page of Slots per schedule and week asked for
    /// (a search without practitioner or schedule ids counts as <see cref="OpenSearchSchedules"/> schedules).
    /// </summary>
    internal static long SearchesFor(FieldArguments arguments)
    {
        var start = Date(arguments["input.start"]) ?? TimeProvider.System.GetUtcNow();
        var end = Date(arguments["input.end"]) ?? start.AddDays(14);
        var days = Math.Clamp((end - start).TotalDays, 1, AvailabilitySearch.MaxWindowDays);
        var weeks = (long)Math.Ceiling(days / 7);
        var named = Count(arguments["input.practitionerIds"]) + Count(arguments["input.scheduleIds"]) + Count(arguments["input.requires"]);
        return 1 + (weeks * (named == 0 ? OpenSearchSchedules : named));
    }

    private static DateTimeOffset? Date(object? value) =>
        value is string text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var date) ? date : null;

    private static long Count(object? value) => value is System.Collections.ICollection list ? list.Count : value is string ? 1 : 0;
}

public sealed class AvailabilitySourceType : EnumerationGraphType<AvailabilitySource>
{
    public AvailabilitySourceType()
    {
        Name = "AvailabilitySource";
        Description = "Where a bookable time comes from.";
        this.DescribeValues(
            ("SLOT", "A FREE slot that exists on the FHIR server."),
            ("RULE", "The schedule's availability rule; booking it creates the slot."));
    }
}

public sealed class AvailabilityInputType : InputObjectGraphType<AvailabilityInput>
{
    public AvailabilityInputType()
    {
        Name = "AvailabilityInput";
        Description = "Which schedules to search (by practitioner, schedule, location, service), the time range and the length wanted.";
        Field<ListGraphType<NonNullGraphType<IdGraphType>>>("practitionerIds").Description("On the active schedules of these practitioners.");
        Field<ListGraphType<NonNullGraphType<IdGraphType>>>("scheduleIds").Description("On these schedules.");
        Field<IdGraphType>("locationId").Description("On the active schedules of this location.");
        Field<StringGraphType>("serviceType").Description("A service type code, or system|code.");
        Field<IsoDateTimeGraphType>("start").Description("Default: now. Never earlier than now.");
        Field<IsoDateTimeGraphType>("end").Description($"Default: start + 14 days; at most {AvailabilitySearch.MaxWindowDays} days after start.");
        Field<IntGraphType>("durationMinutes").Description("Default: one slot (or the rule's slot length). Over free slots, each run of contiguous slots at least this long, offered as the run's whole span.");
        Field<ListGraphType<NonNullGraphType<RequiredActorInputType>>>("requires")
            .Description("Several resources at once: only times when every entry has a schedule offering exactly that span; each option names every schedule and slot it takes (parts). Alone, without practitionerIds, scheduleIds or locationId; give durationMinutes when their slots differ in length.");
    }
}

public sealed class AvailabilityOptionType : ObjectGraphType<AvailabilityOption>
{
    public AvailabilityOptionType()
    {
        Name = "AvailabilityOption";
        Description = "A bookable time on one schedule. Its id books exactly this time (time: { optionId }) and node(id:) reads it again while it is still offered.";
        Interface<NodeInterface>();
        Field<NonNullGraphType<IdGraphType>>("id")
            .Description("The option's global id: its schedule and exact span. node(id:) answers it while it is still offered, null once it is not.")
            .Resolve(c => GlobalId.EncodeOption(c.Source.Offered));
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("When it starts.").Resolve(c => c.Source.Start);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description("When it ends.").Resolve(c => c.Source.End);
        Field<NonNullGraphType<IntGraphType>>("durationMinutes").Description("How long it is, in minutes.").Resolve(c => (int)(c.Source.End - c.Source.Start).TotalMinutes);
        Field<NonNullGraphType<ScheduleType>>("schedule").Description("The schedule it is on.").Resolve(c => c.Source.Schedule);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ActorType>>>>("actors")
            .Description("Whom the schedule is for; an OtherActor where a reference cannot be resolved.")
            .Resolve(c =>
            {
                var loader = c.ById();
                return new ManyResults(c.Source.Schedule.Actor.Select(a => ActorType.Resolve(loader, a)).ToList());
            });
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds")
            .Description("The slots booking this option takes; time: { slotIds } books them too (time: { optionId } also checks that they still make exactly this span).")
            .Resolve(c => c.Source.SlotIds.Select(GlobalId.EncodeSlot));
        Field<NonNullGraphType<IntGraphType>>("seatsLeft")
            .Description("How many more bookings this time takes: 1 for a one-seat time, the seats left of a slot or rule with capacity (a group visit).")
            .Resolve(c => c.Source.SeatsLeft);
        Field<NonNullGraphType<AvailabilitySourceType>>("source").Description("Whether it is a free slot or computed from the schedule's rule.").Resolve(c => c.Source.Source);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AvailabilityPartType>>>>("parts")
            .Description("Every schedule booking this option takes, with its actor and slots: one part for a one-schedule option, one per schedule when asked with requires.")
            .Resolve(c => c.Source.Parts ?? [new OptionPart(c.Source.Schedule, RequiredAvailability.FirstActor(c.Source.Schedule), c.Source.SlotIds, c.Source.Source, null)]);
    }
}

/// <summary>
/// An availability cursor: the option's place in availability's order (<see cref="OfferedTime"/>), not its position,
/// so it stays valid, and in place, while options before it are booked or freed.
/// </summary>
internal static class AvailabilityCursor
{
    private const string Prefix = "availability:";

    public static string Encode(OfferedTime offered) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Prefix + GlobalId.EncodeOption(offered)));

    public static OfferedTime Decode(string cursor)
    {
        try
        {
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            if (text.StartsWith(Prefix, StringComparison.Ordinal) && GlobalId.TryDecodeOption(text[Prefix.Length..], out var offered))
            {
                return offered;
            }
        }
        catch (FormatException)
        {
        }

        throw new UserInputError("'after' or 'before' is not a cursor of availability (take one from its edges or pageInfo).");
    }
}
