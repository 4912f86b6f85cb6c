using System.Collections.Concurrent;
using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;
using StackExchange.Redis;

using static Scheduling.Tests.Subscriptions.RedisBusSteps;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// Clients resuming from the same event id (a reconnect storm after a network blip) read the history once, not once
/// each: what the instance's reader has read answers them without any Redis command, and what it has not (an id from
/// before this instance started reading) is one read of the stream that every client resuming from there at once
/// shares. Counted on a real redis-server's own command statistics; each client still gets exactly what it missed.
/// </summary>
public sealed class SharedReplayTests
{
    private const int Resumers = 100;

    [Fact]
    public async Task A_hundred_clients_resuming_from_an_id_the_reader_has_read_cost_Redis_no_history_read()
    {
        await using var redis = await RedisServer.StartAsync();
        using var connection = Connection(redis);
        using var bus = Bus(connection);
        var heard = new ConcurrentQueue<RecordedChange>();
        using var subscription = bus.Subscribe(heard.Enqueue);
        await ReadingAsync(bus, heard);
        for (var i = 0; i < 5; i++)
        {
            await bus.PublishAsync(Change("c" + i));
        }

        await UntilAsync(() => heard.Any(c => c.Change.Id == "c4"));
        var after = heard.Single(c => c.Change.Id == "c1").Id!.Value;

        var before = await HistoryCommandsAsync(connection);
        var histories = await Task.WhenAll(Enumerable.Range(0, Resumers).Select(_ => bus.ReadAfterAsync(after, CancellationToken.None)));
        var spent = await HistoryCommandsAsync(connection) - before;

        Assert.All(histories, h => Assert.Equal(["c2", "c3", "c4"], h.Changes.Select(c => c.Change.Id)));
        Assert.All(histories, h => Assert.Null(h.Refetch));
        // XINFO is only ever sent for a resuming client; the reader's own polls (every second) may add an XRANGE.
        Assert.True(spent.Info == 0 && spent.Range <= 2, $"{spent.Info} XINFO and {spent.Range} XRANGE for {Resumers} resuming clients");
    }

    [Fact]
    public async Task A_hundred_clients_resuming_from_before_the_reader_started_share_one_read_of_the_stream()
    {
        await using var redis = await RedisServer.StartAsync();
        using var connection = Connection(redis);
        var after = await EarlierChangesAsync(connection);

        // A new instance: its reader starts at the stream's end, so what came before is read from the stream.
        using var bus = Bus(connection);
        await Task.Delay(500);
        var before = await HistoryCommandsAsync(connection);
        // The clients arrive while the first one's read waits on Redis (held for a moment), as in a reconnect storm:
        // on a loaded machine the shared read could otherwise finish before the hundredth client asks, which then
        // starts a read of its own (seen once in CI: 2 XINFO).
        await PauseAsync(redis, TimeSpan.FromMilliseconds(1000));
        var histories = await Task.WhenAll(Enumerable.Range(0, Resumers).Select(_ => bus.ReadAfterAsync(after, CancellationToken.None)));
        var spent = await HistoryCommandsAsync(connection) - before;

        Assert.All(histories, h => Assert.Equal(["c2", "c3", "c4"], h.Changes.Select(c => c.Change.Id)));
        Assert.True(spent.Info == 1 && spent.Range <= 3, $"{spent.Info} XINFO and {spent.Range} XRANGE for {Resumers} resuming clients");
    }

    [Fact]
    public async Task A_history_read_stops_once_every_client_resuming_from_it_has_gone()
    {
        await using var redis = await RedisServer.StartAsync();
        using var connection = Connection(redis);
        var after = await EarlierChangesAsync(connection);
        using var bus = Bus(connection);
        await Task.Delay(500);

        using var monitor = await MonitorAsync(redis);
        await PauseAsync(redis, TimeSpan.FromMilliseconds(1500)); // the read's first command waits in Redis
        using var leaving = new CancellationTokenSource();
        var resuming = bus.ReadAfterAsync(after, leaving.Token);
        await Task.Delay(300);
        await leaving.CancelAsync(); // the client goes while its history is read
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resuming);
        await Task.Delay(2500); // Redis answers the read's XINFO

        Assert.Contains(monitor.Commands, c => c.Contains("\"XINFO\"", StringComparison.OrdinalIgnoreCase));
        // The reader's own polls read to the end ("+"); a history read names the head it reads up to.
        Assert.DoesNotContain(monitor.Commands, c => c.Contains("\"XRANGE\"", StringComparison.OrdinalIgnoreCase) && !c.Contains("\"+\"", StringComparison.Ordinal));

        // A client resuming from there afterwards gets its own read, and what it missed.
        var later = await bus.ReadAfterAsync(after, CancellationToken.None);
        Assert.Equal(["c2", "c3", "c4"], later.Changes.Select(c => c.Change.Id));
    }

    /// <summary>Five changes c0..c4 made through an instance that has gone; the id of c1.</summary>
    private static async Task<ChangeEventId> EarlierChangesAsync(RedisConnection connection)
    {
        using var earlier = Bus(connection);
        var heard = new ConcurrentQueue<RecordedChange>();
        using var subscription = earlier.Subscribe(heard.Enqueue);
        await ReadingAsync(earlier, heard);
        for (var i = 0; i < 5; i++)
        {
            await earlier.PublishAsync(Change("c" + i));
        }

        await UntilAsync(() => heard.Any(c => c.Change.Id == "c4"));
        return heard.Single(c => c.Change.Id == "c1").Id!.Value;
    }

    private readonly record struct Commands(long Info, long Range)
    {
        public static Commands operator -(Commands left, Commands right) => new(left.Info - right.Info, left.Range - right.Range);
    }

    /// <summary>The history commands Redis has run so far (its <c>INFO commandstats</c>).</summary>
    private static async Task<Commands> HistoryCommandsAsync(RedisConnection connection)
    {
        var server = connection.Multiplexer.GetServer(connection.Multiplexer.GetEndPoints()[0]);
        var stats = (await server.InfoAsync("commandstats")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        long Calls(string command) => stats.TryGetValue("cmdstat_" + command, out var value)
            ? long.Parse(value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture)
            : 0;
        return new Commands(Calls("xinfo|stream") + Calls("xinfo"), Calls("xrange"));
    }

    private static RedisConnection Connection(RedisServer redis) =>
        new(Options.Create(new RedisOptions { Configuration = redis.Configuration + ",allowAdmin=true", Stream = "replay" }));

    private static RedisChangeBus Bus(RedisConnection connection) =>
        new(connection, Options.Create(new RedisOptions { Stream = "replay" }), Options.Create(new ChangeHistoryOptions()), TimeProvider.System, NullLogger<RedisChangeBus>.Instance);
}
