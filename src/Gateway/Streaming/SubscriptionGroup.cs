using GraphQL;

namespace Scheduling.Gateway.Streaming;

/// <summary>
/// One running execution and the observers of its members; every event serialized once for all of them. A member
/// joins and leaves in O(1) (amortized): members are a list with each one's index (a leave moves the last one into
/// its place), and events go to a snapshot of it, taken again only on the first event after a change, so thousands
/// of members connecting at once cost no more than thousands of appends, not a copy of the group each. Once its
/// stream has ended (completed or failed) the group says so to every member it has and to any that joins later (a
/// member reserves its place before it subscribes, and a resuming one replays in between): nobody waits on an
/// execution that is over.
/// </summary>
internal sealed class SubscriptionGroup(SubscriptionGroups owner, string key, Task<SubscriptionGroup?> registration, string field, AsyncServiceScope scope, CancellationTokenSource stop, IGraphQLTextSerializer serializer)
    : IObserver<ExecutionResult>
{
    private readonly Lock _gate = new();
    private readonly List<Leave> _members = [];
    private IObserver<ExecutionResult>[]? _snapshot = [];
    private IDisposable? _subscription;
    private Ending? _ending;
    private int _stopped;

    public string Key { get; } = key;

    public Task<SubscriptionGroup?> Registration { get; } = registration;

    public string Field { get; } = field;

    /// <summary>Members that hold a place (under the owner's lock).</summary>
    public int Reserved { get; set; }

    /// <summary>No more members (under the owner's lock).</summary>
    public bool Ended { get; set; }

    public void Start(IObservable<ExecutionResult> stream)
    {
        var subscription = stream.Subscribe(this);
        lock (_gate)
        {
            _subscription = subscription;
        }

        if (Volatile.Read(ref _stopped) == 1)
        {
            subscription.Dispose();
        }
    }

    public IDisposable Add(IObserver<ExecutionResult> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        Ending? ending;
        lock (_gate)
        {
            ending = _ending;
            if (ending is null)
            {
                var member = new Leave(this, observer, _members.Count);
                _members.Add(member);
                _snapshot = null;
                return member;
            }
        }

        // Joined after the end: told at once, like the members that were there.
        ending.Tell(observer);
        return new Leave(this, observer, -1);
    }

    /// <summary>The members now, each subscriber's own observer (under the gate only when they changed since the last event).</summary>
    internal IObserver<ExecutionResult>[] Observers()
    {
        if (Volatile.Read(ref _snapshot) is { } snapshot)
        {
            return snapshot;
        }

        lock (_gate)
        {
            if (_snapshot is null)
            {
                var observers = new IObserver<ExecutionResult>[_members.Count];
                for (var i = 0; i < observers.Length; i++)
                {
                    observers[i] = _members[i].Observer;
                }

                _snapshot = observers;
            }

            return _snapshot;
        }
    }

    private void Remove(Leave member)
    {
        lock (_gate)
        {
            if (member.Index < 0)
            {
                return;
            }

            var last = _members[^1];
            _members[member.Index] = last;
            last.Index = member.Index;
            _members.RemoveAt(_members.Count - 1);
            member.Index = -1;
            _snapshot = null;
        }
    }

    public void Release() => owner.Release(this);

    public void OnNext(ExecutionResult value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var observers = Observers();
        if (observers.Length == 0)
        {
            return;
        }

        var executed = DateTimeOffset.UtcNow;
        var shared = new SharedEventResult(SerializedResult.Of(serializer, value));
        var serialized = DateTimeOffset.UtcNow;
        foreach (var observer in observers)
        {
            try
            {
                observer.OnNext(shared);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One member's fault is that member's: the others still get the event, and the group's stream (which
                // stops for good when its observer throws) keeps running. The member is told its subscription failed.
                Fail(observer, e);
            }
        }

        owner.Trace(shared.EventId, observers.Length, executed, serialized);
    }

    private static void Fail(IObserver<ExecutionResult> observer, Exception error)
    {
        try
        {
            observer.OnError(error);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // it cannot even be told: its connection is gone
        }
    }

    public void OnError(Exception error) => End(new Ending(error));

    public void OnCompleted() => End(new Ending(null));

    /// <summary>The stream ended: the members now are told, and from here on so is every one that joins.</summary>
    private void End(Ending ending)
    {
        owner.Ended(this);
        IObserver<ExecutionResult>[] observers;
        lock (_gate)
        {
            _ending ??= ending;
            ending = _ending;
            observers = [.. _members.Select(m => m.Observer)];
        }

        foreach (var observer in observers)
        {
            ending.Tell(observer);
        }

        Stop();
    }

    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        IDisposable? subscription;
        lock (_gate)
        {
            subscription = _subscription;
        }

        owner.Stopped();
        subscription?.Dispose();
        stop.Cancel();
        stop.Dispose();
        ((IDisposable)scope).Dispose();
    }

    /// <summary>How the group's stream ended: failed (with the error) or completed.</summary>
    private sealed class Ending(Exception? error)
    {
        public void Tell(IObserver<ExecutionResult> observer)
        {
            if (error is null)
            {
                observer.OnCompleted();
            }
            else
            {
                observer.OnError(error);
            }
        }
    }

    /// <summary>A member's place: its observer and where it stands in the list (-1 once it left; under the gate).</summary>
    private sealed class Leave(SubscriptionGroup group, IObserver<ExecutionResult> observer, int index) : IDisposable
    {
        public IObserver<ExecutionResult> Observer { get; } = observer;

        public int Index { get; set; } = index;

        public void Dispose() => group.Remove(this);
    }
}

/// <summary>
/// One subscriber's place in a group, as the transport sees its stream: subscribed once; its place is given back
/// when it unsubscribes, or when it is disposed without ever subscribing.
/// </summary>
internal sealed class SubscriptionMember(SubscriptionGroup group) : IObservable<ExecutionResult>, IDisposable
{
    private int _released;

    public IDisposable Subscribe(IObserver<ExecutionResult> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        try
        {
            return new Subscription(group.Add(observer), this);
        }
        catch
        {
            Dispose(); // never subscribed: its place is given back
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            group.Release();
        }
    }

    private sealed class Subscription(IDisposable leave, SubscriptionMember member) : IDisposable
    {
        public void Dispose()
        {
            leave.Dispose();
            member.Dispose();
        }
    }
}

/// <summary>One event of a group's execution, serialized once for every member; transports splice <see cref="Serialized"/> into their frames as it is.</summary>
internal sealed class SharedEventResult(SerializedResult serialized) : ExecutionResult
{
    public SerializedResult Serialized { get; } = serialized;

    public string? EventId => Serialized.EventId;
}
