using CsCheck;
using GraphQL;
using GraphQL.SystemTextJson;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// Members join and leave a group in O(1) amortized: thousands connecting at once (a reconnect storm) cost about as
/// much as thousands of appends, not a copy of the group per join (O(n²) at connect time). Counted in bytes
/// allocated, which the old copy-on-join made grow with the square of the members. And whatever the order of joins
/// and leaves, an event reaches exactly the members present, each once.
/// </summary>
public sealed class SubscriptionGroupMembershipTests
{
    [Fact]
    public async Task Joining_and_leaving_twenty_thousand_members_allocates_in_proportion_to_them_not_their_square()
    {
        const int Members = 20_000;
        await using var services = new ServiceCollection().BuildServiceProvider();
        using var stop = new CancellationTokenSource();
        var group = Group(services, stop);
        var observers = Enumerable.Range(0, Members).Select(_ => new Counting()).ToArray();
        var leaves = new IDisposable[Members];

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Members; i++)
        {
            leaves[i] = group.Add(observers[i]);
        }

        var joining = GC.GetAllocatedBytesForCurrentThread() - before;
        group.OnNext(Event(1));
        Assert.All(observers, o => Assert.Equal(1, o.Received));

        // Leave in an order that is neither the joining order nor its reverse.
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Members; i++)
        {
            leaves[(int)((i * 7919L) % Members)].Dispose();
        }

        var leaving = GC.GetAllocatedBytesForCurrentThread() - before;
        group.OnNext(Event(2));
        Assert.All(observers, o => Assert.Equal(1, o.Received));

        // A copy of the member array per join is 8 bytes × (1 + 2 + … + n): 80 KB per member here.
        Assert.True(joining < Members * 512L, $"{joining / Members} bytes per join");
        Assert.True(leaving < Members * 512L, $"{leaving / Members} bytes per leave");
    }

    [Fact]
    public async Task Whatever_the_joins_and_leaves_an_event_reaches_exactly_the_members_present_once_each()
    {
        await using var services = new ServiceCollection().BuildServiceProvider();
        // Operations: a positive number joins a new member, a negative one makes the (n mod present)-th present one leave; 0 sends an event.
        Gen.Int[-50, 50].Array[1, 200].Sample(steps =>
        {
            using var stop = new CancellationTokenSource();
            var group = Group(services, stop);
            var present = new List<(Counting Member, IDisposable Leave)>();
            var gone = new List<Counting>();
            var sent = 0;
            foreach (var step in steps)
            {
                if (step > 0)
                {
                    var member = new Counting();
                    present.Add((member, group.Add(member)));
                }
                else if (step < 0 && present.Count > 0)
                {
                    var at = -step % present.Count;
                    present[at].Leave.Dispose();
                    present[at].Leave.Dispose(); // twice: the second is nothing
                    gone.Add(present[at].Member);
                    present.RemoveAt(at);
                }
                else
                {
                    var expected = present.Select(p => p.Member.Received + 1).ToList();
                    var absent = gone.Select(g => g.Received).ToList();
                    group.OnNext(Event(++sent));
                    Assert.Equal(expected, present.Select(p => p.Member.Received));
                    Assert.Equal(absent, gone.Select(g => g.Received));
                }
            }
        });
    }

    private static SubscriptionGroup Group(IServiceProvider services, CancellationTokenSource stop)
    {
        var serializer = new GraphQLSerializer();
        var groups = new SubscriptionGroups(services.GetRequiredService<IServiceScopeFactory>(), serializer, Options.Create(new FhirOptions()), Options.Create(new SubscriptionOptions()));
        return new SubscriptionGroup(groups, "key", Task.FromResult<SubscriptionGroup?>(null), "field", services.CreateAsyncScope(), stop, serializer);
    }

    private static ExecutionResult Event(int n) => new() { Executed = true, Data = new Dictionary<string, object?> { ["n"] = n } };

    private sealed class Counting : IObserver<ExecutionResult>
    {
        public int Received { get; private set; }

        public void OnNext(ExecutionResult value) => Received++;

        public void OnError(Exception error)
        {
        }

        public void OnCompleted()
        {
        }
    }
}
