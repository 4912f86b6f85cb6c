namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// One operation's say on how its subscription resumes (scoped: one per operation). With <see cref="Only"/> set, a
/// subscription that resumes after a last event id delivers what the client missed and then completes, without
/// following the live stream: the transport's shared execution for its group carries the live events, and
/// <see cref="Through"/> tells it where the replay stopped (live events up to there were in the replay).
/// </summary>
public sealed class SubscriptionReplay
{
    private ChangeEventId? _through;
    private int _done;

    /// <summary>Replay only, then complete (set before the operation runs).</summary>
    public bool Only { get; set; }

    /// <summary>The newest event id the replay covered (null when it covered none: a bad id, or nothing to replay); read once the replay completed.</summary>
    public ChangeEventId? Through
    {
        get
        {
            lock (this)
            {
                return _through;
            }
        }
    }

    /// <summary>Whether the replay has ended (<see cref="Through"/> is final).</summary>
    public bool Done => Volatile.Read(ref _done) == 1;

    internal void Finish(ChangeEventId? through)
    {
        lock (this)
        {
            _through = through;
        }

        Volatile.Write(ref _done, 1);
    }
}
