using System.Threading.RateLimiting;

namespace Scheduling.Gateway.Execution;

/// <summary>The gateway's one shape of rate limit: a token bucket of <c>burst</c> refilled by <c>perSecond</c>, no queue.</summary>
internal static class TokenBuckets
{
    /// <summary>The refusal every rate limit answers with (GraphQL operations and the readiness probe alike).</summary>
    public const string RateLimitedCode = "RATE_LIMITED";

    public const string RateLimitedMessage = "Too many requests from this client; slow down.";

    public static TokenBucketRateLimiterOptions PerSecond(int burst, int perSecond) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
