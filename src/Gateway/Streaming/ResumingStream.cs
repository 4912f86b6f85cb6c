using GraphQL;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Gateway.Streaming;

/// <summary>
/// A resuming subscriber's stream: what it missed (its own replay, which completes), then its group's live events.
/// The live events are followed first and held while the replay runs; then those the replay covered (ids up to
/// <see cref="SubscriptionReplay.Through"/>) are dropped and the rest delivered in order, so nothing is lost
/// between the two and nothing is delivered twice. The group followed the change stream before the replay read its
/// history, so an event either is in that history or reaches the group after the subscriber joined.
/// </summary>
internal sealed class ResumingStream(IObservable<ExecutionResult> replay, IObservable<ExecutionResult> live, SubscriptionReplay range)
    : IObservable<ExecutionResult>, IDisposable
{
    public IDisposable Subscribe(IObserver<ExecutionResult> observer)
    {
        var relay = new Relay(observer, range);
        var following = live.Subscribe(relay.Live);
        IDisposable replaying;
        try
        {
            replaying = replay.Subscribe(relay.Replay);
        }
        catch
        {
            following.Dispose();
            throw;
        }

        return new Both(replaying, following);
    }

    /// <summary>Never subscribed: the live place and the replay's stream are given back.</summary>
    public void Dispose()
    {
        (live as IDisposable)?.Dispose();
        (replay as IDisposable)?.Dispose();
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }

    private sealed class Relay(IObserver<ExecutionResult> observer, SubscriptionReplay range)
    {
        private readonly Lock _gate = new();
        private readonly Queue<ExecutionResult> _held = new();
        private bool _replaying = true;
        private bool _liveEnded;
        private Exception? _liveError;
        private ChangeEventId? _through;

        public IObserver<ExecutionResult> Replay => new Observer(observer.OnNext, observer.OnError, ReplayDone);

        public IObserver<ExecutionResult> Live => new Observer(OnLive, e => LiveEnded(e), () => LiveEnded(null));

        /// <summary>The live stream ended, completed or failed (it may have before this subscriber joined): said after the replay.</summary>
        private void LiveEnded(Exception? error)
        {
            lock (_gate)
            {
                if (_replaying)
                {
                    (_liveEnded, _liveError) = (true, error);
                    return;
                }
            }

            End(error);
        }

        private void End(Exception? error)
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

        private void OnLive(ExecutionResult value)
        {
            lock (_gate)
            {
                if (_replaying)
                {
                    _held.Enqueue(value);
                    return;
                }

                if (Covered(value))
                {
                    return;
                }

                observer.OnNext(value);
            }
        }

        private void ReplayDone()
        {
            bool ended;
            Exception? error;
            lock (_gate)
            {
                (ended, error) = (_liveEnded, _liveError);
                _through = range.Through;
                _replaying = false;
                while (_held.TryDequeue(out var value))
                {
                    if (!Covered(value))
                    {
                        observer.OnNext(value);
                    }
                }
            }

            if (ended)
            {
                End(error);
            }
        }

        /// <summary>The replay had it (live events without an id, such as an overflow signal, are never covered).</summary>
        private bool Covered(ExecutionResult value) =>
            _through is { } through && value is SharedEventResult { EventId: { } text } && ChangeEventId.TryParse(text, out var id) && id <= through;
    }

    private sealed class Observer(Action<ExecutionResult> onNext, Action<Exception> onError, Action onCompleted) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value) => onNext(value);

        public void OnError(Exception error) => onError(error);

        public void OnCompleted() => onCompleted();
    }
}
