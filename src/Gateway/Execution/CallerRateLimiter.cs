using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Authentication;
using Scheduling.Schema.Execution;

namespace Scheduling.Gateway.Execution;

/// <summary>
/// One token bucket per caller, for every operation on every transport: a signed-in caller's bucket is its token's
/// subject, wherever it connects from; only callers without a token share one per client address (taken from
/// X-Forwarded-For only when the request came through a configured proxy). So a token-less flood empties its own
/// address's bucket and nobody else's.
/// </summary>
internal sealed class CallerRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;

    public CallerRateLimiter(IOptions<GraphQLOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        if (settings.RateLimitPerSecond == 0)
        {
            return;
        }

        _limiter = PartitionedRateLimiter.Create<string, string>(caller =>
            RateLimitPartition.GetTokenBucketLimiter(caller, _ => TokenBuckets.PerSecond(settings.RateLimitBurst, settings.RateLimitPerSecond)));
    }

    /// <summary>Takes one operation from the caller's bucket; false when it is empty.</summary>
    public bool TryAcquire(ClaimsPrincipal caller, IPAddress? address)
    {
        if (_limiter is null)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(PartitionOf(caller, address));
        return lease.IsAcquired;
    }

    /// <summary>"sub:…" for a signed-in caller; "ip:…" for one without a token (the anonymous principal included).</summary>
    internal static string PartitionOf(ClaimsPrincipal caller, IPAddress? address)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var signedIn = caller.Identity?.IsAuthenticated == true && !ReferenceEquals(caller, GatewayAuthentication.Anonymous);
        var subject = caller.FindFirst("sub")?.Value ?? caller.Identity?.Name;
        return signedIn && !string.IsNullOrEmpty(subject) ? "sub:" + subject : "ip:" + (address?.ToString() ?? "unknown");
    }

    public void Dispose() => _limiter?.Dispose();
}
