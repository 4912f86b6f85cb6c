using System.Globalization;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Booking;

public sealed record CreateSlotsInput
{
    public string ScheduleId { get; init; } = string.Empty;

    /// <summary>First day, "2026-12-01", in the time zone.</summary>
    public string From { get; init; } = string.Empty;

    /// <summary>Last day, inclusive.</summary>
    public string To { get; init; } = string.Empty;

    public IEnumerable<DayOfWeek> DaysOfWeek { get; init; } = [];

    public string StartTime { get; init; } = string.Empty;

    public string EndTime { get; init; } = string.Empty;

    public int SlotMinutes { get; init; }

    /// <summary>Default: the schedule's time zone, else UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Seats of each slot (<see cref="SlotSeats"/>); default 1.</summary>
    public int? Capacity { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record BlockTimeInput
{
    public string ScheduleId { get; init; } = string.Empty;

    public DateTimeOffset Start { get; init; }

    public DateTimeOffset End { get; init; }

    public string? Comment { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record SlotIdsInput
{
    public IEnumerable<string> SlotIds { get; init; } = [];

    public string? ClientMutationId { get; init; }
}

public sealed record SlotIdInput
{
    public string SlotId { get; init; } = string.Empty;

    public string? ClientMutationId { get; init; }
}

/// <summary>What createSlots made and what it left alone.</summary>
public sealed record CreatedSlots(int Created, int Skipped, IReadOnlyList<Slot> Slots);

/// <summary>The checks of wall-clock times and time zones that schedule inputs share.</summary>
public static class ScheduleInputChecks
{
    public static TimeOnly ParseTime(string text, string field) =>
        TimeOnly.TryParseExact(text, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw new SchedulingException(new ValidationError($"'{field}' must be a time such as 09:00.", field));

    public static void RequireTimeZone(string zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            throw new SchedulingException(new ValidationError($"'{Truncate(zone)}' is not a time zone (use IANA names such as Europe/Paris).", "timeZone"));
        }
    }

    public static string Truncate(string text) => text?.Length <= 40 ? text : text![..40] + "…";
}
