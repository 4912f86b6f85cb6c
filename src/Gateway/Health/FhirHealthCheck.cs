using Microsoft.Extensions.Diagnostics.HealthChecks;
using Scheduling.Schema.Fhir;

namespace Scheduling.Gateway.Health;

/// <summary>Ready means the FHIR server answers: one small search (any answer but a fault is an answer).</summary>
public sealed class FhirHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredKeyedService<IFhirStore>(FhirServiceKeys.Upstream);
        try
        {
            await store.SearchAsync(new FhirQuery("Schedule").Count(1), cancellationToken);
            return HealthCheckResult.Healthy("FHIR server reachable.");
        }
        catch (FhirUnavailableException e)
        {
            return HealthCheckResult.Unhealthy("FHIR server unreachable.", e);
        }
    }
}
