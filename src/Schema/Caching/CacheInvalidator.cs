using Microsoft.Extensions.Hosting;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Schema.Caching;

/// <summary>Removes a cached resource on this instance whenever the hub hears it changed, wherever it changed.</summary>
public sealed class CacheInvalidator(ChangeHub hub, FhirResourceCache cache) : IHostedService, IDisposable
{
    private IDisposable? _listening;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listening = hub.Listen(change =>
        {
            if (cache.Caches(change.ResourceType))
            {
                _ = cache.RemoveAsync(new FhirReference(change.ResourceType, change.Id), CancellationToken.None).AsTask();
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _listening?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _listening?.Dispose();
}
