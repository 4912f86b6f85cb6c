using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Tests.Subscriptions;

/// <summary>Steps the tests of the Redis change bus share: a change to publish, a reader at the stream's end, a wait.</summary>
internal static class RedisBusSteps
{
    public static ResourceChange Change(string id) =>
        ResourceChange.From(new Appointment { Id = id, Meta = new Meta { VersionId = "1", LastUpdated = DateTimeOffset.UtcNow }, Status = Appointment.AppointmentStatus.Booked }, ChangeKind.Updated, "test");

    /// <summary>Once the bus's reader stands at the stream's end (a new reader starts there: what came before is history).</summary>
    public static async Task ReadingAsync(RedisChangeBus bus, ConcurrentQueue<RecordedChange> heard)
    {
        for (var i = 0; i < 50 && !heard.Any(c => c.Change.Id.StartsWith("warm", StringComparison.Ordinal)); i++)
        {
            await bus.PublishAsync(Change("warm" + i));
            await Task.Delay(200);
        }
    }

    public static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(condition(), "not within 10 s");
    }
}
