using CsCheck;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// The named searches the GraphQL lists are built from (<c>Booking/FhirSearches.cs</c>), walked with hostile caller
/// text: every caller literal stays exactly one value of its own parameter (a comma, bar, dollar or backslash can add
/// no OR-value, token part or parameter), and a condition not given adds no parameter. No peer.
/// </summary>
public sealed class NamedSearchesTests
{
    /// <summary>Caller text made mostly of FHIR's separators and escapes.</summary>
    private static readonly Gen<string> Hostile = Gen.Char[@",|$\&=a? "].Array[1, 8].Select(chars => new string(chars));

    [Fact]
    public void Every_caller_literal_is_one_escaped_value_of_its_own_parameter() =>
        Gen.Select(Hostile, Hostile, Hostile, Hostile.Array[0, 3]).Sample((name, id, text, ids) =>
        {
            Assert.Equal([name], Values(PatientSearches.Matching(name, null), "name"));
            Assert.Equal([name], Values(PractitionerSearches.Matching(name), "name"));
            Assert.Equal([Token(text)], Tokens(PatientSearches.Matching(null, text), "identifier"));
            Assert.Equal([Token(text)], Tokens(ScheduleSearches.Filtered(text, null), "service-type"));
            Assert.Equal([Token(text)], Tokens(SlotSearches.Filtered(null, null, null, text), "service-type"));
            Assert.Equal([.. ids.Select(i => "Schedule/" + i)], ids.Length == 0 ? [] : Values(SlotSearches.Filtered(ids, null, null, null), "schedule"));

            var appointments = AppointmentSearches.Filtered(id, id, text, null, null);
            Assert.Equal(["Patient/" + id], Values(appointments, "patient"));
            Assert.Equal(["Practitioner/" + id], Values(appointments, "practitioner"));
            Assert.Equal([text], Values(appointments, "actor"));
            Assert.Equal(["Practitioner/" + id], Values(ScheduleSearches.NarrowedToActor(ScheduleSearches.Filtered(null, null), new FhirReference("Practitioner", id)), "actor"));
        });

    [Fact]
    public void A_condition_not_given_adds_no_parameter_and_the_appointment_filter_narrows_as_access_does()
    {
        Assert.Empty(AppointmentSearches.Filtered(null, null, null, [], null).Parameters);
        Assert.Empty(SlotSearches.Filtered([], [], null, null).Parameters);
        Assert.Empty(ScheduleSearches.Filtered(null, null).Parameters);
        Assert.Empty(PatientSearches.Matching(null, null).Parameters);
        Assert.Empty(PractitionerSearches.Matching(null).Parameters);
        Assert.Equal(["false"], Values(ScheduleSearches.Filtered(null, false), "active"));

        // One place narrows appointments to a participant: the list's filter and the caller's narrowing agree.
        Assert.Equal(AppointmentSearches.NarrowedTo(FhirQuery.For<Appointment>(), new FhirReference("Patient", "p1")).FilterSignature,
            AppointmentSearches.Filtered("p1", null, null, null, null).FilterSignature);
        Assert.Equal(AppointmentSearches.WithPractitioner(new FhirReference("Practitioner", "d1")).FilterSignature,
            AppointmentSearches.Filtered(null, "d1", null, null, null).FilterSignature);
    }

    /// <summary>The OR-values of the one parameter <paramref name="name"/>, unescaped.</summary>
    private static IReadOnlyList<string> Values(FhirQuery query, string name) =>
        FhirQuery.Split(Assert.Single(query.Parameters, p => p.Key == name).Value, ',');

    /// <summary>The OR-values of a token parameter, each as its unescaped system and code.</summary>
    private static IReadOnlyList<(string?, string)> Tokens(FhirQuery query, string name) =>
        [.. FhirQuery.SplitKeepingEscapes(Assert.Single(query.Parameters, p => p.Key == name).Value, ',').Select(value =>
            FhirQuery.SplitKeepingEscapes(value, '|') is [var system, var code] ? ((string?)FhirQuery.Split(system, '|')[0], FhirQuery.Split(code, '|')[0])
            : ((string?)null, FhirQuery.Split(value, '|')[0]))];

    /// <summary>A token as a caller wrote it: <c>code</c>, or <c>system|code</c> split at the first bar.</summary>
    private static (string?, string) Token(string text) =>
        text.IndexOf('|', StringComparison.Ordinal) is var bar and >= 0 ? (text[..bar], text[(bar + 1)..]) : (null, text);
}
