using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;
using StackExchange.Redis;
using static Scheduling.Tests.Subscriptions.RedisBusSteps;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// A real Redis, a bus on a stream of its own with a hub over it, what the bus delivered (<see cref="Heard"/>) and the
/// ids the hub's followers received (<see cref="Followed"/>); started with the bus's reader at the stream's end.
/// </summary>
internal sealed class RedisBusUnderTest : IAsyncDisposable
{
    private readonly List<IDisposable> _owned = [];

    private RedisBusUnderTest(RedisServer redis, string stream)
    {
        Redis = redis;
        Stream = stream;
    }

    public RedisServer Redis { get; }

    public string Stream { get; }

    public RedisConnection Connection { get; private set; } = null!;

    public RedisChangeBus Bus { get; private set; } = null!;

    public ChangeHub Hub { get; private set; } = null!;

    public ConcurrentQueue<RecordedChange> Heard { get; } = new();

    public ConcurrentQueue<string> Followed { get; } = new();

    /// <param name="name">The stream's name (made unique).</param>
    /// <param name="page">How many entries the reader reads at once.</param>
    /// <param name="reads">What the reader's reads go through (the real read is given): where a test puts its faults.</param>
    /// <param name="configuration">Added to the connection's configuration (e.g. a short command timeout).</param>
    public static async Task<RedisBusUnderTest> StartAsync(string name, int page = 500, Func<StreamPageRead, StreamPageRead>? reads = null, string configuration = "")
    {
        var redis = await RedisServer.StartAsync();
        var test = new RedisBusUnderTest(redis, name + "-" + Guid.NewGuid().ToString("N"));
        test.Connection = test.Own(new RedisConnection(Options.Create(new RedisOptions { Configuration = redis.Configuration + configuration, Stream = test.Stream })));
        StreamPageRead read = (db, stream, from, count) => db.StreamRangeAsync(stream, from, "+", count);
        test.Bus = test.Own(new RedisChangeBus(test.Connection, Options.Create(new RedisOptions { Stream = test.Stream, Channel = test.Stream }),
            Options.Create(new ChangeHistoryOptions()), TimeProvider.System, NullLogger<RedisChangeBus>.Instance, page, reads is null ? read : reads(read)));
        test.Hub = test.Own(new ChangeHub(test.Bus, new GatewayInstance(), TimeProvider.System, NullLogger<ChangeHub>.Instance, Options.Create(new ChangeHistoryOptions())));
        test.Own(test.Bus.Subscribe(test.Heard.Enqueue));
        await ReadingAsync(test.Bus, test.Heard);
        test.Own(test.Hub.Follow(e => test.Followed.Enqueue(e.Id)));
        return test;
    }

    /// <summary>
    /// One write added by hand as a gateway adds it (one MULTI/EXEC, each entry saying how many follow it), an entry
    /// unreadable where its id is null (no gateway writes one).
    /// </summary>
    public async Task WriteByHandAsync(params string?[] ids)
    {
        var transaction = Connection.Multiplexer.GetDatabase().CreateTransaction();
        var added = ids.Select((id, i) => transaction.StreamAddAsync(Stream,
            [new NameValueEntry("change", id is null ? "{not json" : JsonSerializer.Serialize(Change(id))), new NameValueEntry("rest", ids.Length - 1 - i)])).ToList();
        Assert.True(await transaction.ExecuteAsync());
        await Task.WhenAll(added);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        await Redis.DisposeAsync();
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
