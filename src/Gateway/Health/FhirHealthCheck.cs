using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;

namespace Scheduling.Gateway.Health;

/// <summary>Ready means the FHIR server answers, as the shared <see cref="FhirProbe"/> last found.</summary>
public sealed class FhirHealthCheck(FhirProbe probe) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        probe.ResultAsync().WaitAsync(cancellationToken);
}

/// <summary>
/// One small FHIR search (any answer but a fault is an answer), shared: callers within
/// <see cref="ReadinessOptions.ReadyCacheSeconds"/> of a probe, or while one runs, get its result instead of their own.
/// </summary>
public sealed class FhirProbe(IServiceScopeFactory scopes, IOptions<ReadinessOptions> options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _last;
    private long _startedAt;

    public Task<HealthCheckResult> ResultAsync()
    {
        lock (_gate)
        {
            var fresh = _last is not null &&
                (!_last.IsCompleted || time.GetElapsedTime(_startedAt) < TimeSpan.FromSeconds(options.Value.ReadyCacheSeconds));
            if (!fresh)
            {
                _startedAt = time.GetTimestamp();
                _last = ProbeAsync();
            }

            return _last!;
        }
    }

    private async Task<HealthCheckResult> ProbeAsync()
    {
        // Not any one caller's cancellation: the probe is everyone's. The FHIR client's own timeout bounds it.
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredKeyedService<IFhirStore>(FhirServiceKeys.Upstream);
        try
        {
            await store.SearchAsync(ScheduleSearches.AnyOne(), CancellationToken.None);
            return HealthCheckResult.Healthy("FHIR server reachable.");
        }
        catch (FhirUnavailableException e)
        {
            return HealthCheckResult.Unhealthy("FHIR server unreachable.", e);
        }
    }
}
