using System.Net;
using Scheduling.Tests.Fhir;
using Scheduling.Testing;
using Xunit.Abstractions;

namespace Scheduling.Tests.Operations;

/// <summary>
/// /health/ready is open to anyone (orchestrators call it) and asks the FHIR server: what a flood of it costs is
/// bounded, one FHIR request per cache window however many ask, and a per-client rate.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class ReadinessTests(MedplumFixture medplum, ITestOutputHelper output)
{
    [Fact]
    public async Task Fifty_readiness_requests_cost_one_or_two_FHIR_requests_and_a_new_window_probes_again()
    {
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("Health:ReadyRequestsPerSecond", "0"), ("Health:ReadyCacheSeconds", "2")));
        await medplum.Server.ResetCountsAsync();

        var statuses = new List<HttpStatusCode>();
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 25).Select(async _ =>
        {
            using var response = await gateway.Client.GetAsync("/health/ready");
            return response.StatusCode;
        }));
        statuses.AddRange(concurrent);
        for (var i = 0; i < 25; i++)
        {
            using var response = await gateway.Client.GetAsync("/health/ready");
            statuses.Add(response.StatusCode);
        }

        var requests = await medplum.Server.RequestsAsync();
        output.WriteLine($"50 readiness requests: {requests.Count} FHIR requests: {string.Join(", ", requests)}");
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.InRange(requests.Count, 1, 2);
        Assert.All(requests, r => Assert.StartsWith("GET Schedule", r, StringComparison.Ordinal));

        // The answer is not stale for long: after the window, the next request probes again.
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        using (var later = await gateway.Client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        }

        Assert.Equal(requests.Count + 1, (await medplum.Server.RequestsAsync()).Count);
    }

    [Fact]
    public async Task A_client_flooding_readiness_gets_429_after_its_burst_and_liveness_is_not_limited()
    {
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("Health:ReadyRequestsPerSecond", "1"), ("Health:ReadyBurst", "10")));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            using var response = await gateway.Client.GetAsync("/health/ready");
            statuses.Add(response.StatusCode);
        }

        output.WriteLine(string.Join(' ', statuses.Select(s => (int)s)));
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.TooManyRequests), 15, 20);
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));

        for (var i = 0; i < 30; i++)
        {
            using var live = await gateway.Client.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
    }
}
