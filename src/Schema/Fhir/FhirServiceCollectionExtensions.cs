using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Telemetry;

namespace Scheduling.Schema.Fhir;

public static class FhirServiceKeys
{
    /// <summary>The store itself, without decorations (the change feed reads through it).</summary>
    public const string Upstream = "fhir-upstream";
}

public static class FhirServiceCollectionExtensions
{
    /// <summary>
    /// FHIR access: the REST store when <c>Fhir:BaseUrl</c> is set, the embedded seeded store otherwise.
    /// </summary>
    public static IServiceCollection AddFhirAccess(this IServiceCollection services)
    {
        services.AddOptions<FhirOptions>()
            .BindConfiguration(FhirOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<ChangeSafetyOptions>()
            .BindConfiguration(ChangeSafetyOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        services.AddTransient<UpstreamAuthHandler>();
        services.AddHttpClient(UpstreamAuthHandler.TokenClientName).AddStandardResilienceHandler();
        services.AddHttpClient(RestFhirStore.HttpClientName)
            .AddStandardResilienceHandler()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider provider) =>
            {
                var fhir = provider.GetRequiredService<IOptions<FhirOptions>>().Value;
                // A POST (create, transaction) may have reached the server before it failed: never resend it.
                resilience.Retry.DisableForUnsafeHttpMethods();
                // Polly wants at least one attempt configured; zero retries means: handle nothing.
                resilience.Retry.MaxRetryAttempts = Math.Max(1, fhir.RetryCount);
                if (fhir.RetryCount == 0)
                {
                    resilience.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
                }

                resilience.Retry.Delay = TimeSpan.FromMilliseconds(fhir.RetryBaseDelayMilliseconds);
                resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(fhir.TimeoutSeconds);
                resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(fhir.TimeoutSeconds * 3);
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(Math.Max(30, fhir.TimeoutSeconds * 2));
            });
        services.AddTransient<FhirTelemetryHandler>();
        services.AddHttpClient(RestFhirStore.HttpClientName)
            .AddHttpMessageHandler<UpstreamAuthHandler>()
            .AddHttpMessageHandler<FhirTelemetryHandler>();

        services.AddScoped<FhirChangeSet>();
        services.AddScoped<CallerCredentials>();
        services.AddSingleton<InMemoryFhirStore>();
        services.AddSingleton<FhirCapabilities>();
        services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (provider, _) =>
            provider.GetRequiredService<IOptions<FhirOptions>>().Value.UsesEmbeddedStore
                ? provider.GetRequiredService<InMemoryFhirStore>()
                : ActivatorUtilities.CreateInstance<RestFhirStore>(provider));
        services.AddScoped(provider => provider.GetRequiredKeyedService<IFhirStore>(FhirServiceKeys.Upstream));
        services.AddHostedService<EmbeddedStoreSeeder>();
        return services;
    }
}
