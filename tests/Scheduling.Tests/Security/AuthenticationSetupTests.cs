using Microsoft.Extensions.Options;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Security;

/// <summary>When the gateway may serve without tokens, and whose identity reaches the FHIR server.</summary>
[Collection(MedplumCollection.Name)]
public sealed class AuthenticationSetupTests(MedplumFixture medplum)
{
    private const string Appointments = "{ appointments(first: 1) { nodes { id } } }";

    [Fact]
    public async Task Outside_Development_the_gateway_refuses_to_start_without_authentication_unless_a_setting_says_so()
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(environment: "Production"));
        Assert.Contains("Auth:Authority", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Auth:AllowAnonymous=true", refused.Message, StringComparison.Ordinal);

        var shortKey = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["Auth:SigningKey"] = "too-short" }, environment: "Production"));
        Assert.Contains("Auth:SigningKey must be at least 32 bytes", shortKey.Message, StringComparison.Ordinal);

        var noAudience = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["Auth:Authority"] = "https://login.example.org" }, environment: "Production"));
        Assert.Contains("Auth:Audience is required", noAudience.Message, StringComparison.Ordinal);

        // The one way to run there without tokens: saying so.
        await using var open = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Auth:AllowAnonymous"] = "true" }, environment: "Production");
        var answer = await open.QueryAsync(Appointments);
        Assert.Null(answer["errors"]);
        Assert.NotNull(answer.At("data.appointments.nodes"));
    }

    [Fact]
    public async Task The_callers_token_is_passed_to_the_FHIR_server_when_so_set_and_the_gateways_own_otherwise()
    {
        (string, string)[] auth = [.. TestTokens.Settings, ("Fhir:BearerToken", "gateway-token")];
        var passing = await medplum.GatewayAsync([.. auth, ("Fhir:UpstreamIdentity", "Caller")]);
        var own = await medplum.GatewayAsync(auth);
        var scheduler = TestTokens.Scheduler();
        var admin = TestTokens.Admin();

        await medplum.Server.ResetCountsAsync();
        Assert.Null((await passing.QueryAsync(Appointments, bearerToken: scheduler))["errors"]);
        Assert.Null((await passing.QueryAsync(Appointments, bearerToken: admin))["errors"]);
        Assert.Equal(["Bearer " + scheduler, "Bearer " + admin], (await medplum.Server.AuthAsync()).Authorization);

        await medplum.Server.ResetCountsAsync();
        Assert.Null((await own.QueryAsync(Appointments, bearerToken: scheduler))["errors"]);
        Assert.Equal(["Bearer gateway-token"], (await medplum.Server.AuthAsync()).Authorization);
    }
}
