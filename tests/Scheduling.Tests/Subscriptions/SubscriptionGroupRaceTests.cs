using System.Collections.Concurrent;
using System.Security.Claims;
using GraphQL;
using GraphQL.SystemTextJson;
using GraphQL.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// Identical subscribers join and leave one group from several threads at once (a reconnect storm; a test's subscriber
/// joining the group an earlier one is leaving): each one that joins is, as soon as it has subscribed, attached to an
/// execution that follows the change stream, never to one being stopped and never to nothing; when they have all
/// left, nothing follows the stream and nothing is counted. A model over random interleavings of joins and leaves.
/// </summary>
public sealed class SubscriptionGroupRaceTests
{
    private const string Field = "slotsChanged";

    [Fact]
    public async Task Subscribers_joining_and_leaving_one_group_at_once_are_each_attached_to_a_following_execution_and_leave_nothing_behind()
    {
        await using var services = new ServiceCollection().AddScoped<SubscriptionReplay>().BuildServiceProvider();
        for (var round = 0; round < 150; round++)
        {
            var groups = new SubscriptionGroups(services.GetRequiredService<IServiceScopeFactory>(), new GraphQLSerializer(), Options.Create(new FhirOptions()), Options.Create(new SubscriptionOptions()));
            var executions = new ConcurrentQueue<FollowingStream>();
            OperationExecution execute = (_, _, _) =>
            {
                var stream = new FollowingStream();
                executions.Enqueue(stream);
                return Task.FromResult(new ExecutionResult { Executed = true, Streams = new Dictionary<string, IObservable<ExecutionResult>> { [Field] = stream } });
            };

            var faults = new ConcurrentQueue<string>();
            var seed = round;
            await Task.WhenAll(Enumerable.Range(0, 4).Select(thread => Task.Run(async () =>
            {
                var random = new Random((seed * 7) + thread);
                var mine = new List<IDisposable>();
                for (var step = 0; step < 60; step++)
                {
                    if (mine.Count > 0 && random.Next(2) == 0)
                    {
                        var at = random.Next(mine.Count);
                        mine[at].Dispose();
                        mine.RemoveAt(at);
                        continue;
                    }

                    var result = await groups.ExecuteAsync(Request(), Caller(), services, execute, CancellationToken.None);
                    var subscriber = new Observer();
                    var stream = result.Streams![Field];
                    mine.Add(stream.Subscribe(subscriber));
                    if (Fault(groups, executions, stream, subscriber) is { } fault)
                    {
                        faults.Enqueue($"round {seed}, thread {thread}, step {step}: {fault}");
                    }
                }

                foreach (var left in mine)
                {
                    left.Dispose();
                }
            })));

            Assert.Empty(faults);
            Assert.Equal((0, 0), (groups.Count, groups.Members));
            Assert.Empty(groups.Receivers());
            Assert.DoesNotContain(executions, e => e.Following);
        }
    }

    /// <summary>What is wrong with a subscriber that has just subscribed, if anything: it must be attached to an execution that follows the stream.</summary>
    private static string? Fault(SubscriptionGroups groups, IEnumerable<FollowingStream> executions, IObservable<ExecutionResult> stream, Observer subscriber)
    {
        if (stream is FollowingStream alone)
        {
            // The group could not be joined (it kept ending): this one runs alone, and follows the stream itself.
            return alone.Following ? null : "runs alone without following the stream";
        }

        var attached = groups.Receivers().Where(r => ReferenceEquals(r.Receiver, subscriber)).ToList();
        if (attached.Count != 1)
        {
            return $"attached to {attached.Count} running executions";
        }

        var followed = executions.Where(e => ReferenceEquals(e.Observer, attached[0].Execution)).ToList();
        return followed is [{ Following: true }] ? null : $"its execution follows the stream {followed.Count(e => e.Following)} time(s)";
    }

    private static GraphQLRequest Request() => new()
    {
        Query = "subscription($s: [ID!]!) { slotsChanged(scheduleIds: $s) { slotId } }",
        Variables = new Inputs(new Dictionary<string, object?> { ["s"] = new List<object?> { "calendar" } }),
    };

    private static ClaimsPrincipal Caller() => new(new ClaimsIdentity([new Claim("role", "scheduler")], "test"));

    /// <summary>An execution's event stream: whom it delivers to, and whether it still does (subscribed, not yet unsubscribed).</summary>
    private sealed class FollowingStream : IObservable<ExecutionResult>
    {
        private int _state; // 0 never subscribed, 1 following, 2 let go

        public IObserver<ExecutionResult>? Observer { get; private set; }

        public bool Following => Volatile.Read(ref _state) == 1;

        public IDisposable Subscribe(IObserver<ExecutionResult> observer)
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            {
                throw new InvalidOperationException("an execution's stream is subscribed once");
            }

            Observer = observer;
            return new LetGo(this);
        }

        private sealed class LetGo(FollowingStream stream) : IDisposable
        {
            public void Dispose() => Volatile.Write(ref stream._state, 2);
        }
    }

    private sealed class Observer : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnCompleted()
        {
        }
    }
}
