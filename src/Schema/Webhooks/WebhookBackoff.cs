namespace Scheduling.Schema.Webhooks;

/// <summary>
/// When a failed delivery is tried again: exponential backoff with "equal jitter". Before attempt n+1 the gateway
/// waits a random time in [d/2, d], d = base · 2^(n−1) capped at the maximum, so until the cap waits never shrink from one
/// attempt to the next (each range starts where the previous one ends) and instances that failed together spread out.
/// </summary>
public static class WebhookBackoff
{
    /// <param name="failedAttempt">The attempt that failed (1 for the first).</param>
    /// <param name="unit">A random number in [0, 1).</param>
    public static TimeSpan DelayAfter(int failedAttempt, TimeSpan baseDelay, TimeSpan maxDelay, double unit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        var exponent = Math.Min(failedAttempt - 1, 40);
        var ceiling = Math.Min(baseDelay.TotalMilliseconds * Math.Pow(2, exponent), maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Math.Clamp(unit, 0, 1) * ceiling / 2));
    }
}
