using Microsoft.Extensions.Diagnostics.HealthChecks;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Gateway.Health;

/// <summary>Ready means events reach the other instances: Redis is connected, when Redis is configured.</summary>
public sealed class RedisHealthCheck(IChangeBus bus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(bus switch
        {
            RedisChangeBus { IsConnected: true } => HealthCheckResult.Healthy("Redis connected."),
            RedisChangeBus => HealthCheckResult.Unhealthy("Redis unreachable: serving, but changes do not reach other instances until it is back."),
            _ => HealthCheckResult.Healthy("One instance: no Redis configured."),
        });
}
