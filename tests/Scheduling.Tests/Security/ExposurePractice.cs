using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Webhooks;

namespace Scheduling.Tests.Security;

/// <summary>
/// A practice where another patient's data sits on every path a caller might take: practitioner A's schedule
/// has that patient (<see cref="Other"/>) as an actor next to A, a location and a service, with free slots
/// (availability) and the other patient's own booking (made with an idempotency key); a group appointment of
/// <see cref="Me"/> and the other patient, with the other patient's answer; and practitioner B, unrelated to both.
/// </summary>
public sealed record ExposurePractice(
    BookingWorld A,
    BookingWorld B,
    Patient Me,
    Patient Other,
    HealthcareService Service,
    Schedule PatientSchedule,
    IReadOnlyList<Slot> PatientScheduleSlots,
    string OthersAppointment,
    string OthersKey,
    string GroupAppointment,
    string OthersResponse,
    string Webhook,
    string WebhookDeliveryId)
{
    public const string MrnSystem = "http://example.org/fhir/mrn";

    public string OthersMrn => Other.Identifier[0].Value!;

    /// <summary>What of the other patient must never reach a caller who may not see them.</summary>
    public IEnumerable<string> OthersSecrets =>
    [
        Other.Name[0].Family!, Other.Name[0].Given.First()!, OthersMrn, Other.BirthDate!, Other.Telecom[0].Value!, Other.Telecom[1].Value!,
    ];

    /// <summary>Ids of the other patient and their own appointment: a leak unless echoed from what the caller sent.</summary>
    public IEnumerable<string> OthersIds => OthersIdForms.SelectMany(forms => forms);

    /// <summary>Each of <see cref="OthersIds"/> in both its forms: the FHIR id and the global id that names it.</summary>
    private IEnumerable<string[]> OthersIdForms =>
        new[] { ("Patient", Other.Id!), ("Appointment", OthersAppointment), ("AppointmentResponse", OthersResponse) }
            .Select(r => new[] { r.Item2, GlobalId.Encode(r.Item1, r.Item2) });

    /// <summary>
    /// The practice's entity of a type, as a FHIR id: for the sensitive types the other patient's own (their
    /// record, appointment and answer), the slot their appointment took, and the public rest around them.
    /// </summary>
    public string? IdOf(string type) => type switch
    {
        "Patient" => Other.Id,
        "Appointment" => OthersAppointment,
        "AppointmentResponse" => OthersResponse,
        "Schedule" => PatientSchedule.Id,
        "Slot" => PatientScheduleSlots[0].Id,
        "Practitioner" => A.Practitioner.Id,
        "Location" => A.Location.Id,
        "HealthcareService" => Service.Id,
        "Webhook" => Webhook,
        _ => null,
    };

    /// <summary>
    /// A token of the least role that reads a Node type, as the access policy says (<see cref="SchedulingAccess.ReadRoleOf"/>):
    /// the front desk (scheduler) for the entities, an admin for webhooks and their deliveries.
    /// </summary>
    public static string ReaderTokenOf(string type) =>
        SchedulingAccess.ReadRoleOf(type) > CallerRole.Scheduler ? TestTokens.Admin() : TestTokens.Scheduler();

    /// <summary>Whether the front desk (a scheduler) is refused the type as a whole (<see cref="SchedulingAccess.ReadRoleOf"/>).</summary>
    public static bool DeskRefused(string type) => SchedulingAccess.ReadRoleOf(type) > CallerRole.Scheduler;

    /// <summary>
    /// The global id of the practice's node of a type: <see cref="IdOf"/>'s entity, or for an availability option
    /// the free time of the other patient's schedule (a schedule with a patient among its actors).
    /// </summary>
    public string? GlobalIdOf(string type) =>
        type == GlobalId.OptionType
            ? GlobalId.EncodeOption(new OfferedTime(PatientSchedule.Id!, PatientScheduleSlots[1].Start!.Value, PatientScheduleSlots[1].End!.Value))
            : type == GlobalId.DeliveryType ? WebhookDeliveryId
            : IdOf(type) is { } id ? GlobalId.Encode(type, id) : null;

    /// <summary>A global id of the type that names nothing (for an option: a time on a schedule that does not exist).</summary>
    public string AbsentGlobalIdOf(string type) =>
        type == GlobalId.OptionType
            ? GlobalId.EncodeOption(new OfferedTime("no-such-schedule", PatientScheduleSlots[1].Start!.Value, PatientScheduleSlots[1].End!.Value))
            : type == GlobalId.DeliveryType ? GlobalId.EncodeDelivery(Webhook, "1-0")
            : GlobalId.Encode(type, "no-such-" + type.ToLowerInvariant());

    public static async Task<ExposurePractice> CreateAsync(IFhirStore store, GatewayServer gateway)
    {
        var none = CancellationToken.None;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var a = await BookingWorld.CreateAsync(store);
        var b = await BookingWorld.CreateAsync(store);
        var other = await store.CreateAsync(new Patient
        {
            Name = [new HumanName { Given = ["Hidden" + tag], Family = "Secretary" + tag }],
            Identifier = [new Identifier(MrnSystem, "MRN-" + tag.ToUpperInvariant())],
            BirthDate = "1931-02-" + (10 + (tag[0] % 18)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Gender = AdministrativeGender.Female,
            Telecom =
            [
                new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "+1-555-" + tag[..4]),
                new ContactPoint(ContactPoint.ContactPointSystem.Email, null, "hidden." + tag + "@example.org"),
            ],
        }, none);
        var service = await store.CreateAsync(new HealthcareService { Name = "Home visits " + tag, Active = true }, none);
        var schedule = await store.CreateAsync(new Schedule
        {
            Active = true,
            Actor =
            [
                new ResourceReference("Patient/" + other.Id), new ResourceReference("Practitioner/" + a.Practitioner.Id),
                new ResourceReference("Location/" + a.Location.Id), new ResourceReference("HealthcareService/" + service.Id),
            ],
            Comment = "Home care",
        }, none);
        var day = DateTimeOffset.UtcNow.Date.AddDays(4);
        var slots = new List<Slot>();
        for (var i = 0; i < 4; i++)
        {
            var start = new DateTimeOffset(day.Year, day.Month, day.Day, 9, 0, 0, TimeSpan.Zero).AddMinutes(30 * i);
            slots.Add(await store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + schedule.Id), Status = Slot.SlotStatus.Free, Start = start, End = start.AddMinutes(30),
            }, none));
        }

        var key = "key-" + tag;
        var booked = await gateway.QueryAsync("""
            mutation($slot: ID!, $patient: ID!, $key: String) {
              bookAppointment(input: { slotIds: [$slot], patientId: $patient, clientMutationId: $key }) { appointment { fhirId } errors { ... on Error { message } } }
            }
            """, new { slot = slots[0].Id, patient = other.Id, key }, TestTokens.Scheduler());
        var othersAppointment = booked.At("data.bookAppointment.appointment.fhirId")?.GetValue<string>() ?? throw new InvalidOperationException(booked.ToJsonString());

        var group = await store.CreateAsync(new Appointment
        {
            Status = Appointment.AppointmentStatus.Booked,
            Description = "Group session",
            Start = a.Slots[2].Start,
            End = a.Slots[2].End,
            Slot = [new ResourceReference("Slot/" + a.SlotId(2))],
            Participant =
            [
                new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + a.Patient.Id), Status = ParticipationStatus.Accepted },
                new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + other.Id), Status = ParticipationStatus.Accepted },
                new Appointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/" + a.Practitioner.Id), Status = ParticipationStatus.Accepted },
            ],
        }, none);
        var response = await store.CreateAsync(new AppointmentResponse
        {
            Appointment = new ResourceReference("Appointment/" + group.Id),
            Actor = new ResourceReference("Patient/" + other.Id),
            ParticipantStatus = ParticipationStatus.Accepted,
            Comment = "See you, " + other.Name[0].Family,
        }, none);
        // A webhook (admin-only configuration) with one attempt in its delivery log: Node types like the entities.
        var webhook = await store.CreateAsync(WebhookSubscriptions.New(new Uri("https://hooks.example.org/" + tag), [], "Exposure " + tag), none);
        var log = gateway.Services.GetRequiredService<IWebhookStore>();
        await log.AppendLogAsync(webhook.Id!, new WebhookAttempt("1-0", WebhookEvents.Name(WebhookEventType.AppointmentBooked), 1, WebhookOutcome.Delivered, 200, 5, null, DateTimeOffset.UtcNow, false), DateTimeOffset.UtcNow);
        var delivery = GlobalId.EncodeDelivery(webhook.Id!, (await log.ReadLogAsync(webhook.Id!, 1, null)).Items[0].Cursor);
        return new ExposurePractice(a, b, a.Patient, other, service, schedule, slots, othersAppointment, key, group.Id!, response.Id!, webhook.Id!, delivery);
    }

    /// <summary>
    /// Secrets of the other patient found in an answer; their ids count only where the caller did not send them. A
    /// refusal may echo an id the caller sent: in a top-level error, or in a mutation payload's typed errors.
    /// </summary>
    public IReadOnlyList<string> LeaksIn(JsonObject answer, string sent)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var text = answer.ToJsonString();
        var data = WithoutPayloadErrors(answer["data"]?.DeepClone())?.ToJsonString() ?? string.Empty;
        return
        [
            .. OthersSecrets.Where(s => text.Contains(s, StringComparison.Ordinal)),
            // An id sent in one form may be echoed in the other (a refusal names the FHIR id of the global id sent).
            .. OthersIdForms.SelectMany(forms => forms.Any(id => sent.Contains(id, StringComparison.Ordinal))
                ? forms.Where(id => data.Contains(id, StringComparison.Ordinal))
                : forms.Where(id => text.Contains(id, StringComparison.Ordinal))),
        ];
    }

    /// <summary>The data without the payloads' typed errors (objects whose __typename is an error type, in lists).</summary>
    private static JsonNode? WithoutPayloadErrors(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            foreach (var (_, value) in o.ToList())
            {
                WithoutPayloadErrors(value);
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var error in a.Where(i => i is JsonObject item && item["__typename"]?.GetValue<string>().EndsWith("Error", StringComparison.Ordinal) == true).ToList())
            {
                a.Remove(error);
            }

            foreach (var item in a)
            {
                WithoutPayloadErrors(item);
            }
        }

        return node;
    }
}
