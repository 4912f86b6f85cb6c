using System.Globalization;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking.Series;

/// <summary>A series' pattern as its template records it (<see cref="SeriesProfile.PatternOf"/>).</summary>
public sealed record SeriesPattern(
    string SeriesId, string TimeZone, IReadOnlyList<DayOfWeek> DaysOfWeek, int WeekInterval, int? OccurrenceCount, DateOnly? LastOccurrenceDate,
    TimeOnly? StartTime, int? Minutes);

/// <summary>
/// How a recurring series is written on FHIR R4: FHIR R5's shape, carried in the R5-to-R4 cross-version extensions
/// (<see cref="GatewayProfile"/>). The template is an Appointment, PROPOSED, without start, end or slots (R4's app-3
/// allows that only for proposed, cancelled or waitlisted ones), carrying <c>recurrenceTemplate</c> (timezone,
/// recurrenceType <c>wk</c>, weeklyTemplate with its days and weekInterval, occurrenceCount or lastOccurrenceDate)
/// and the series identifier. Each occurrence is an ordinary booked appointment with <c>originatingAppointment</c>
/// (a Reference to the template by its series identifier), <c>recurrenceId</c> and, once moved,
/// <c>occurrenceChanged</c>. Whether an appointment is a template is decided by <see cref="GatewayProfile.IsSeriesTemplate"/> alone.
/// </summary>
public static class SeriesProfile
{
    /// <summary>R5's AppointmentRecurrenceType codes (UCUM units): weekly.</summary>
    public const string RecurrenceTypeSystem = "http://unitsofmeasure.org";

    public const string Weekly = "wk";

    /// <summary>R5's timezone binding: IANA time zone names.</summary>
    public const string TimeZoneSystem = "https://www.iana.org/time-zones";

    private static readonly (DayOfWeek Day, string Name)[] WeekDays =
    [
        (DayOfWeek.Monday, "monday"), (DayOfWeek.Tuesday, "tuesday"), (DayOfWeek.Wednesday, "wednesday"), (DayOfWeek.Thursday, "thursday"),
        (DayOfWeek.Friday, "friday"), (DayOfWeek.Saturday, "saturday"), (DayOfWeek.Sunday, "sunday"),
    ];

    public static string NewSeriesId() => Guid.NewGuid().ToString("N");

    /// <summary>The template of a series whose first occurrence is <paramref name="first"/> (not yet written): who, what, why, and the pattern.</summary>
    public static Appointment Template(string seriesId, SeriesRecurrence recurrence, string timeZone, Appointment first)
    {
        ArgumentNullException.ThrowIfNull(recurrence);
        ArgumentNullException.ThrowIfNull(first);
        var template = new Appointment
        {
            Status = AppointmentStatus.Proposed,
            ServiceType = [.. first.ServiceType.Select(c => (CodeableConcept)c.DeepCopy())],
            Description = first.Description,
            ReasonCode = [.. first.ReasonCode.Select(c => (CodeableConcept)c.DeepCopy())],
            Comment = first.Comment,
            MinutesDuration = recurrence.Minutes,
            Created = first.Created,
            Participant = [.. first.Participant.Select(p => (Appointment.ParticipantComponent)p.DeepCopy())],
            Identifier = [new Identifier(GatewayProfile.SeriesSystem, seriesId)],
        };
        var weekly = new Extension { Url = "weeklyTemplate" };
        foreach (var (day, name) in WeekDays)
        {
            weekly.Extension.Add(new Extension(name, new FhirBoolean(recurrence.Days.Contains(day))));
        }

        weekly.Extension.Add(new Extension("weekInterval", new PositiveInt(recurrence.WeekInterval)));
        var pattern = new Extension { Url = GatewayProfile.RecurrenceTemplateExtension };
        pattern.Extension.Add(new Extension("timezone", new CodeableConcept(TimeZoneSystem, timeZone)));
        pattern.Extension.Add(new Extension("recurrenceType", new CodeableConcept(RecurrenceTypeSystem, Weekly)));
        pattern.Extension.Add(recurrence.Count is { } count
            ? new Extension("occurrenceCount", new PositiveInt(count))
            : new Extension("lastOccurrenceDate", new Date(recurrence.Until!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))));
        pattern.Extension.Add(weekly);
        template.Extension.Add(pattern);
        template.Extension.Add(new Extension(GatewayProfile.SeriesStartTimeExtension, new Time(recurrence.StartTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture))));
        return template;
    }

    /// <summary>Marks a new appointment as occurrence <paramref name="recurrenceId"/> of the series.</summary>
    public static void MarkOccurrence(Appointment appointment, string seriesId, int recurrenceId)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        appointment.Identifier.Add(new Identifier(GatewayProfile.SeriesSystem, seriesId));
        appointment.Extension.Add(new Extension(GatewayProfile.OriginatingAppointmentExtension,
            new ResourceReference { Type = "Appointment", Identifier = new Identifier(GatewayProfile.SeriesSystem, seriesId) }));
        appointment.Extension.Add(new Extension(GatewayProfile.RecurrenceIdExtension, new PositiveInt(recurrenceId)));
    }

    /// <summary>
    /// Moves an occurrence into another series (the tail of a series rescheduled from an occurrence on, under its
    /// own template) at place <paramref name="recurrenceId"/>. It follows that template's pattern, so it is no
    /// longer marked changed.
    /// </summary>
    public static void MoveToSeries(Appointment occurrence, string seriesId, int recurrenceId)
    {
        ArgumentNullException.ThrowIfNull(occurrence);
        occurrence.Identifier.RemoveAll(i => i.System == GatewayProfile.SeriesSystem);
        occurrence.RemoveExtension(GatewayProfile.OriginatingAppointmentExtension);
        occurrence.RemoveExtension(GatewayProfile.RecurrenceIdExtension);
        occurrence.RemoveExtension(GatewayProfile.OccurrenceChangedExtension);
        MarkOccurrence(occurrence, seriesId, recurrenceId);
    }

    /// <summary>A template's series now ends after <paramref name="count"/> places (its tail went to another series): occurrenceCount, no lastOccurrenceDate.</summary>
    public static void EndAfter(Appointment template, int count)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (template.GetExtension(GatewayProfile.RecurrenceTemplateExtension) is not { } pattern)
        {
            return;
        }

        pattern.RemoveExtension("lastOccurrenceDate");
        pattern.SetExtension("occurrenceCount", new PositiveInt(count));
    }

    /// <summary>An occurrence moved off its template's time says so (R5's occurrenceChanged); anything else is left as it is.</summary>
    public static void MarkChanged(Appointment appointment)
    {
        if (IsOccurrence(appointment))
        {
            appointment.SetExtension(GatewayProfile.OccurrenceChangedExtension, new FhirBoolean(true));
        }
    }

    /// <summary>The series the appointment (template or occurrence) belongs to, if any.</summary>
    public static string? SeriesIdOf(Appointment appointment) =>
        appointment?.Identifier.FirstOrDefault(i => i.System == GatewayProfile.SeriesSystem)?.Value;

    public static bool IsOccurrence(Appointment appointment) =>
        appointment?.GetExtension(GatewayProfile.OriginatingAppointmentExtension) is not null && !GatewayProfile.IsSeriesTemplate(appointment);

    public static int? RecurrenceIdOf(Appointment appointment) =>
        appointment?.GetExtension(GatewayProfile.RecurrenceIdExtension)?.Value is PositiveInt { Value: { } id } ? id : null;

    public static bool OccurrenceChanged(Appointment appointment) =>
        appointment?.GetExtension(GatewayProfile.OccurrenceChangedExtension)?.Value is FhirBoolean { Value: true };

    /// <summary>The pattern a template records; null for an appointment that is no template.</summary>
    public static SeriesPattern? PatternOf(Appointment template)
    {
        if (template is null || template.GetExtension(GatewayProfile.RecurrenceTemplateExtension) is not { } pattern)
        {
            return null;
        }

        var weekly = pattern.GetExtension("weeklyTemplate");
        return new SeriesPattern(
            SeriesIdOf(template) ?? string.Empty,
            (pattern.GetExtension("timezone")?.Value as CodeableConcept)?.Coding.FirstOrDefault()?.Code ?? string.Empty,
            [.. WeekDays.Where(d => weekly?.GetExtension(d.Name)?.Value is FhirBoolean { Value: true }).Select(d => d.Day)],
            weekly?.GetExtension("weekInterval")?.Value is PositiveInt { Value: { } interval } ? interval : 1,
            pattern.GetExtension("occurrenceCount")?.Value is PositiveInt { Value: { } count } ? count : null,
            pattern.GetExtension("lastOccurrenceDate")?.Value is Date { Value: { } last } && DateOnly.TryParse(last, CultureInfo.InvariantCulture, out var day) ? day : null,
            template.GetExtension(GatewayProfile.SeriesStartTimeExtension)?.Value is Time { Value: { } time } && TimeOnly.TryParse(time, CultureInfo.InvariantCulture, out var start) ? start : null,
            template.MinutesDuration);
    }
}

/// <summary>The searches of a series.</summary>
public static class SeriesSearches
{
    /// <summary>The series' template and its occurrences, by the series identifier.</summary>
    public static FhirQuery Members(string seriesId) =>
        FhirQuery.For<Appointment>().WhereToken("identifier", GatewayProfile.SeriesSystem, seriesId);

    /// <summary>The members of several series in one search (the identifiers OR-ed).</summary>
    public static FhirQuery Members(IEnumerable<string> seriesIds) =>
        FhirQuery.For<Appointment>().WhereRaw("identifier", string.Join(',', seriesIds.Select(id => FhirQuery.Escape(GatewayProfile.SeriesSystem) + "|" + FhirQuery.Escape(id))));
}
