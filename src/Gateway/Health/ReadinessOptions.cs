using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Execution;

namespace Scheduling.Gateway.Health;

/// <summary>
/// Bound from the <c>Health</c> section: <c>/health/ready</c> is unauthenticated (orchestrators call it), so what it
/// costs is bounded: one FHIR probe per <see cref="ReadyCacheSeconds"/> however many ask, and a per-client rate.
/// </summary>
public sealed class ReadinessOptions
{
    public const string SectionName = "Health";

    /// <summary>How long one FHIR probe's answer stands for every caller; 0 probes on each request.</summary>
    [Range(0, 300)]
    public int ReadyCacheSeconds { get; set; } = 5;

    /// <summary>Readiness requests per second one client address may make (an orchestrator needs far fewer); 0 turns the limit off.</summary>
    [Range(0, 10_000)]
    public int ReadyRequestsPerSecond { get; set; } = 5;

    /// <summary>How many a client may make at once before the per-second rate applies.</summary>
    [Range(1, 10_000)]
    public int ReadyBurst { get; set; } = 20;
}

public static class ReadinessExtensions
{
    public const string RateLimitPolicy = "health-ready-per-client";

    /// <summary>The readiness checks (FHIR behind a shared, cached probe; Redis) and their per-client rate limit.</summary>
    public static IServiceCollection AddReadiness(this IServiceCollection services)
    {
        services.AddOptions<ReadinessOptions>()
            .BindConfiguration(ReadinessOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<FhirProbe>();
        services.AddHealthChecks()
            .AddCheck<FhirHealthCheck>("fhir", tags: ["ready"])
            .AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        // ASP.NET Core's rate limiter serves only this probe (GraphQL operations are limited in the execution pipeline).
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                rejected.HttpContext.Response.ContentType = "application/json; charset=utf-8";
                await rejected.HttpContext.Response.WriteAsync(
                    $$$"""{"errors":[{"message":"{{{TokenBuckets.RateLimitedMessage}}}","extensions":{"code":"{{{TokenBuckets.RateLimitedCode}}}"}}]}""",
                    cancellationToken);
            };
        });
        services.Configure<RateLimiterOptions>(limiter => limiter.AddPolicy(RateLimitPolicy, context =>
        {
            var settings = context.RequestServices.GetRequiredService<IOptions<ReadinessOptions>>().Value;
            // Unauthenticated: per client address (X-Forwarded-For only from a configured proxy: ForwardedHeaders:KnownProxies).
            var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            return settings.ReadyRequestsPerSecond == 0
                ? RateLimitPartition.GetNoLimiter("unlimited")
                : RateLimitPartition.GetTokenBucketLimiter(client, _ => TokenBuckets.PerSecond(settings.ReadyBurst, settings.ReadyRequestsPerSecond));
        }));
        return services;
    }
}
