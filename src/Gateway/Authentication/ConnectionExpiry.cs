using System.Globalization;
using System.Security.Claims;

namespace Scheduling.Gateway.Authentication;

/// <summary>
/// When a connection's credentials run out: the <c>exp</c> of the token it was accepted (or last renewed) with.
/// A WebSocket is closed with 4403 then, an SSE stream ends with a TOKEN_EXPIRED error; a connection without an
/// expiry (anonymous, development) runs on.
/// The deadline is <c>exp</c> itself, not <c>exp</c> plus the validator's clock skew: the skew forgives a clock that
/// differs from the issuer's at the moment a token is checked; a socket the gateway holds open is not checked again,
/// and should not outlive what the issuer granted.
/// </summary>
internal sealed class ConnectionExpiry(TimeProvider time) : IDisposable
{
    private const long None = long.MaxValue;
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    private readonly Lock _gate = new();
    private long _deadline = None;
    private CancellationTokenSource _changed = new();

    /// <summary>The expiry a principal's token carries (its <c>exp</c> claim), or null for none.</summary>
    public static DateTimeOffset? Of(ClaimsPrincipal? principal) =>
        principal?.FindFirst("exp")?.Value is { } exp && long.TryParse(exp, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    public bool Expired => time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _deadline);

    /// <summary>Sets the deadline (null: none), waking a <see cref="WaitAsync"/> to wait for the new one.</summary>
    public void Set(DateTimeOffset? deadline)
    {
        CancellationTokenSource changed;
        lock (_gate)
        {
            Interlocked.Exchange(ref _deadline, deadline?.UtcTicks ?? None);
            changed = _changed;
            _changed = new CancellationTokenSource();
        }

        // Not disposed: a waiter may be linking to it right now (it holds no timer, nothing leaks).
        changed.Cancel();
    }

    /// <summary>Completes when the deadline has passed; throws <see cref="OperationCanceledException"/> when <paramref name="closing"/> is cancelled first.</summary>
    public async Task WaitAsync(CancellationToken closing)
    {
        while (true)
        {
            CancellationToken changed;
            lock (_gate)
            {
                changed = _changed.Token;
            }

            var left = TimeSpan.FromTicks(Interlocked.Read(ref _deadline) - time.GetUtcNow().UtcTicks);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(closing, changed);
            try
            {
                await Task.Delay(left < LongestWait ? left : LongestWait, time, wait.Token);
            }
            catch (OperationCanceledException) when (!closing.IsCancellationRequested)
            {
                // a new deadline: wait for that one
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _changed.Dispose();
        }
    }
}
