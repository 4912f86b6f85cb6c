using System.Net;
using Microsoft.Extensions.Options;
using Scheduling.Testing;

namespace Scheduling.Tests.Security;

/// <summary>What a signed token must also carry to be accepted: the configured issuer and audience, and a lifetime
/// that has not run out beyond a small clock skew. Over HTTP and the graphql-transport-ws handshake alike.</summary>
public sealed class TokenValidationTests : IAsyncLifetime
{
    private const string Query = "{ practitioners(first: 1) { nodes { id } } }";

    private GatewayServer _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings(), environment: "Production");

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    public static TheoryData<string> Refused() => new()
    {
        "no audience",
        "another audience",
        "no issuer",
        "another issuer",
        "expired 60 s ago",
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_token_signed_with_the_key_but_for_someone_else_or_expired_is_refused(string which)
    {
        var token = Token(which);

        using var response = await _gateway.PostAsync(Query, bearerToken: token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        // The WebSocket handshake refuses it too (4403), so the subscription never starts.
        await using var client = await GraphQLWsClient.SubscribeAsync(_gateway.BaseAddress, "subscription { appointmentChanged(patientId: \"homer-simpson\") { kind } }",
            timeoutMs: 10000, connectionParams: new { Authorization = "Bearer " + token });
        Assert.Equal("error", client.First.GetProperty("event").GetString());
        Assert.Equal(4403, client.First.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task The_right_issuer_and_audience_within_the_skew_are_accepted()
    {
        using var fresh = await _gateway.PostAsync(Query, bearerToken: TestTokens.Admin());
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);

        // Expired 10 s ago: within the default 30 s skew.
        using var justExpired = await _gateway.PostAsync(Query, bearerToken: TestTokens.Issue(TestTokens.SigningKey, DateTime.UtcNow.AddSeconds(-10), ("role", "admin")));
        Assert.Equal(HttpStatusCode.OK, justExpired.StatusCode);
    }

    [Fact]
    public async Task A_shared_key_without_issuer_and_audience_stops_start_up_unless_explicitly_waived()
    {
        var neither = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["Auth:SigningKey"] = TestTokens.SigningKey }, environment: "Production"));
        Assert.Contains("Auth:Issuer and Auth:Audience are required with Auth:SigningKey", neither.Message, StringComparison.Ordinal);
        Assert.Contains("Auth:AllowUnverifiedIssuerAndAudience=true", neither.Message, StringComparison.Ordinal);

        var noAudience = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["Auth:SigningKey"] = TestTokens.SigningKey, ["Auth:Issuer"] = TestTokens.Issuer }, environment: "Production"));
        Assert.Contains("Auth:Audience is required with Auth:SigningKey", noAudience.Message, StringComparison.Ordinal);

        var badSkew = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(
            new Dictionary<string, string?>(TestTokens.GatewaySettings()) { ["Auth:ClockSkewSeconds"] = "-1" }, environment: "Production"));
        Assert.Contains("ClockSkewSeconds", badSkew.Message, StringComparison.Ordinal);

        // Waived: any issuer and audience are accepted, as the setting says.
        await using var waived = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = TestTokens.SigningKey,
            ["Auth:AllowUnverifiedIssuerAndAudience"] = "true",
        }, environment: "Production");
        using var response = await waived.PostAsync(Query, bearerToken: Token("another issuer"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string Token(string which)
    {
        var key = TestTokens.SigningKey;
        var soon = DateTime.UtcNow.AddMinutes(10);
        (string, string) admin = ("role", "admin");
        return which switch
        {
            "no audience" => TestTokens.Issue(key, TestTokens.Issuer, null, soon, admin),
            "another audience" => TestTokens.Issue(key, TestTokens.Issuer, "billing-service", soon, admin),
            "no issuer" => TestTokens.Issue(key, null, TestTokens.Audience, soon, admin),
            "another issuer" => TestTokens.Issue(key, "https://other-issuer.test", TestTokens.Audience, soon, admin),
            "expired 60 s ago" => TestTokens.Issue(key, DateTime.UtcNow.AddSeconds(-60), admin),
            _ => throw new ArgumentOutOfRangeException(nameof(which)),
        };
    }
}
