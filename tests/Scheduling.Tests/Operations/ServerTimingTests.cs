using System.Net;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;

namespace Scheduling.Tests.Operations;

/// <summary>
/// Server-Timing tells everyone the operation's duration; FHIR request counts, like the FHIR server's own words in an
/// error, only admins, or anyone in Development.
/// </summary>
public sealed class ServerTimingTests
{
    private const string Query = """{ practitioner(id: "alice-smith") { displayName schedules { nodes { id } } } }""";

    [Fact]
    public async Task Outside_Development_only_admins_see_the_FHIR_detail()
    {
        await using var gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings(), environment: "Production");

        var patient = await TimingAsync(gateway, TestTokens.Patient("ned-flanders"));
        Assert.StartsWith("gateway;dur=", patient, StringComparison.Ordinal);
        Assert.DoesNotContain("fhir", patient, StringComparison.Ordinal);
        Assert.DoesNotContain("requests", patient, StringComparison.Ordinal);

        var practitioner = await TimingAsync(gateway, TestTokens.Practitioner("alice-smith"));
        Assert.DoesNotContain("fhir", practitioner, StringComparison.Ordinal);

        var admin = await TimingAsync(gateway, TestTokens.Admin());
        Assert.Contains("fhir;dur=", admin, StringComparison.Ordinal);
        Assert.Contains(" requests\"", admin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_Development_everyone_sees_the_FHIR_detail()
    {
        await using var gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings());
        Assert.Contains("fhir;dur=", await TimingAsync(gateway, TestTokens.Patient("ned-flanders")), StringComparison.Ordinal);
    }

    private static async Task<string> TimingAsync(GatewayServer gateway, string token)
    {
        using var response = await gateway.PostAsync(Query, bearerToken: token);
        return response.Headers.GetValues("Server-Timing").Single();
    }

    [Fact]
    public async Task The_FHIR_server_s_own_words_reach_only_admins_outside_Development()
    {
        var settings = TestTokens.GatewaySettings();
        settings["Fhir:Seed"] = "false";
        settings["Booking:HoldSweepSeconds"] = "3600";
        await using var gateway = await GatewayServer.StartAsync(settings, services => services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (_, _) => new RefusingStore()), environment: "Production");

        var patient = await gateway.QueryAsync("{ practitioners { nodes { id } } }", bearerToken: TestTokens.Patient("ned-flanders"));
        Assert.Equal("The FHIR server answered 431.", patient.At("errors.0.message")!.GetValue<string>());

        var admin = await gateway.QueryAsync("{ practitioners { nodes { id } } }", bearerToken: TestTokens.Admin());
        Assert.Contains("RequestHeaderFieldsTooLarge", admin.At("errors.0.message")!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>A FHIR server that refuses every request, saying why in its own words.</summary>
    private sealed class RefusingStore : IFhirStore
    {
        private static FhirRequestRejectedException Refusal => new("The FHIR server answered 431.")
        {
            Status = HttpStatusCode.RequestHeaderFieldsTooLarge,
            UpstreamDetail = "Operation was unsuccessful, and returned status RequestHeaderFieldsTooLarge.",
        };

        public Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken) => throw Refusal;

        public Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken) => throw Refusal;

        public Task<Resource?> ReadAsync(FhirReference reference, CancellationToken cancellationToken) => throw Refusal;

        public Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken) where T : Resource => throw Refusal;

        public Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken) where T : Resource => throw Refusal;

        public Task<(T Resource, bool Created)> CreateIfNoneExistAsync<T>(T resource, FhirQuery ifNoneExist, CancellationToken cancellationToken) where T : Resource => throw Refusal;

        public Task DeleteAsync(Resource current, CancellationToken cancellationToken) => throw Refusal;

        public Task<IReadOnlyList<Resource>> TransactionAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken) => throw Refusal;
    }
}
