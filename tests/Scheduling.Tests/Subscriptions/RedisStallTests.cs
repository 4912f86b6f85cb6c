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

    /// <summary>
    /// The reader reads two entries at a time; a write of five is published, and just before the read that starts
    /// inside it (its first two entries read, the reader's position past them) Redis stalls: that read times out for
    /// real, and is retried until Redis answers. The subscriber receives all five, once, together, counting down.
    /// </summary>
    [Fact]
    public async Task A_read_that_times_out_in_the_middle_of_a_write_loses_none_of_its_changes()
    {
        Func<Task> stall = () => Task.CompletedTask;
        var (midWrite, timedOut) = (false, 0);
        await using var test = await RedisBusUnderTest.StartAsync("midwrite", page: 2, configuration: ",asyncTimeout=300,syncTimeout=300", reads: read => async (db, stream, from, count) =>
        {
            if (midWrite && timedOut == 0)
            {
                await stall();
            }

            try
            {
                var page = await read(db, stream, from, count);
                midWrite = page.Length > 0 && page[^1]["rest"] is { IsNull: false } rest && (int)rest > 0;
                return page;
            }
            catch (RedisTimeoutException)
            {
                timedOut++;
                throw;
            }
        });
        stall = () => PauseAsync(test.Redis, TimeSpan.FromMilliseconds(2500)); // longer than the client's timeout check (its heartbeat, every second) takes to see it

        string[] write = ["m1", "m2", "m3", "m4", "m5"];
        await test.Bus.PublishAllAsync([.. write.Select(Change)]);
        await UntilAsync(() => test.Followed.Contains("m5"));

        Assert.True(timedOut > 0, "no read timed out in the middle of the write");
        var heard = test.Heard.Where(c => c.Change.Id.StartsWith('m')).ToList();
        Assert.Equal(write, heard.Select(c => c.Change.Id));
        WriteBoundaryTests.AssertWritesHandedOnTogether(heard, [write]);
        Assert.Equal(write, test.Followed.Where(id => id.StartsWith('m')));
    }

    private static readonly RedisOptions Stalling = new() { Stream = "stall-" + Guid.NewGuid().ToString("N") };

    private static RedisConnection Connection(RedisServer redis) =>
        new(Options.Create(new RedisOptions { Configuration = redis.Configuration + ",asyncTimeout=300,syncTimeout=300", Stream = Stalling.Stream }));

    private static RedisChangeBus Bus(RedisConnection connection) =>
        new(connection, Options.Create(Stalling), Options.Create(new ChangeHistoryOptions()), TimeProvider.System, NullLogger<RedisChangeBus>.Instance);
}
