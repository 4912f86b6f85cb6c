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
/// A member reserves its place in a group before it subscribes (and a resuming one replays in between): when the
/// group's stream ends in that window, the member is told at its subscription (completed, or failed), never left
/// waiting on an execution that is over until its socket closes. Driven step by step over a stream the test ends.
/// </summary>
public sealed class SubscriptionGroupEndingTests
{
    private const string Field = "appointmentChanged";

    [Fact]
    public async Task A_member_that_subscribes_after_its_groups_stream_completed_is_completed()
    {
        await using var services = Services();
        var live = new EndingStream();
        var groups = Groups(services);

        var first = await groups.ExecuteAsync(Request(), Caller(), services, Executing(live), CancellationToken.None);
        var late = await groups.ExecuteAsync(Request(), Caller(), services, Executing(live), CancellationToken.None);
        var early = new Recording();
        using var earlySubscription = first.Streams![Field].Subscribe(early);
        Assert.Equal(1, live.Subscriptions); // one execution for both

        live.Complete(); // the group's stream ends between the late member's place and its subscription
        var member = new Recording();
        using var subscription = late.Streams![Field].Subscribe(member);

        Assert.True(early.Completed);
        Assert.True(member.Completed);
        Assert.Equal(0, groups.Count);
    }

    [Fact]
    public async Task A_resuming_member_whose_group_failed_during_its_replay_gets_the_replay_then_the_failure()
    {
        await using var services = Services();
        var live = new EndingStream();
        var groups = Groups(services);
        var replaying = new TaskCompletionSource<ExecutionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        OperationExecution execute = (_, extensions, _) =>
            extensions?.ContainsKey(ChangeSubscription.LastEventIdExtension) == true ? replaying.Task : Executing(live)(services, extensions, default);

        var first = await groups.ExecuteAsync(Request(), Caller(), services, execute, CancellationToken.None);
        using var earlySubscription = first.Streams![Field].Subscribe(new Recording());
        var resuming = groups.ExecuteAsync(Request(resumeAfter: "1-0"), Caller(), services, execute, CancellationToken.None);

        live.Fail(new InvalidOperationException("the change stream failed")); // while the resumer replays
        var missed = new EndingStream();
        replaying.SetResult(Streaming(missed));
        var member = new Recording();
        using var subscription = (await resuming).Streams![Field].Subscribe(member);

        Assert.Null(member.Error); // the replay first
        missed.Complete();
        Assert.IsType<InvalidOperationException>(member.Error);
    }

    [Fact]
    public async Task A_resuming_member_whose_group_completed_during_its_replay_is_completed_after_the_replay()
    {
        await using var services = Services();
        var live = new EndingStream();
        var groups = Groups(services);
        var replaying = new TaskCompletionSource<ExecutionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        OperationExecution execute = (_, extensions, _) =>
            extensions?.ContainsKey(ChangeSubscription.LastEventIdExtension) == true ? replaying.Task : Executing(live)(services, extensions, default);

        var first = await groups.ExecuteAsync(Request(), Caller(), services, execute, CancellationToken.None);
        using var earlySubscription = first.Streams![Field].Subscribe(new Recording());
        var resuming = groups.ExecuteAsync(Request(resumeAfter: "1-0"), Caller(), services, execute, CancellationToken.None);

        live.Complete();
        var missed = new EndingStream();
        replaying.SetResult(Streaming(missed));
        var member = new Recording();
        using var subscription = (await resuming).Streams![Field].Subscribe(member);
        missed.Next(new ExecutionResult { Executed = true });

        Assert.False(member.Completed); // not before what it missed
        missed.Complete();
        Assert.Equal(["next", "completed"], member.Seen);
    }

    private static ServiceProvider Services() => new ServiceCollection().AddScoped<SubscriptionReplay>().BuildServiceProvider();

    private static SubscriptionGroups Groups(IServiceProvider services) =>
        new(services.GetRequiredService<IServiceScopeFactory>(), new GraphQLSerializer(), Options.Create(new FhirOptions()), Options.Create(new SubscriptionOptions()));

    private static GraphQLRequest Request(string? resumeAfter = null) => new()
    {
        Query = "subscription { appointmentChanged { kind } }",
        Extensions = resumeAfter is null ? null : new Inputs(new Dictionary<string, object?> { [ChangeSubscription.LastEventIdExtension] = resumeAfter }),
    };

    private static ClaimsPrincipal Caller() => new(new ClaimsIdentity([new Claim("role", "scheduler")], "test"));

    private static OperationExecution Executing(IObservable<ExecutionResult> stream) => (_, _, _) => Task.FromResult(Streaming(stream));

    private static ExecutionResult Streaming(IObservable<ExecutionResult> stream) =>
        new() { Executed = true, Streams = new Dictionary<string, IObservable<ExecutionResult>> { [Field] = stream } };

    /// <summary>A stream the test drives: its observers get what the test sends, and its end.</summary>
    private sealed class EndingStream : IObservable<ExecutionResult>
    {
        private readonly List<IObserver<ExecutionResult>> _observers = [];

        public int Subscriptions { get; private set; }

        public IDisposable Subscribe(IObserver<ExecutionResult> observer)
        {
            Subscriptions++;
            _observers.Add(observer);
            return new Unsubscribe(() => _observers.Remove(observer));
        }

        public void Next(ExecutionResult value) => _observers.ToList().ForEach(o => o.OnNext(value));

        public void Complete() => _observers.ToList().ForEach(o => o.OnCompleted());

        public void Fail(Exception error) => _observers.ToList().ForEach(o => o.OnError(error));
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    private sealed class Recording : IObserver<ExecutionResult>
    {
        public List<string> Seen { get; } = [];

        public bool Completed => Seen.Contains("completed");

        public Exception? Error { get; private set; }

        public void OnNext(ExecutionResult value) => Seen.Add("next");

        public void OnError(Exception error)
        {
            Error = error;
            Seen.Add("error");
        }

        public void OnCompleted() => Seen.Add("completed");
    }
}
