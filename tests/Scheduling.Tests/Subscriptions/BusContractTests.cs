using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Subscriptions;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Scheduling.Tests.Subscriptions.RedisBusSteps;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// The bus contract (<see cref="IChangeBus.Subscribe"/>) as a model over random runs, for both buses: random writes,
/// subscribers and hub followers that throw at random changes, and over Redis a reader with a small page whose reads
/// fail at random points (before Redis is asked, and after it answered: the answer lost), most often in the middle of
/// a write. Whatever fails, every subscriber (the faulty ones too) receives every change once, in the stream's order,
/// each write's changes together counting down to the last; the hub's followers receive each change once, each write
/// together and in order; and no subscriber's fault reaches the publisher.
/// </summary>
public sealed class BusContractTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("in-process", 20)]
    [InlineData("redis", 3)]
    public async Task Every_subscriber_receives_every_change_of_every_write_once_in_order_whatever_fails(string bus, int runs)
    {
        for (var run = 0; run < runs; run++)
        {
            var seed = Random.Shared.Next();
            output.WriteLine($"{bus} run {run}: seed {seed}");
            await RunAsync(bus, seed);
        }
    }

    private static async Task RunAsync(string kind, int seed)
    {
        var random = new Random(seed);
        // 12 writes of 1 to 5 changes, 3 of them of 5: longer than a page, so each has a read that starts inside it.
        var sizes = Enumerable.Range(0, 12).Select(w => w < 3 ? 5 : random.Next(1, 6)).OrderBy(_ => random.Next()).ToList();
        var writes = sizes.Select((size, w) => Enumerable.Range(0, size).Select(j => $"s{seed}-w{w}-{j}").ToArray()).ToList();
        var faults = new ReadFaults(new Random(random.Next()), kind == "redis" ? 3 : 0);
        await using var redis = kind == "redis" ? await RedisBusUnderTest.StartAsync("contract", page: random.Next(1, 4), reads: faults.Around) : null;
        IChangeBus bus = redis is not null ? redis.Bus : new InProcessChangeBus(Options.Create(new ChangeHistoryOptions()), TimeProvider.System);
        using var hub = redis is null ? new ChangeHub(bus, new GatewayInstance(), TimeProvider.System, NullLogger<ChangeHub>.Instance) : null;
        var followingHub = redis?.Hub ?? hub!;

        var faulty = new Receiver<RecordedChange>(c => c.Change.Id, new Random(random.Next()));
        var clean = new Receiver<RecordedChange>(c => c.Change.Id, null);
        var faultyFollower = new Receiver<ResourceEvent>(e => e.Id, new Random(random.Next()));
        var cleanFollower = new Receiver<ResourceEvent>(e => e.Id, null);
        using var s1 = bus.Subscribe(faulty.Receive);
        using var s2 = bus.Subscribe(clean.Receive);
        using var f1 = followingHub.Follow(faultyFollower.Receive);
        using var f2 = followingHub.Follow(cleanFollower.Receive);

        foreach (var write in writes)
        {
            var published = await Record.ExceptionAsync(() => bus.PublishAllAsync([.. write.Select(Change)]));
            Assert.True(published is null, $"seed {seed}: a subscriber's fault reached the publisher: {published}");
        }

        var all = writes.SelectMany(w => w).ToHashSet();
        await UntilAsync(() => all.IsSubsetOf(clean.Ids) && all.IsSubsetOf(cleanFollower.Ids));
        foreach (var receiver in new[] { faulty, clean })
        {
            var mine = receiver.Items.Where(c => all.Contains(c.Change.Id)).ToList();
            Assert.True(mine.Select(c => c.Change.Id).Order().SequenceEqual(all.Order()), $"seed {seed}: received {string.Join(", ", mine.Select(c => c.Change.Id))}");
            Assert.True(mine.Zip(mine.Skip(1)).All(p => p.First.Id < p.Second.Id), $"seed {seed}: not in the stream's order");
            WriteBoundaryTests.AssertWritesHandedOnTogether(mine, writes);
        }

        foreach (var follower in new[] { faultyFollower, cleanFollower })
        {
            var ids = follower.Items.Select(e => e.Id).Where(all.Contains).ToList();
            Assert.True(ids.Order().SequenceEqual(all.Order()), $"seed {seed}: followed {string.Join(", ", ids)}");
            Assert.All(writes, w => Assert.True(ids.Skip(ids.IndexOf(w[0])).Take(w.Length).SequenceEqual(w), $"seed {seed}: the write {string.Join(", ", w)} was not followed together"));
        }

        Assert.True(faulty.Threw > 0 && faultyFollower.Threw > 0, $"seed {seed}: the faulty handlers never threw");
        Assert.True(faults.Made == faults.Planned, $"seed {seed}: {faults.Made} of {faults.Planned} read faults made");
    }

    /// <summary>A handler that keeps what it receives and, given a random, throws after receiving about a third of it.</summary>
    private sealed class Receiver<T>(Func<T, string> id, Random? faults)
    {
        private readonly ConcurrentQueue<T> _items = new();

        public IReadOnlyList<T> Items => [.. _items];

        public IReadOnlySet<string> Ids => _items.Select(id).ToHashSet();

        public int Threw { get; private set; }

        public void Receive(T item)
        {
            _items.Enqueue(item);
            if (faults is not null && faults.Next(3) == 0)
            {
                Threw++;
                throw new InvalidOperationException("a subscriber's fault");
            }
        }
    }

    /// <summary>
    /// The reader's reads, failing at the first <see cref="Planned"/> reads that start inside a write (the last page
    /// ended in the middle of one), retries included: at random before Redis is asked or after it answered (the answer
    /// lost).
    /// </summary>
    private sealed class ReadFaults(Random random, int planned)
    {
        private bool _midWrite;

        public int Planned => planned;

        public int Made { get; private set; }

        public StreamPageRead Around(StreamPageRead read) => async (db, stream, from, count) =>
        {
            var fail = _midWrite && Made < planned;
            if (fail && random.Next(2) == 0)
            {
                Made++;
                throw new RedisConnectionException(ConnectionFailureType.SocketFailure, CommandFlags.None, "a fault before the read", null, CommandStatus.WaitingToBeSent);
            }

            var page = await read(db, stream, from, count);
            if (fail)
            {
                Made++;
                throw new RedisTimeoutException(CommandFlags.None, "a fault after the read: its answer is lost", CommandStatus.Sent);
            }

            _midWrite = page.Length > 0 && page[^1]["rest"] is { IsNull: false } rest && (int)rest > 0;
            return page;
        };
    }
}
