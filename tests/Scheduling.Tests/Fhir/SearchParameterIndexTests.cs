using CsCheck;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// <see cref="SearchParameterIndex.Values"/> walks plain paths itself (and compiles the rest once): for every R4 search
/// parameter of the types the gateway reads, on generated resources, it finds exactly the elements, the very same
/// objects in the same order (equal values where the expression computes one), that Firely's FHIRPath engine finds for the parameter's expression. References of every
/// shape: relative of several types, absolute, contained, logical (display only), none.
/// </summary>
public sealed class SearchParameterIndexTests
{
    private static readonly string[] Types = ["Appointment", "Slot", "Schedule", "Patient", "Practitioner", "AppointmentResponse", "Location", "HealthcareService", "PractitionerRole"];

    private static readonly Func<ResourceReference?>[] References =
    [
        () => null,
        () => new ResourceReference("Patient/p1"),
        () => new ResourceReference("Practitioner/dr-1", "Dr. One"),
        () => new ResourceReference("Location/room"),
        () => new ResourceReference("HealthcareService/hs"),
        () => new ResourceReference("Slot/s1"),
        () => new ResourceReference("Schedule/sch"),
        () => new ResourceReference("Appointment/a1"),
        () => new ResourceReference("http://elsewhere.test/fhir/Patient/p9"),
        () => new ResourceReference("#contained"),
        () => new ResourceReference { Display = "only a name" },
        () => new ResourceReference("Device/dev/_history/2"),
    ];

    private static readonly Gen<ResourceReference?> Reference = Gen.Int[0, References.Length - 1].Select(i => References[i]());

    private static readonly Gen<Resource> Resources = Gen.OneOf<Resource>(
        Gen.Select(Reference.List[0, 4], Reference.List[0, 3], Gen.Bool, (actors, slots, dated) => (Resource)new Appointment
        {
            Id = "a",
            Status = Appointment.AppointmentStatus.Booked,
            Start = dated ? new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero) : null,
            Slot = [.. slots.OfType<ResourceReference>()],
            Participant = [.. actors.Select(a => new Appointment.ParticipantComponent { Actor = a, Status = ParticipationStatus.Accepted })],
            BasedOn = [.. slots.OfType<ResourceReference>().Take(1)],
        }),
        Gen.Select(Reference, Gen.Bool, (schedule, tagged) => (Resource)new Slot
        {
            Id = "s",
            Schedule = schedule!,
            Status = Slot.SlotStatus.Free,
            Start = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero),
            Meta = tagged ? new Meta { Tag = [new Coding("http://example.org/tags", "t")] } : null,
        }),
        Reference.List[0, 3].Select(actors => (Resource)new Schedule { Id = "sch", Active = true, Actor = [.. actors.OfType<ResourceReference>()] }),
        Gen.Select(Reference, Reference, (appointment, actor) => (Resource)new AppointmentResponse
        {
            Id = "r",
            Appointment = appointment!,
            Actor = actor,
            ParticipantStatus = ParticipationStatus.Accepted,
        }),
        Reference.List[0, 2].Select(practitioners => (Resource)new Patient
        {
            Id = "p",
            Name = [new HumanName { Family = "Doe", Given = ["Jo"] }],
            GeneralPractitioner = [.. practitioners.OfType<ResourceReference>()],
            BirthDate = "1980-01-02",
        }),
        Gen.Const<Resource>(new Practitioner { Id = "dr", Name = [new HumanName { Family = "Smith" }], Active = true }));

    [Fact]
    public void Every_parameter_finds_what_FhirPath_finds()
    {
        var parameters = ModelInfo.SearchParameters.Where(p => p.Expression is not null && Types.Contains(p.Resource)).ToList();
        Assert.NotEmpty(parameters);
        Resources.Sample(resource =>
        {
            foreach (var parameter in parameters)
            {
                var walked = SearchParameterIndex.Values(resource, parameter).ToList();
                var evaluated = SearchParameterIndex.ValuesByFhirPath(resource, parameter.Expression!).ToList();
                Assert.True(walked.Count == evaluated.Count && walked.Zip(evaluated).All(pair => ReferenceEquals(pair.First, pair.Second) || pair.First.IsExactly(pair.Second)),
                    $"{parameter.Resource}.{parameter.Name} ({parameter.Expression}): {walked.Count} found, FHIRPath {evaluated.Count}");
            }
        }, iter: 300);
    }
}
