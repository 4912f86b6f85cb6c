using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;

namespace Scheduling.Tests.Fhir;

/// <summary>How the gateway reaches its upstream: its identity, and which failures it retries.</summary>
[Collection(MedplumCollection.Name)]
public sealed class UpstreamAccessTests(MedplumFixture medplumFixture)
{
    private readonly MedplumServer medplum = medplumFixture.Server;

    [Fact]
    public async Task A_static_bearer_token_goes_on_every_upstream_request()
    {
        await using var services = FhirStores.Services(new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = medplum.FhirBaseUrl,
            ["Fhir:BearerToken"] = "static-token",
        });
        await medplum.ResetCountsAsync();
        await services.GetRequiredService<IFhirStore>().SearchAllAsync(new FhirQuery("Schedule").Where("_id", "x"), CancellationToken.None);

        var (authorization, _) = await medplum.AuthAsync();
        Assert.Equal(["Bearer static-token"], authorization);
    }

    [Fact]
    public async Task Client_credentials_fetch_one_token_and_reuse_it_until_it_nears_expiry()
    {
        await using var services = FhirStores.Services(new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = medplum.FhirBaseUrl,
            ["Fhir:TokenUrl"] = medplum.TokenUrl,
            ["Fhir:ClientId"] = "gateway",
            ["Fhir:ClientSecret"] = "secret",
        });
        await medplum.ResetCountsAsync();
        for (var i = 0; i < 3; i++)
        {
            using var scope = services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<IFhirStore>().ReadAsync(new FhirReference("Patient", "p" + i), CancellationToken.None);
        }

        var (authorization, tokensIssued) = await medplum.AuthAsync();
        Assert.Equal(1, tokensIssued);
        Assert.Equal(3, authorization.Count);
        Assert.All(authorization, a => Assert.Equal("Bearer cc-token-1", a));
    }

    [Fact]
    public async Task A_failed_read_is_retried_but_a_failed_create_is_not_resent()
    {
        await using var services = FhirStores.Services(new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = medplum.FhirBaseUrl,
            ["Fhir:RetryCount"] = "2",
            ["Fhir:RetryBaseDelayMilliseconds"] = "10",
        });
        var store = services.GetRequiredService<IFhirStore>();
        var marker = "Retry" + Guid.NewGuid().ToString("N")[..8];

        await medplum.ResetCountsAsync();
        await medplum.FaultAsync(503, match: "Practitioner", times: 1);
        var found = await store.SearchAllAsync(new FhirQuery("Practitioner").Where("name", marker), CancellationToken.None);
        Assert.Empty(found);
        Assert.Equal(2, (await medplum.RequestsAsync()).Count); // the 503, then the retry that succeeded

        await medplum.ResetCountsAsync();
        await medplum.FaultAsync(503, match: "Practitioner", times: 1);
        // The create may have reached the server before the failure: resending could create it twice.
        await Assert.ThrowsAsync<FhirUnavailableException>(() =>
            store.CreateAsync(new Practitioner { Name = [new HumanName { Family = marker }] }, CancellationToken.None));
        Assert.Single(await medplum.RequestsAsync());
        await medplum.FaultAsync(0);
    }
}
