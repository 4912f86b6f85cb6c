using System.Globalization;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir.InMemory;

/// <summary>
/// The example practice: the document the product grew from (Dr. Alice Smith's schedule, Monday 3 June 2024
/// 11:00–11:30 and 11:30–12:00, Homer Simpson's Fall Assessment on both), plus practitioners with free slots over
/// the two weeks after <c>now</c>, patients and some booked appointments. Written through <see cref="IFhirStore"/>
/// so the same data can seed any FHIR server; references use the ids the store hands back.
/// </summary>
public static class SeedData
{
    public const string ServiceTypeSystem = "http://example.org/fhir/CodeSystem/service-type";
    public const string TimeZoneId = "America/New_York";

    private static readonly (string Id, string Prefix, string Given, string Family, string Service, string Specialty)[] Practitioners =
    [
        ("alice-smith", "Dr.", "Alice", "Smith", "general-practice", "General practice"),
        ("robert-jones", "Dr.", "Robert", "Jones", "cardiology", "Cardiology"),
        ("carol-nguyen", string.Empty, "Carol", "Nguyen", "physiotherapy", "Physiotherapy"),
        ("david-okafor", "Dr.", "David", "Okafor", "general-practice", "General practice"),
    ];

    private static readonly (string Id, string Given, string Family, string BirthDate, AdministrativeGender Gender)[] Patients =
    [
        ("homer-simpson", "Homer", "Simpson", "1956-05-12", AdministrativeGender.Male),
        ("marge-simpson", "Marge", "Simpson", "1959-03-19", AdministrativeGender.Female),
        ("bart-simpson", "Bart", "Simpson", "1980-04-01", AdministrativeGender.Male),
        ("lisa-simpson", "Lisa", "Simpson", "1982-05-09", AdministrativeGender.Female),
        ("ned-flanders", "Ned", "Flanders", "1950-01-01", AdministrativeGender.Male),
    ];

    public static TimeZoneInfo PracticeTimeZone =>
        TimeZoneInfo.TryFindSystemTimeZoneById(TimeZoneId, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>Writes the practice into <paramref name="store"/>; returns how many resources it created.</summary>
    public static async Task<int> PopulateAsync(IFhirStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var created = 0;
        async Task<T> Create<T>(T resource)
            where T : Resource
        {
            created++;
            return await store.CreateAsync(resource, cancellationToken);
        }

        var zone = PracticeTimeZone;
        var clinic = await Create(new Location
        {
            Id = "springfield-clinic",
            Status = Location.LocationStatus.Active,
            Name = "Springfield Family Clinic",
            Description = "Ground floor, step-free access.",
            Address = new Address { Line = ["100 Main Street"], City = "Springfield", State = "OR", PostalCode = "97477", Country = "US" },
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Work, "+1-555-0100")],
        });
        var physio = await Create(new HealthcareService
        {
            Id = "physiotherapy",
            Active = true,
            Name = "Physiotherapy",
            Comment = "Assessment and treatment after falls, sports injuries and surgery.",
            Type = [Concept("physiotherapy", "Physiotherapy")],
            Location = [Reference(clinic)],
        });

        var patients = new List<Patient>();
        foreach (var p in Patients)
        {
            patients.Add(await Create(new Patient
            {
                Id = p.Id,
                Active = true,
                Name = [new HumanName { Use = HumanName.NameUse.Official, Given = [p.Given], Family = p.Family }],
                BirthDate = p.BirthDate,
                Gender = p.Gender,
                Identifier = [new Identifier("http://example.org/fhir/mrn", "MRN-" + p.Id.ToUpperInvariant())],
                Telecom =
                [
                    new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, "+1-555-01" + (patients.Count + 10)),
                    new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Home, p.Id.Replace('-', '.') + "@example.org"),
                ],
            }));
        }

        var horizonEnd = now.AddDays(56);
        var random = new Random(42);
        for (var i = 0; i < Practitioners.Length; i++)
        {
            var p = Practitioners[i];
            var practitioner = await Create(new Practitioner
            {
                Id = p.Id,
                Active = true,
                Name = [new HumanName { Use = HumanName.NameUse.Official, Prefix = p.Prefix.Length > 0 ? [p.Prefix] : [], Given = [p.Given], Family = p.Family }],
                Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Work, p.Id.Replace('-', '.') + "@springfield-clinic.example.org")],
            });

            var services = p.Id == "alice-smith"
                ? new List<CodeableConcept> { Concept(p.Service, p.Specialty), Concept("fall-assessment", "Fall Assessment") }
                : [Concept(p.Service, p.Specialty)];
            var actors = new List<ResourceReference> { Reference(practitioner), Reference(clinic) };
            if (p.Service == "physiotherapy")
            {
                actors.Add(Reference(physio));
            }

            var schedule = await Create(new Schedule
            {
                Id = p.Id + "-schedule",
                Active = true,
                Actor = actors,
                ServiceType = services,
                Specialty = [new CodeableConcept { Text = p.Specialty }],
                PlanningHorizon = new Period(new FhirDateTime(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero)), new FhirDateTime(horizonEnd)),
                Comment = $"{HumanNameDisplay(practitioner)}'s schedule",
                Extension = [new Extension(Booking.GatewayProfile.TimeZoneExtension, new Code(TimeZoneId))],
            });

            if (p.Id == "alice-smith")
            {
                created += await SeedDocumentExampleAsync(store, schedule, practitioner, patients[0], clinic, zone, cancellationToken);
            }

            created += await SeedComingWeeksAsync(store, schedule, practitioner, patients, clinic, services[0], zone, now, random, i, cancellationToken);
        }

        return created;
    }

    /// <summary>The example the product grew from, as the document draws it.</summary>
    private static async Task<int> SeedDocumentExampleAsync(
        IFhirStore store, Schedule schedule, Practitioner alice, Patient homer, Location clinic, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        var day = new DateTime(2024, 6, 3);
        var fallAssessment = Concept("fall-assessment", "Fall Assessment");
        var first = await store.CreateAsync(NewSlot("alice-smith-20240603-1100", schedule, Local(day, 11, 0, zone), 30, Slot.SlotStatus.Busy, fallAssessment), cancellationToken);
        var second = await store.CreateAsync(NewSlot("alice-smith-20240603-1130", schedule, Local(day, 11, 30, zone), 30, Slot.SlotStatus.Busy, fallAssessment), cancellationToken);
        await store.CreateAsync(new Appointment
        {
            Id = "homer-fall-assessment",
            Status = Appointment.AppointmentStatus.Booked,
            ServiceType = [fallAssessment],
            Description = "Fall Assessment",
            ReasonCode = [new CodeableConcept { Text = "Fell at home; assess balance and fall risk." }],
            Start = Local(day, 11, 0, zone),
            End = Local(day, 12, 0, zone),
            MinutesDuration = 60,
            Created = "2024-05-27",
            Slot = [Reference(first), Reference(second)],
            Participant =
            [
                Participant(homer),
                Participant(alice),
                Participant(clinic),
            ],
        }, cancellationToken);
        return 3;
    }

    /// <summary>Weekday slots 09:00–12:00 and 13:00–17:00 (30 minutes, practice time) for two weeks from tomorrow;
    /// a few booked, one held (pending), one cancelled.</summary>
    private static async Task<int> SeedComingWeeksAsync(
        IFhirStore store, Schedule schedule, Practitioner practitioner, List<Patient> patients, Location clinic,
        CodeableConcept service, TimeZoneInfo zone, DateTimeOffset now, Random random, int index, CancellationToken cancellationToken)
    {
        var created = 0;
        var today = TimeZoneInfo.ConvertTime(now, zone).Date;
        for (var d = 1; d <= 14; d++)
        {
            var day = today.AddDays(d);
            if (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
            {
                continue;
            }

            var times = Enumerable.Range(0, 6).Select(n => (9 + (n / 2), n % 2 * 30))
                .Concat(Enumerable.Range(0, 8).Select(n => (13 + (n / 2), n % 2 * 30)));
            foreach (var (hour, minute) in times)
            {
                var start = Local(day, hour, minute, zone);
                var roll = random.Next(100);
                var (status, appointmentStatus) = roll switch
                {
                    < 12 => (Slot.SlotStatus.Busy, (Appointment.AppointmentStatus?)Appointment.AppointmentStatus.Booked),
                    < 13 => (Slot.SlotStatus.BusyTentative, Appointment.AppointmentStatus.Pending),
                    < 14 => (Slot.SlotStatus.Free, Appointment.AppointmentStatus.Cancelled),
                    _ => (Slot.SlotStatus.Free, null),
                };
                var id = string.Create(CultureInfo.InvariantCulture, $"{practitioner.Id}-{day:yyyyMMdd}-{hour:00}{minute:00}");
                var slot = await store.CreateAsync(NewSlot(id, schedule, start, 30, status, service), cancellationToken);
                created++;
                if (appointmentStatus is not { } booked)
                {
                    continue;
                }

                var patient = patients[(index + created) % patients.Count];
                var participantStatus = booked == Appointment.AppointmentStatus.Pending ? ParticipationStatus.NeedsAction : ParticipationStatus.Accepted;
                await store.CreateAsync(new Appointment
                {
                    Id = "appt-" + id,
                    Status = booked,
                    ServiceType = [service],
                    Description = service.Text,
                    Start = start,
                    End = start.AddMinutes(30),
                    MinutesDuration = 30,
                    Created = FhirDateTimeText(now.AddDays(-3)),
                    Slot = [Reference(slot)],
                    CancelationReason = booked == Appointment.AppointmentStatus.Cancelled ? new CodeableConcept { Text = "Patient cancelled" } : null,
                    Participant =
                    [
                        Participant(patient, participantStatus),
                        Participant(practitioner, participantStatus),
                        Participant(clinic),
                    ],
                }, cancellationToken);
                created++;
            }
        }

        return created;
    }

    private static Slot NewSlot(string id, Schedule schedule, DateTimeOffset start, int minutes, Slot.SlotStatus status, CodeableConcept service) => new()
    {
        Id = id,
        Schedule = Reference(schedule),
        Status = status,
        Start = start,
        End = start.AddMinutes(minutes),
        ServiceType = [service],
    };

    private static Appointment.ParticipantComponent Participant(Resource actor, ParticipationStatus status = ParticipationStatus.Accepted) => new()
    {
        Actor = Reference(actor),
        Required = Appointment.ParticipantRequired.Required,
        Status = status,
    };

    private static ResourceReference Reference(Resource resource) => new(resource.TypeName + "/" + resource.Id)
    {
        Display = resource switch
        {
            Practitioner p => HumanNameDisplay(p),
            Patient p => string.Join(' ', p.Name[0].Given.Append(p.Name[0].Family)),
            Location l => l.Name,
            HealthcareService h => h.Name,
            _ => null,
        },
    };

    private static string HumanNameDisplay(Practitioner practitioner) =>
        string.Join(' ', practitioner.Name[0].Prefix.Concat(practitioner.Name[0].Given).Append(practitioner.Name[0].Family));

    private static CodeableConcept Concept(string code, string display) => new(ServiceTypeSystem, code, display, display);

    /// <summary>A wall-clock time in the practice's zone, with that day's offset (daylight saving included).</summary>
    private static DateTimeOffset Local(DateTime day, int hour, int minute, TimeZoneInfo zone)
    {
        var wall = new DateTime(day.Year, day.Month, day.Day, hour, minute, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
    }

    private static string FhirDateTimeText(DateTimeOffset value) => new FhirDateTime(value).Value ?? string.Empty;
}
