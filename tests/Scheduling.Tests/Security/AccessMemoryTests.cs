using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Testing;

namespace Scheduling.Tests.Security;

/// <summary>
/// The per-operation memory of <see cref="AccessFieldMiddleware"/> (which records an operation showed,
/// and whether only inside a visible appointment): the same record instance, shown where access lets it through
/// (inside an appointment the caller takes part in), must be judged again where access refuses it (outside, through
/// any other field of the same operation), in every shape; and a record refused once is refused again.
/// </summary>
public sealed class AccessMemoryTests : IAsyncLifetime
{
    private GatewayServer _gateway = null!;

    public async System.Threading.Tasks.Task InitializeAsync() => _gateway = await GatewayServer.StartAsync();

    public async System.Threading.Tasks.Task DisposeAsync() => await _gateway.DisposeAsync();

    private static readonly Appointment Group = new()
    {
        Id = "group",
        Meta = new Meta { VersionId = "1" },
        Status = Appointment.AppointmentStatus.Booked,
        Participant =
        [
            new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/me") },
            new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/other") },
            new Appointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/doc") },
        ],
    };

    [Fact]
    public async System.Threading.Tasks.Task A_practitioners_answer_shown_inside_the_patients_appointment_is_refused_outside_it_in_the_same_operation()
    {
        var (operation, access) = Operation(new SchedulingCaller(CallerRole.Patient, "me", null));
        var answer = new AppointmentResponse
        {
            Id = "doc-answer", Meta = new Meta { VersionId = "1" }, Appointment = new ResourceReference("Appointment/group"),
            Actor = new ResourceReference("Practitioner/doc"), ParticipantStatus = ParticipationStatus.Accepted,
        };
        var middleware = new AccessFieldMiddleware();

        var inside = await middleware.ResolveAsync(Field(operation, access, source: Group), _ => ValueTask.FromResult<object?>(new List<AppointmentResponse> { answer }));
        Assert.Single(Items(inside)); // seen with the appointment

        foreach (var shape in Shapes(answer))
        {
            var outside = await middleware.ResolveAsync(Field(operation, access, source: new Schedule { Id = "s" }), _ => ValueTask.FromResult(shape.Value()));
            Assert.True(Items(outside).Count == 0, $"{shape.Name}: the answer shown inside the appointment came out outside it");
        }

        await Assert.ThrowsAsync<ForbiddenError>(async () =>
            await middleware.ResolveAsync(Field(operation, access, source: new Schedule { Id = "s" }), _ => ValueTask.FromResult<object?>(answer)));
    }

    [Fact]
    public async System.Threading.Tasks.Task A_co_patient_and_their_answer_are_never_shown_to_a_patient_however_often_they_come_in_one_operation()
    {
        var (operation, access) = Operation(new SchedulingCaller(CallerRole.Patient, "me", null));
        var other = new Patient { Id = "other", Meta = new Meta { VersionId = "1" } };
        var answer = new AppointmentResponse
        {
            Id = "other-answer", Meta = new Meta { VersionId = "1" }, Appointment = new ResourceReference("Appointment/group"),
            Actor = new ResourceReference("Patient/other"), ParticipantStatus = ParticipationStatus.Accepted,
        };
        var middleware = new AccessFieldMiddleware();
        for (var round = 0; round < 3; round++)
        {
            foreach (var source in new object?[] { Group, new Schedule { Id = "s" }, null })
            {
                var seen = await middleware.ResolveAsync(Field(operation, access, source), _ => ValueTask.FromResult<object?>(new List<Resource> { other, answer }));
                Assert.Empty(Items(seen));
            }
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task A_patient_shown_to_a_practitioner_inside_an_appointment_is_judged_again_outside_it()
    {
        // The practitioner has no appointment with this patient in the store: outside an appointment they may not see them.
        var (operation, access) = Operation(new SchedulingCaller(CallerRole.Practitioner, null, "doc-without-patients"));
        var stranger = new Patient { Id = "stranger-" + Guid.NewGuid().ToString("N")[..8], Meta = new Meta { VersionId = "1" } };
        var visit = new Appointment
        {
            Id = "visit", Meta = new Meta { VersionId = "1" }, Status = Appointment.AppointmentStatus.Booked,
            Participant = [new Appointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/doc-without-patients") }],
        };
        var middleware = new AccessFieldMiddleware();
        var inside = await middleware.ResolveAsync(Field(operation, access, source: visit), _ => ValueTask.FromResult<object?>(stranger));
        Assert.Same(stranger, inside);

        foreach (var shape in Shapes(stranger))
        {
            var outside = await middleware.ResolveAsync(Field(operation, access, source: new Schedule { Id = "s" }), _ => ValueTask.FromResult(shape.Value()));
            Assert.True(Items(outside).Count == 0, $"{shape.Name}: a patient shown inside an appointment came out outside it");
        }
    }

    private (OperationServices Operation, SchedulingAccess Access) Operation(SchedulingCaller caller)
    {
        var scope = _gateway.Services.CreateScope();
        var access = scope.ServiceProvider.GetRequiredService<SchedulingAccess>();
        access.Caller = caller;
        return (new OperationServices(scope.ServiceProvider, access), access);
    }

    private static IEnumerable<(string Name, Func<object?> Value)> Shapes(Resource resource) =>
    [
        ("list", () => new List<Resource> { resource }),
        ("nested list", () => new List<List<Resource>> { new() { resource } }),
        ("connection", () => Paging.Build(new List<Resource> { resource }, 0, 10, null)),
        ("edges", () => Paging.Build(new List<Resource> { resource }, 0, 10, null).Edges),
    ];

    private static List<object?> Items(object? value) => value switch
    {
        null => [],
        Resource r => [r],
        GraphQL.Types.Relay.DataObjects.Connection<Resource> c => [.. (c.Edges ?? []).Select(e => (object?)e.Node)],
        System.Collections.IEnumerable items => [.. items.Cast<object?>().SelectMany(i => i is Resource ? new List<object?> { i } : Items(i))],
        GraphQL.Types.Relay.DataObjects.Edge<Resource> e => [e.Node],
        _ => [value],
    };

    private static readonly ObjectGraphType Parent = new() { Name = "Schedule" };

    private static readonly GraphQL.Types.Schema QuerySchema = new() { Query = new ObjectGraphType { Name = "Query" } };

    private static ResolveFieldContext Field(OperationServices operation, SchedulingAccess access, object? source) => new()
    {
        ParentType = Parent,
        Schema = QuerySchema,
        Source = source,
        FieldDefinition = new FieldType { Name = "things", ResolvedType = new ListGraphType(new ObjectGraphType { Name = "Thing" }) },
        UserContext = new Dictionary<string, object?> { [OperationServices.UserContextKey] = operation, [SchedulingAccess.UserContextKey] = access },
        Errors = [],
        Path = ["things"],
        ResponsePath = ["things"],
        CancellationToken = CancellationToken.None,
    };
}
