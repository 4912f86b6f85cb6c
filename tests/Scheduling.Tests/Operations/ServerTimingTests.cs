using Scheduling.Testing;

namespace Scheduling.Tests.Operations;

/// <summary>Server-Timing tells everyone the operation's duration; FHIR request counts only admins, or anyone in Development.</summary>
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
}
