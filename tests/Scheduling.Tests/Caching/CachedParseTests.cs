using Hl7.Fhir.Model;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Caching;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Caching;

/// <summary>
/// A warm hit of <see cref="FhirResourceCache"/> is a copy of one parse of the cached text, not a parse of its own:
/// equal to a fresh parse, a new object each time, and nothing a handler does to it reaches the cache or the next hit.
/// </summary>
public sealed class CachedParseTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().AddHybridCache().Services.BuildServiceProvider();

    private FhirResourceCache NewCache() => new(
        _services.GetRequiredService<HybridCache>(),
        Options.Create(new CacheOptions()),
        Options.Create(new FhirOptions { BaseUrl = "http://fhir.test/fhir" }),
        NullLogger<FhirResourceCache>.Instance);

    private static Schedule Schedule(string comment) => new()
    {
        Id = "sch-1",
        Meta = new Meta { VersionId = "3", LastUpdated = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) },
        Active = true,
        Actor = [new ResourceReference("Practitioner/dr-1", "Dr. One"), new ResourceReference("Location/room-2")],
        PlanningHorizon = new Period { Start = "2026-01-01T00:00:00Z", End = "2026-12-31T00:00:00Z" },
        Comment = comment,
        Extension = [new Extension("http://example.org/ext", new FhirString("kept"))],
    };

    private static readonly FhirReference Key = new("Schedule", "sch-1");

    [Fact]
    public async System.Threading.Tasks.Task Warm_hits_are_new_objects_equal_to_a_fresh_parse()
    {
        var cache = NewCache();
        var stored = Schedule("first");
        await cache.SetAsync(stored, CancellationToken.None);

        var first = await cache.GetAsync(Key, CancellationToken.None);
        var second = await cache.GetAsync(Key, CancellationToken.None);

        var fresh = FhirJson.Parse(FhirJson.Serialize(stored));
        Assert.True(fresh.IsExactly(first), "the first hit differs from a fresh parse");
        Assert.True(fresh.IsExactly(second), "the second hit differs from a fresh parse");
        Assert.NotSame(first, second);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_change_to_a_hit_reaches_neither_the_cache_nor_the_next_hit()
    {
        var cache = NewCache();
        await cache.SetAsync(Schedule("first"), CancellationToken.None);

        var hit = (Schedule)(await cache.GetAsync(Key, CancellationToken.None))!;
        hit.Comment = "changed by a handler";
        hit.Actor.Clear();
        hit.Meta!.VersionId = "99";
        var extension = (FhirString?)hit.Extension[0].Value;
        extension!.Value = "changed";

        var next = await cache.GetAsync(Key, CancellationToken.None);
        Assert.True(FhirJson.Parse(FhirJson.Serialize(Schedule("first"))).IsExactly(next), "a change to one hit reached the next");
    }

    [Fact]
    public async System.Threading.Tasks.Task A_replaced_entry_is_read_as_replaced()
    {
        var cache = NewCache();
        await cache.SetAsync(Schedule("first"), CancellationToken.None);
        await cache.GetAsync(Key, CancellationToken.None);

        await cache.SetAsync(Schedule("second"), CancellationToken.None);

        Assert.Equal("second", ((Schedule)(await cache.GetAsync(Key, CancellationToken.None))!).Comment);
        await cache.RemoveAsync(Key, CancellationToken.None);
        Assert.Null(await cache.GetAsync(Key, CancellationToken.None));
    }

    public void Dispose() => _services.Dispose();
}
