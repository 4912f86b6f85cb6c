using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Scheduling.Schema.Fhir.InMemory;

/// <summary>Fills the embedded store at start-up, so a newcomer has a practice to query at once.</summary>
public sealed partial class EmbeddedStoreSeeder(
    IOptions<FhirOptions> options,
    InMemoryFhirStore store,
    TimeProvider time,
    ILogger<EmbeddedStoreSeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.UsesEmbeddedStore || !options.Value.Seed)
        {
            return;
        }

        var count = await SeedData.PopulateAsync(store, time.GetUtcNow(), cancellationToken);
        LogSeeded(logger, count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "No Fhir:BaseUrl set: serving the embedded FHIR store, seeded with {Count} resources.")]
    private static partial void LogSeeded(ILogger logger, int count);
}
