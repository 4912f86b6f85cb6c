using System.Collections.Concurrent;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Instrumentation;
using GraphQL.Types;
using GraphQL.Types.Relay.DataObjects;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Planning;
using Scheduling.Testing;

namespace Scheduling.Tests.Schema;

/// <summary>
/// The per-field work of an operation is per operation or per object, not per field (issue 14): the services every field
/// reaches are resolved from the request's scope once per operation, and each resource instance is judged against FHIR
/// R4's cardinality once per operation, whichever and however many fields hand it out, in every shape they hand it out;
/// a field whose resources were all judged whole costs no allocation.
/// </summary>
public sealed class PerOperationChecksTests : IAsyncLifetime
{
    private static readonly Type[] PerFieldServices =
        [typeof(ResourceByIdDataLoader), typeof(ReferencingResourcesDataLoader), typeof(IFhirStore), typeof(SchedulingAccess), typeof(QueryPlanner)];

    private readonly ConcurrentDictionary<Type, int> _resolved = new();
    private GatewayServer _gateway = null!;

    public async System.Threading.Tasks.Task InitializeAsync() =>
        _gateway = await GatewayServer.StartAsync(services: services =>
            services.AddSingleton<IStartupFilter>(new CountingRequestServices(_resolved)));

    public async System.Threading.Tasks.Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async System.Threading.Tasks.Task The_services_every_field_reaches_are_resolved_once_per_operation()
    {
        _resolved.Clear();
        var response = await _gateway.QueryAsync("""
            { practitioner(id: "alice-smith") { displayName
                schedules { nodes { id slots(first: 200) { nodes { start end status
                  appointments { nodes { status patient { displayName } } } } } } } } }
            """);

        Assert.True(response["errors"] is null, response["errors"]?.ToJsonString());
        var slots = response.At("data.practitioner.schedules.nodes")!.AsArray().SelectMany(s => s!.At("slots.nodes")!.AsArray()).ToList();
        Assert.True(slots.Count > 5, $"only {slots.Count} slots: too few fields to tell per field from per operation");
        Assert.True(slots.Any(s => s!.At("appointments.nodes")!.AsArray().Count > 0), "no slot with an appointment");
        foreach (var type in PerFieldServices)
        {
            Assert.True(_resolved.GetValueOrDefault(type) <= 1, $"{type.Name} resolved {_resolved.GetValueOrDefault(type)} times in one operation");
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Each_resource_is_walked_once_per_operation_and_dropped_with_an_error_from_every_shape_that_hands_it_out()
    {
        using var scope = _gateway.Services.CreateScope();
        var operation = new OperationServices(scope.ServiceProvider, scope.ServiceProvider.GetRequiredService<SchedulingAccess>());
        Slot[] whole = [Whole("a"), Whole("b"), Whole("c")];
        var broken = new Slot { Id = "broken", Status = Slot.SlotStatus.Free, Schedule = new ResourceReference("Schedule/s") }; // no start, no end
        var middleware = new CardinalityFieldMiddleware();
        var shapes = new (string Shape, Func<object?> Value, Func<object?, IReadOnlyList<Slot>> Kept)[]
        {
            ("list", () => new List<Slot>([.. whole, broken]), v => [.. Items(v).Cast<Slot>()]),
            ("nested list", () => new List<List<Slot>> { new([whole[0], broken]), new([.. whole[1..]]) }, v => [.. Items(v).SelectMany(l => Items(l).Cast<Slot>())]),
            ("connection", () => Paging.Build([.. whole, broken], 0, 10, null), v => [.. ((Connection<Slot>)v!).Edges!.Select(e => e.Node!)]),
            ("edges", () => Paging.Build([.. whole, broken], 0, 10, null).Edges, v => [.. Items(v).Cast<Edge<Slot>>().Select(e => e.Node!)]),
        };

        for (var round = 0; round < 2; round++)
        {
            foreach (var (shape, value, kept) in shapes)
            {
                var context = Field(operation);
                var result = await middleware.ResolveAsync(context, _ => ValueTask.FromResult(value()));
                Assert.Equal(whole.Select(s => s.Id), kept(result).Select(s => s.Id).Order());
                var error = Assert.IsType<UpstreamResourceError>(Assert.Single(context.Errors));
                Assert.Equal("Slot/broken", error.Reference);
                Assert.True(error.Missing.Contains("Slot.start"), shape);
            }

            var alone = Field(operation);
            await Assert.ThrowsAsync<UpstreamResourceError>(async () => await middleware.ResolveAsync(alone, _ => ValueTask.FromResult<object?>(broken)));
            Assert.Same(whole[0], await middleware.ResolveAsync(Field(operation), _ => ValueTask.FromResult<object?>(whole[0])));
        }

        // 5 shapes (and a repeat of them all) handed out these 4 instances: each walked once.
        Assert.Equal(4, operation.Verdicts.Walks);

        // A new version of an instance is a new resource to judge.
        whole[0].Meta = new Meta { VersionId = "2" };
        await middleware.ResolveAsync(Field(operation), _ => ValueTask.FromResult<object?>(whole[0]));
        Assert.Equal(5, operation.Verdicts.Walks);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_field_whose_resources_were_all_judged_whole_allocates_nothing()
    {
        using var scope = _gateway.Services.CreateScope();
        var operation = new OperationServices(scope.ServiceProvider, scope.ServiceProvider.GetRequiredService<SchedulingAccess>());
        var middleware = new CardinalityFieldMiddleware();
        var slots = Enumerable.Range(0, 20).Select(i => Whole("s" + i)).ToList();
        object?[] values = [slots, slots[0], Paging.Build(slots, 0, 50, null), new List<List<Slot>> { slots }, new Appointment.ParticipantComponent(), null];
        var context = Field(operation);
        var next = values.Select(v => (FieldMiddlewareDelegate)(_ => ValueTask.FromResult(v))).ToList();
        foreach (var deliver in next)
        {
            await middleware.ResolveAsync(context, deliver); // judged here, once
        }

        // What the middleware adds to the field's own resolution (measured the same way, without it).
        var withIt = Allocated(deliver => middleware.ResolveAsync(context, deliver));
        var without = Allocated(deliver => deliver(context));
        Assert.True(withIt.SequenceEqual(without), $"bytes allocated per shape, 100 times each: {string.Join(", ", withIt)} with the middleware, {string.Join(", ", without)} without");

        long[] Allocated(Func<FieldMiddlewareDelegate, ValueTask<object?>> resolve)
        {
            var allocated = new long[next.Count];
            for (var i = 0; i < 100; i++)
            {
                for (var n = 0; n < next.Count; n++)
                {
                    var before = GC.GetAllocatedBytesForCurrentThread();
                    var pending = resolve(next[n]);
                    allocated[n] += GC.GetAllocatedBytesForCurrentThread() - before;
                    Assert.True(pending.IsCompletedSuccessfully);
                }
            }

            return allocated;
        }

        Assert.Equal(slots.Count, operation.Verdicts.Walks);
        Assert.Empty(context.Errors);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_scalar_field_passes_through_both_middlewares_without_an_allocation_for_a_caller_whose_records_are_checked()
    {
        using var scope = _gateway.Services.CreateScope();
        var access = scope.ServiceProvider.GetRequiredService<SchedulingAccess>();
        access.Caller = SchedulingAccess.OfferedAs("me"); // a patient: the access middleware checks what fields hand out
        var operation = new OperationServices(scope.ServiceProvider, access);
        var context = Field(operation);
        context.FieldDefinition = new FieldType { Name = "comment", ResolvedType = new StringGraphType() };
        context.UserContext[SchedulingAccess.UserContextKey] = access;
        var cardinality = new CardinalityFieldMiddleware();
        var checking = new AccessFieldMiddleware();
        object?[] values = ["a comment", new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero), 3, null];
        var resolvers = values.Select(v => (FieldMiddlewareDelegate)(_ => ValueTask.FromResult(v))).ToList();
        var chains = resolvers.Select(resolver => (FieldMiddlewareDelegate)(c => checking.ResolveAsync(c, resolver))).ToList();
        for (var n = 0; n < values.Length; n++)
        {
            Assert.Equal(values[n], await cardinality.ResolveAsync(context, chains[n])); // first use: the field's facts decided
        }

        long allocated = 0;
        for (var i = 0; i < 100; i++)
        {
            for (var n = 0; n < values.Length; n++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                var pending = cardinality.ResolveAsync(context, chains[n]);
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(pending.IsCompletedSuccessfully);
                Assert.Equal(values[n], await pending);
            }
        }

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void An_instance_memo_answers_each_instance_with_its_own_value_while_threads_add_to_it_and_grow_it()
    {
        var memo = new InstanceMemo<string>();
        var keys = Enumerable.Range(0, 20_000).Select(i => new Slot { Id = "s" + i }).ToArray();
        var values = keys.Select(k => k.Id!).ToArray();
        var wrong = 0;
        Parallel.For(0, 4, thread =>
        {
            for (var i = thread; i < keys.Length; i += 4)
            {
                memo.Set(keys[i], values[i]);
                for (var j = Math.Max(0, i - 64); j <= i; j++)
                {
                    if (memo.TryGet(keys[j], out var found) && !ReferenceEquals(found, values[j]))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
        });

        Assert.Equal(0, wrong);

        // Set with no other thread racing: every instance is kept, and a replaced value is the one found.
        foreach (var (key, value) in keys.Zip(values))
        {
            memo.Set(key, value);
        }

        memo.Set(keys[7], "replaced");
        Assert.All(keys.Zip(values).Skip(8), kv => Assert.True(memo.TryGet(kv.First, out var found) && ReferenceEquals(found, kv.Second), kv.Second));
        Assert.True(memo.TryGet(keys[7], out var replaced) && replaced == "replaced");
        Assert.False(memo.TryGet(new Slot { Id = "s1" }, out _)); // an equal resource is another instance
        memo.Clear();
        Assert.False(memo.TryGet(keys[1], out _));
    }

    private static IEnumerable<object?> Items(object? list) => ((System.Collections.IEnumerable)list!).Cast<object?>();

    private static Slot Whole(string id) => new()
    {
        Id = id,
        Status = Slot.SlotStatus.Free,
        Schedule = new ResourceReference("Schedule/s"),
        Start = new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero),
        End = new DateTimeOffset(2026, 1, 5, 9, 30, 0, TimeSpan.Zero),
    };

    private static readonly ObjectGraphType Parent = new() { Name = "Schedule" };

    private static readonly GraphQL.Types.Schema QuerySchema = new() { Query = new ObjectGraphType { Name = "Query" } };

    /// <summary>A field of an object type (one that can hold resources) in an operation started with these services.</summary>
    private static ResolveFieldContext Field(OperationServices operation) => new()
    {
        ParentType = Parent,
        Schema = QuerySchema,
        FieldDefinition = new FieldType { Name = "slots", ResolvedType = new ListGraphType(new ObjectGraphType { Name = "Slot" }) },
        UserContext = new Dictionary<string, object?> { [OperationServices.UserContextKey] = operation },
        Errors = [],
        Path = ["slots"],
        ResponsePath = ["slots"],
    };

    /// <summary>Counts what the request's services are asked for, by whatever asks (resolvers, middlewares, the pipeline).</summary>
    private sealed class CountingRequestServices(ConcurrentDictionary<Type, int> resolved) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, following) =>
            {
                http.RequestServices = new CountingProvider(http.RequestServices, resolved);
                return following(http);
            });
            next(app);
        };
    }

    private sealed class CountingProvider(IServiceProvider inner, ConcurrentDictionary<Type, int> resolved) : IServiceProvider, IKeyedServiceProvider
    {
        public object? GetService(Type serviceType)
        {
            if (PerFieldServices.Contains(serviceType))
            {
                resolved.AddOrUpdate(serviceType, 1, (_, n) => n + 1);
            }

            return inner.GetService(serviceType);
        }

        public object? GetKeyedService(Type serviceType, object? serviceKey) => ((IKeyedServiceProvider)inner).GetKeyedService(serviceType, serviceKey);

        public object GetRequiredKeyedService(Type serviceType, object? serviceKey) => ((IKeyedServiceProvider)inner).GetRequiredKeyedService(serviceType, serviceKey);
    }
}
