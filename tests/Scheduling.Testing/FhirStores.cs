using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;

namespace Scheduling.Testing;

/// <summary>Builds <see cref="IFhirStore"/> exactly as the gateway does (same DI, options and HTTP pipeline).</summary>
public static class FhirStores
{
    public static ServiceProvider Services(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddFhirAccess();
        return services.BuildServiceProvider();
    }

    public static ServiceProvider Rest(string baseUrl, int pageSize = 1000) =>
        Services(new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = baseUrl,
            ["Fhir:PageSize"] = pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fhir:RetryCount"] = "0",
        });
}
