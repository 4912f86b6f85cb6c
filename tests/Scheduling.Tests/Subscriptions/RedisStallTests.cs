using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;
using StackExchange.Redis;

using static Scheduling.Tests.Subscriptions.RedisBusSteps;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// Under load Redis commands time out (thread-pool starvation, a busy server), and StackExchange.Redis reports that
/// with a <see cref="RedisTimeoutException"/>, which is no <see cref="RedisException"/>. A timeout must not stop an
/// instance from delivering: its change-stream reader carries on once Redis answers (the change arrives late, not
/// never), and a change whose recording timed out still reaches this instance's subscribers at once (without an id).
/// A client that may have missed that change when it resumes is told to refetch.
/// Redis is made to stall with <c>CLIENT PAUSE</c>; the bus gives up on a command after 300 ms.
/// </summary>
public sealed class RedisStallTests
{
    [Fact]
    public async Task A_read_that_times_out_does_not_stop_the_reader_and_later_changes_still_arrive()
    {
        await using var redis = await RedisServer.StartAsync();
        using var connection = Connection(redis);
        using var bus = Bus(connection);
        var heard = new ConcurrentQueue<RecordedChange>();
        using var subscription = bus.Subscribe(heard.Enqueue);
        await ReadingAsync(bus, heard);
        await bus.PublishAsync(Change("before"));
        await UntilAsync(() => heard.Any(c => c.Change.Id == "before"));

        // Redis stalls for 2.5 s: the reader's polls (every second) time out meanwhile.
        await PauseAsync(redis, TimeSpan.FromMilliseconds(2500));
        await Task.Delay(3000);

        await bus.PublishAsync(Change("after"));
        await UntilAsync(() => heard.Any(c => c.Change.Id == "after"));
        Assert.NotNull(heard.Single(c => c.Change.Id == "after").Id); // read back from the stream, with its id
    }

    [Fact]
    public async Task A_change_whose_recording_times_out_still_reaches_this_instance()
    {
        await using var redis = await RedisServer.StartAsync();
        using var connection = Connection(redis);
        using var bus = Bus(connection);
        var heard = new ConcurrentQueue<RecordedChange>();
        using var subscription = bus.Subscribe(heard.Enqueue);
        await ReadingAsync(bus, heard);
        await bus.PublishAsync(Change("before"));
        await UntilAsync(() => heard.Any(c => c.Change.Id == "before"));

        await PauseAsync(redis, TimeSpan.FromMilliseconds(3000));
        await bus.PublishAsync(Change("during")); // times out: delivered here at once, without an id
        Assert.Contains(heard, c => c.Change.Id == "during" && c.Id is null);

        // A client whose last event was the stream's head then ("before": nothing recorded since) may have missed
        // "during", which no replay can give: once Redis answers again, it is told to refetch, not handed nothing.
        var last = heard.Single(c => c.Change.Id == "before").Id!.Value;
        await Task.Delay(3200);
        var history = await bus.ReadAfterAsync(last, CancellationToken.None);
        Assert.Equal(last, history.Head);
        Assert.Equal(RefetchReason.Expired, history.Refetch);
    }

    private static readonly RedisOptions Stalling = new() { Stream = "stall-" + Guid.NewGuid().ToString("N") };

    private static RedisConnection Connection(RedisServer redis) =>
        new(Options.Create(new RedisOptions { Configuration = redis.Configuration + ",asyncTimeout=300,syncTimeout=300", Stream = Stalling.Stream }));

    private static RedisChangeBus Bus(RedisConnection connection) =>
        new(connection, Options.Create(Stalling), Options.Create(new ChangeHistoryOptions()), TimeProvider.System, NullLogger<RedisChangeBus>.Instance);
}
