using System.Security.Claims;
using GraphQL;
using GraphQL.Transport;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Execution;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Gateway.Streaming;

/// <summary>Runs an operation with these services and extensions, until the token is cancelled.</summary>
internal delegate Task<ExecutionResult> OperationExecution(IServiceProvider services, Inputs? extensions, CancellationToken cancellationToken);

/// <summary>
/// One execution per group of identical subscribers on this instance (<see cref="SubscriptionKey"/>: same document,
/// variables and access): the group's execution runs each event once, in its own scope (so it outlives any one
/// subscriber), its result is serialized once (<see cref="SharedEventResult"/>) and that one string goes to every
/// member's transport, WebSocket or SSE. Members join and leave without touching the others; the last one to leave
/// ends the execution. A subscriber that resumes (<see cref="ChangeSubscription.LastEventIdExtension"/>) replays what
/// it missed on its own and then joins the live group without a repeat or a gap (<see cref="ResumingStream"/>).
/// With <see cref="SubscriptionOptions.ShareExecutions"/> off each subscriber has its own execution.
/// </summary>
internal sealed partial class SubscriptionGroups(IServiceScopeFactory scopes, IGraphQLTextSerializer serializer, IOptions<FhirOptions> fhir, IOptions<SubscriptionOptions> options, ILogger<SubscriptionGroups>? logger = null)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Task<SubscriptionGroup?>> _groups = new(StringComparer.Ordinal);
    private int _running;
    private int _members;

    /// <summary>Group executions running (each follows the change stream once).</summary>
    public int Count => Volatile.Read(ref _running);

    /// <summary>Subscribers in groups, all groups together.</summary>
    public int Members => Volatile.Read(ref _members);

    /// <summary>
    /// Who receives the running groups' events now: each subscriber's own observer, with its group's execution. A
    /// subscriber is here once it is attached to a group that follows the change stream, and no longer once it left or
    /// the group ended. Tests wait on their own subscribers with it (those not there before they subscribed): a count
    /// of listeners cannot tell theirs apart from others' that come and go meanwhile.
    /// </summary>
    internal IReadOnlyList<(SubscriptionGroup Execution, IObserver<ExecutionResult> Receiver)> Receivers()
    {
        List<SubscriptionGroup> running;
        lock (_gate)
        {
            running = [.. _groups.Values.Where(g => g.IsCompletedSuccessfully && g.Result is { Ended: false }).Select(g => g.Result!)];
        }

        return [.. running.SelectMany(g => g.Observers().Select(o => (g, o)))];
    }

    /// <summary>
    /// A subscription for this caller: a member of its group's execution (the group started if it is the first),
    /// its own execution when sharing is off or the group could not start (then the result says why).
    /// </summary>
    public async Task<ExecutionResult> ExecuteAsync(GraphQLRequest request, ClaimsPrincipal caller, IServiceProvider services, OperationExecution execute, CancellationToken aborted)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(execute);
        if (!options.Value.ShareExecutions)
        {
            return await execute(services, request.Extensions, aborted);
        }

        var (group, alone) = await GroupAsync(SubscriptionKey.Of(request, caller, fhir.Value), SubscriptionKey.LiveExtensions(request.Extensions), execute);
        if (group is null)
        {
            return alone ?? await execute(services, request.Extensions, aborted);
        }

        var member = new SubscriptionMember(group);
        if (!SubscriptionKey.Resumes(request))
        {
            return Streaming(group.Field, member);
        }

        // What the client missed, on its own (in its own scope), then the group's live events.
        var replay = services.GetRequiredService<SubscriptionReplay>();
        replay.Only = true;
        ExecutionResult missed;
        try
        {
            missed = await execute(services, request.Extensions, aborted);
        }
        catch
        {
            member.Dispose();
            throw;
        }

        if (missed.Streams is not { Count: 1 } streams)
        {
            member.Dispose();
            return missed;
        }

        return Streaming(group.Field, new ResumingStream(streams.Values.First(), member, replay));
    }

    private static ExecutionResult Streaming(string field, IObservable<ExecutionResult> stream) =>
        new() { Executed = true, Streams = new Dictionary<string, IObservable<ExecutionResult>> { [field] = stream } };

    /// <summary>The key's running group, with a place reserved in it; or the result of a first execution that did not give a stream (null: run alone).</summary>
    private async Task<(SubscriptionGroup? Group, ExecutionResult? Alone)> GroupAsync(string key, Inputs? liveExtensions, OperationExecution execute)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Task<SubscriptionGroup?> pending;
            TaskCompletionSource<SubscriptionGroup?>? starting = null;
            lock (_gate)
            {
                if (!_groups.TryGetValue(key, out pending!))
                {
                    starting = new TaskCompletionSource<SubscriptionGroup?>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _groups[key] = pending = starting.Task;
                }
            }

            if (starting is null)
            {
                if (await pending is not { } running)
                {
                    return (null, null); // its start failed: this one runs (and fails, or not) on its own
                }

                if (Reserve(running))
                {
                    return (running, null);
                }

                continue; // it ended meanwhile: start another
            }

            return await StartAsync(key, starting, liveExtensions, execute);
        }

        return (null, null);
    }

    private async Task<(SubscriptionGroup? Group, ExecutionResult? Alone)> StartAsync(string key, TaskCompletionSource<SubscriptionGroup?> starting, Inputs? liveExtensions, OperationExecution execute)
    {
        var scope = scopes.CreateAsyncScope();
        var stop = new CancellationTokenSource();
        try
        {
            var result = await execute(scope.ServiceProvider, liveExtensions, stop.Token);
            if (result.Streams is not { Count: 1 } streams)
            {
                Abandon(key, starting, scope, stop);
                return (null, result);
            }

            var (field, stream) = streams.First();
            var group = new SubscriptionGroup(this, key, starting.Task, field, scope, stop, serializer);
            lock (_gate)
            {
                group.Reserved = 1;
                _members++;
            }

            // Counted running with its first member before it listens (members − groups never runs ahead of the hub's
            // followers); a start that throws uncounts it.
            Interlocked.Increment(ref _running);
            try
            {
                group.Start(stream);
            }
            catch
            {
                Interlocked.Decrement(ref _running);
                throw;
            }

            starting.SetResult(group);
            return (group, null);
        }
        catch
        {
            Abandon(key, starting, scope, stop);
            throw;
        }
    }

    private void Abandon(string key, TaskCompletionSource<SubscriptionGroup?> starting, AsyncServiceScope scope, CancellationTokenSource stop)
    {
        lock (_gate)
        {
            if (_groups.TryGetValue(key, out var pending) && pending == starting.Task)
            {
                _groups.Remove(key);
            }
        }

        starting.TrySetResult(null);
        stop.Dispose();
        ((IDisposable)scope).Dispose();
    }

    private bool Reserve(SubscriptionGroup group)
    {
        lock (_gate)
        {
            if (group.Ended)
            {
                return false;
            }

            group.Reserved++;
            _members++;
            return true;
        }
    }

    /// <summary>A member left; the last one ends the group.</summary>
    internal void Release(SubscriptionGroup group)
    {
        lock (_gate)
        {
            _members--;
            if (--group.Reserved > 0 || group.Ended)
            {
                return;
            }

            group.Ended = true;
            Forget(group);
        }

        group.Stop();
    }

    /// <summary>The group's stream ended: new subscribers start another.</summary>
    internal void Ended(SubscriptionGroup group)
    {
        lock (_gate)
        {
            group.Ended = true;
            Forget(group);
        }
    }

    /// <summary>A group's execution stopped.</summary>
    internal void Stopped() => Interlocked.Decrement(ref _running);

    /// <summary>
    /// Where an event's time went on this instance, at Debug (the subscriber bench reads it): from its write (the
    /// event id's time) to its execution's result, to its serialization, and to the last member's frame queued.
    /// </summary>
    internal void Trace(string? eventId, int members, DateTimeOffset executed, DateTimeOffset serialized)
    {
        if (logger is null || !logger.IsEnabled(LogLevel.Debug) || !ChangeEventId.TryParse(eventId, out var id))
        {
            return;
        }

        var written = DateTimeOffset.FromUnixTimeMilliseconds(id.Milliseconds);
        LogStages(logger, eventId!, members, (executed - written).TotalMilliseconds, (serialized - executed).TotalMilliseconds, (DateTimeOffset.UtcNow - serialized).TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "stage group {EventId} members={Members} executed={Executed:F1} serialized={Serialized:F1} queued={Queued:F1}")]
    private static partial void LogStages(ILogger logger, string eventId, int members, double executed, double serialized, double queued);

    private void Forget(SubscriptionGroup group)
    {
        if (_groups.TryGetValue(group.Key, out var pending) && pending == group.Registration)
        {
            _groups.Remove(group.Key);
        }
    }
}
